"""Host reads (device → host synchronisations) per training step of the Depth Anywhere recipe.

On a GPU every read of a tensor's value by Python — ``.item()``, ``bool(t)`` in an ``if``,
``float(t)``, ``.tolist()``, ``.cpu()`` / ``.numpy()`` — waits for the device to finish all
queued work. This script counts them on the CPU (the same calls happen on any device) by
wrapping those ``Tensor`` methods, for:

* one ``pseudo_label_loss`` call (student disparity → faces → per-face affine-invariant loss);
* one ``DepthAnywhere.training_step`` (pano-unet student at 64×128, 2 labeled + 2 unlabeled
  panoramas, pseudo labels online from the tiny random Depth Anything teacher, with and
  without the region masks), forward and backward.

    .venv/bin/python benchmarks/host_reads.py

``tests/training/test_host_reads.py`` pins the counts.
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


@contextlib.contextmanager
def count_host_reads(where: bool = False) -> Iterator[collections.Counter]:
    """Counts ``Tensor`` value reads made inside the block (``where``: by call site)."""
    counts: collections.Counter = collections.Counter()
    saved = {name: getattr(Tensor, name) for name in READS}

    def wrap(name: str, fn):
        def read(self, *args, **kwargs):
            counts[name] += 1
            if where:
                frame = traceback.extract_stack(limit=3)[0]
                counts[f"{Path(frame.filename).name}:{frame.lineno} {name}"] += 1
            return fn(self, *args, **kwargs)

        return read

    for name, fn in saved.items():
        setattr(Tensor, name, wrap(name, fn))
    try:
        yield counts
    finally:
        for name, fn in saved.items():
            setattr(Tensor, name, fn)


def total(counts: collections.Counter) -> int:
    return sum(v for k, v in counts.items() if k in READS)


def loss_reads(where: bool = False) -> collections.Counter:
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


def main() -> None:
    where = "--where" in sys.argv
    torch.set_num_threads(1)
    rows = [
        ("pseudo_label_loss, one call", loss_reads(where)),
        ("training step, online teacher", step_reads(False, where)),
        ("training step, online teacher + region masks", step_reads(True, where)),
    ]
    for name, counts in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k in READS)
        print(f"{name}: {total(counts)} host reads ({kinds})")
        if where:
            for k, v in sorted(counts.items()):
                if k not in READS:
                    print(f"    {v:3d}  {k}")


if __name__ == "__main__":
    main()
