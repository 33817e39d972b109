"""Host reads (device → host synchronisations) per training step of the Depth Anywhere recipe.

On a GPU, Python reading a tensor's value waits for the device to finish all queued work.
That happens with ``.item()``, ``bool(t)`` in an ``if``, ``float(t)``, ``.tolist()`` and
``.cpu()`` / ``.numpy()``. This script counts those calls on the CPU (the same calls
happen on any device) by wrapping the ``Tensor`` methods. It counts them for:

* one ``pseudo_label_loss`` call (student disparity → faces → per-face affine-invariant loss);
* one ``DepthAnywhere.training_step`` (pano-unet student at 64×128, 2 labeled + 2 unlabeled
  panoramas, pseudo labels online from the tiny random Depth Anything teacher, with and
  without the region masks), forward and backward;
* one cube round trip, ``equirect_to_cube`` + ``cube_to_equirect`` without rotation. The
  cube-branch students (UniFuse, BiFuse++) run one per scale in every forward pass.

Every row is also run with the debug switch on (``panodepth.checks.debug_checks``), which
adds the value checks.

It also counts ``nonzero`` calls separately ("+ N nonzero"). Their output size depends on
the data, so on a GPU they synchronise too, although they hand no value to Python. The
sphere-correct resampling of seam and pole pixels needs one per uncached view sampling
(``geometry.perspective.view_grid``). Boolean-mask indexing (``x[mask]``) synchronises in
the same way but cannot be counted here; the code on these paths does not use it.

    .venv/bin/python benchmarks/host_reads.py [--where]

``--where`` lists the reads by site: the line that reads, then the line that called it (the
nearest one outside ``panodepth/checks.py``). ``tests/training/test_host_reads.py`` pins the counts.
"""

from __future__ import annotations

import collections
import contextlib
import sys
import tempfile
import traceback
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import Tensor

READS = ("item", "__bool__", "__float__", "__int__", "tolist", "cpu", "numpy")
"""The ``Tensor`` methods that hand a value to Python (a device sync each)."""

SHAPE_SYNCS = ("nonzero",)
"""``Tensor`` methods whose output size depends on the data (a device sync, no value read)."""


@contextlib.contextmanager
def count_host_reads(where: bool = False) -> Iterator[collections.Counter]:
    """Count ``Tensor`` value reads made inside the block (``where``: also by call site).

    The counter has one key per method name of :data:`READS` and :data:`SHAPE_SYNCS`. With
    ``where`` it also has ``"file:line ← file:line method"`` keys (the reading line, then
    its caller). Use :func:`total` for the number of reads.
    """
    counts: collections.Counter = collections.Counter()
    names = READS + SHAPE_SYNCS
    saved = {name: getattr(Tensor, name) for name in names}
    saved_nonzero = torch.nonzero

    def site(frame: traceback.FrameSummary) -> str:
        return f"{Path(frame.filename).name}:{frame.lineno}"

    def wrap(name: str, fn):
        def read(*args, **kwargs):
            counts[name] += 1
            if where:
                *outer, line, _ = traceback.extract_stack(limit=12)
                # the caller: the nearest frame outside panodepth/checks.py
                caller = next(
                    (f for f in reversed(outer) if not f.filename.endswith("checks.py")),
                    outer[-1],
                )
                counts[f"{site(line)} ← {site(caller)} {name}"] += 1
            return fn(*args, **kwargs)

        return read

    for name, fn in saved.items():
        setattr(Tensor, name, wrap(name, fn))
    torch.nonzero = wrap("nonzero", saved_nonzero)
    try:
        yield counts
    finally:
        for name, fn in saved.items():
            setattr(Tensor, name, fn)
        torch.nonzero = saved_nonzero


def total(counts: collections.Counter) -> int:
    """Number of value reads (:data:`READS`) in a :func:`count_host_reads` counter."""
    return sum(v for k, v in counts.items() if k in READS)


def shape_syncs(counts: collections.Counter) -> int:
    """Number of data-dependent-shape calls (:data:`SHAPE_SYNCS`) in a counter."""
    return sum(v for k, v in counts.items() if k in SHAPE_SYNCS)


def loss_reads(where: bool = False) -> collections.Counter:
    """Reads of one ``pseudo_label_loss`` call (2 panoramas, 64×128, cube faces of 32)."""
    from panodepth.distill import FaceProjection, PseudoLabels, pseudo_label_loss
    from panodepth.geometry import random_rotation

    torch.manual_seed(0)
    b, s = 2, 32
    labels = PseudoLabels(
        disparity=torch.rand(b, 6, 1, s, s) + 0.1,
        valid=torch.rand(b, 6, 1, s, s) > 0.1,
        rotation=random_rotation(b),
        keep=torch.ones(b, dtype=torch.bool),
        projection=FaceProjection("cube"),
    )
    disparity = torch.rand(b, 1, 2 * s, 4 * s, requires_grad=True) + 0.1
    with count_host_reads(where) as counts:
        pseudo_label_loss(disparity, labels)
    return counts


def step_reads(region: bool, where: bool = False) -> collections.Counter:
    """Reads of one ``DepthAnywhere.training_step`` with the online tiny teacher, + backward."""
    from panodepth.teachers import DepthAnythingTeacher
    from panodepth.teachers.tiny import save_tiny_depth_anything
    from panodepth.training import DepthAnywhere

    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        teacher = DepthAnythingTeacher(str(save_tiny_depth_anything(Path(tmp))), input_size=56)
        module = DepthAnywhere(student="pano-unet", student_options={"width": 8}, teacher=teacher)
    h = 64
    labeled = {"rgb": torch.rand(2, 3, h, 2 * h), "depth": torch.rand(2, 1, h, 2 * h) * 5 + 0.5,
               "valid": torch.ones(2, 1, h, 2 * h, dtype=torch.bool)}  # fmt: skip
    unlabeled = {"rgb": torch.rand(2, 3, h, 2 * h)}
    unlabeled["rgb_teacher"] = unlabeled["rgb"].clone()
    if region:
        unlabeled["region_valid"] = torch.rand(2, 1, h, 2 * h) > 0.05
    module.log = lambda *a, **k: None  # no trainer attached here
    with count_host_reads(where) as counts:
        loss = module.training_step({"labeled": labeled, "unlabeled": unlabeled}, 0)
        loss.backward()
    return counts


def cube_reads(where: bool = False) -> collections.Counter:
    """Reads of ``equirect_to_cube`` + ``cube_to_equirect`` (no rotation), grids cached."""
    from panodepth.geometry import cube_to_equirect, equirect_to_cube

    img = torch.rand(2, 8, 32, 64, requires_grad=True)
    cube_to_equirect(equirect_to_cube(img, 16), 32, 64)  # fill the grid caches first
    with count_host_reads(where) as counts:
        cube_to_equirect(equirect_to_cube(img, 16), 32, 64).sum().backward()
    return counts


ROWS = {
    "pseudo_label_loss, one call": loss_reads,
    "training step, online teacher": lambda where=False: step_reads(False, where),
    "training step, online teacher + region masks": lambda where=False: step_reads(True, where),
    "cube round trip (cube-branch students, per scale)": cube_reads,
}
"""Name → function(where) returning the counter of that row."""


def main() -> None:
    from panodepth.checks import debug_checks

    where = "--where" in sys.argv
    torch.set_num_threads(1)
    for debug in (False, True):
        print("debug checks on:" if debug else "default (debug checks off):")
        for name, fn in ROWS.items():
            with debug_checks(debug):
                counts = fn(where)
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k in READS)
            print(
                f"  {name}: {total(counts)} host reads ({kinds or '-'})"
                f" + {shape_syncs(counts)} nonzero"
            )
            if where:
                for k, v in sorted(counts.items()):
                    if k not in READS + SHAPE_SYNCS:
                        print(f"      {v:3d}  {k}")


if __name__ == "__main__":
    main()
