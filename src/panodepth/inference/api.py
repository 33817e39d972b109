"""The Python API of inference: ``predict(inputs, checkpoint=… | teacher=…)`` and its parts.

This module owns what ``panodepth predict`` does between file names and arrays: collecting
inputs (:func:`panodepth.io.collect_inputs`: files, folders searched recursively, list
files; an input's name is its path relative to the folder or list file it came from, so
``panos/sub/b.png`` is written as ``OUT/sub/b.png``; in-memory arrays are named
``input<k>``), loading panoramas
(:func:`~panodepth.io.images.load_panorama`: 2:1 check, near-2:1 resized with a warning),
batching them through a :class:`~.predictor.Predictor` at its working height, resizing the
result back to each input's own resolution (``native_size=True``, bilinear in disparity),
turning disparity into depth, and writing the requested files (:func:`write_result`).

Per-input failures (unreadable file, not a panorama) never stop a batch: the result carries
``error`` and no arrays. Depth is *range* along the ray; it is in metres only when
``result.metric`` is True (a student with a ``"depth"`` head), otherwise relative with
median 1 (or ``median_depth``): see :mod:`.predictor`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from panodepth.io.atomic import remove_stale_temporaries
from panodepth.io.depth_png import write_depth_png
from panodepth.io.errors import InputError, PanoramaError
from panodepth.io.exr import write_exr
from panodepth.io.images import as_panorama, read_rgb
from panodepth.io.inputs import InputItem, check_unique, collect_inputs
from panodepth.io.npy import write_npy

from . import outputs
from .predictor import Predictor, depth_from_disparity, resize_disparity

PanoramaLike = str | os.PathLike | np.ndarray | torch.Tensor


@dataclass(frozen=True)
class ArrayInput:
    """An in-memory panorama (H×W×3 uint8 or 3×H×W float) and its output ``name``."""

    name: str
    array: np.ndarray | torch.Tensor


@dataclass
class PredictionResult:
    """The prediction for one input.

    Attributes:
        name: output name (``<name>.png`` …); source: the path (or ``"<array k>"``).
        depth: (H, W) float32 range, 0 = invalid — metres if ``metric`` else relative.
        disparity: (H, W) float32 disparity the depth came from (1/m or relative).
        valid: (H, W) bool; rgb: (3, H, W) float32 in [0, 1] at the same size.
        metric: whether ``depth`` is in metres; units: a human-readable statement of that.
        meta: model, mode, sizes, ensemble, … (written to the JSON sidecar).
        error: why this input failed (then the arrays are None); warnings: non-fatal notes.
    """

    name: str
    source: str
    depth: np.ndarray | None = None
    disparity: np.ndarray | None = None
    valid: np.ndarray | None = None
    rgb: np.ndarray | None = None
    metric: bool = False
    units: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None


def collect_items(inputs: Iterable[PanoramaLike | InputItem]) -> list[InputItem | ArrayInput]:
    """Files, folders and list files through :func:`panodepth.io.collect_inputs`, arrays as
    ``input<k>`` (k: the position in ``inputs``), in the order given.

    Raises:
        InputError: a bad list file, or two inputs with the same name.
    """
    items: list[InputItem | ArrayInput] = []
    for k, entry in enumerate(inputs):
        if isinstance(entry, (np.ndarray, torch.Tensor)):
            items.append(ArrayInput(f"input{k}", entry))
        else:
            items += collect_inputs(entry)
    files = check_unique([i for i in items if isinstance(i, InputItem)])  # across entries too
    paths = {i.name: i.path for i in files}
    for item in items:
        if isinstance(item, ArrayInput) and item.name in paths:
            raise InputError(
                f"two inputs would be named {item.name!r}: an in-memory array and "
                f"{paths[item.name]}"
            )
    return items


def build_predictor(
    *,
    checkpoint: str | os.PathLike | None = None,
    teacher: str | os.PathLike | None = None,
    height: int = 512,
    ensemble: int = 1,
    ensemble_mode: str | None = None,
    device: str | torch.device = "cpu",
    batch_size: int = 1,
    seed: int = 0,
    fov_deg: float = 110.0,
    teacher_options: dict[str, Any] | None = None,
) -> Predictor:
    """A :class:`Predictor` from a student checkpoint *or* a teacher (name, hub id, folder).

    ``height`` is the working height: rounded down to a multiple of 32 for students (an
    error below 32). ``ensemble_mode`` defaults to ``"yaw"`` for students and ``"full"``
    for teachers (see :func:`~.predictor.ensemble_rotations`).
    """
    if (checkpoint is None) == (teacher is None):
        raise ValueError("give exactly one of checkpoint (a student) or teacher")
    common: dict[str, Any] = {
        "height": height, "ensemble": ensemble, "device": device,
        "batch_size": batch_size, "seed": seed,
    }  # fmt: skip
    if ensemble_mode is not None:
        common["ensemble_mode"] = ensemble_mode
    if checkpoint is not None:
        return Predictor.from_student(os.fspath(checkpoint), **common)
    return Predictor.from_teacher(
        os.fspath(teacher), fov_deg=fov_deg, teacher_options=teacher_options, **common
    )


def _load(item: InputItem | ArrayInput, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(panorama at 2:1, the image at its own size)`` of an item; the two are one tensor
    unless the file is near-2:1 and was resized (outputs keep the file's own size)."""
    if isinstance(item, ArrayInput):
        source = item.array
        img = torch.as_tensor(np.asarray(source) if isinstance(source, np.ndarray) else source)
        if img.ndim == 3 and img.shape[-1] == 3 and img.shape[0] != 3:
            img = img.permute(2, 0, 1)
        img = img.float() / 255 if not img.is_floating_point() else img.float()
        if img.ndim != 3 or img.shape[0] != 3 or img.shape[-1] != 2 * img.shape[-2]:
            shape = tuple(img.shape)
            raise PanoramaError(f"input {k}: expected a 3×H×2H panorama, got {shape}")
        own = img
    else:
        own = read_rgb(item.path)
        with warnings.catch_warnings():  # predict_iter's note also says what is written
            warnings.filterwarnings("ignore", message=r".*is not exactly 2:1")
            img = as_panorama(own, item.path)
    return img, own


def _near_panorama_note(item: InputItem, own: torch.Tensor, working: int | None) -> str:
    """The warning for a file near 2:1 but not exactly: what is done with it (``working``:
    the working height when outputs are written at that size, else None)."""
    h, w = own.shape[-2:]
    size = f"{w}×{h}" if working is None else f"the working size, {2 * working}×{working}"
    return (
        f"{_source_name(item)}: {w}×{h} is not exactly 2:1; taken as a full 360°×180° "
        f"panorama (stretched to 2:1 to predict), outputs written at {size}"
    )


def _to_height(img: torch.Tensor, height: int) -> torch.Tensor:
    if img.shape[-2] == height:
        return img
    return F.interpolate(
        img[None], size=(height, 2 * height), mode="bilinear", antialias=True, align_corners=False
    )[0].clamp_(0, 1)


# (item, panorama at 2:1 or None, the image at its own size or None, warnings, error or None)
_Pending = tuple[
    "InputItem | ArrayInput", "torch.Tensor | None", "torch.Tensor | None", list, "str | None"
]


def predict_iter(
    inputs: Iterable[PanoramaLike | InputItem],
    predictor: Predictor,
    native_size: bool = True,
    median_depth: float | None = None,
) -> Iterator[PredictionResult]:
    """Predict inputs one batch (``predictor.batch_size``) at a time; yield one result each.

    Args:
        inputs: paths, folders, list files, arrays, or :class:`InputItem` s (used as given);
            see :func:`collect_items`.
        native_size: results at each input's own resolution (True) or at the working size.
        median_depth: relative predictions only: median of the output depth (default 1).

    Raises:
        InputError: a bad list file or two inputs with one name (before any prediction).
    """
    items = collect_items(inputs)
    pending: list[_Pending] = []
    for k, item in enumerate(items):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                img, own = _load(item, k)
                error = None
            except (PanoramaError, ValueError, OSError) as err:
                img = own = None
                error = str(err)
        notes = [str(w.message) for w in caught]  # kept for failed inputs too
        if own is not None and own.shape[-1] != 2 * own.shape[-2]:  # a file near 2:1
            working = None if native_size else predictor.height
            notes.append(_near_panorama_note(item, own, working))
        pending.append((item, img, own, notes, error))
        if sum(p[1] is not None for p in pending) == predictor.batch_size:
            yield from _run_batch(pending, predictor, native_size, median_depth)
            pending = []
    if pending:
        yield from _run_batch(pending, predictor, native_size, median_depth)


def _source_name(item: InputItem | ArrayInput) -> str:
    if isinstance(item, ArrayInput):
        return f"<array {item.name}>"
    return str(item.path)


def _run_batch(
    pending: list[_Pending],
    predictor: Predictor,
    native_size: bool,
    median_depth: float | None,
) -> Iterator[PredictionResult]:
    """Predict the loaded items of ``pending`` in one batch; yield all results in order."""
    loaded = [img for _, img, _, _, _ in pending if img is not None]
    if loaded:
        work = torch.stack([_to_height(img, predictor.height) for img in loaded])
        disp_work = predictor.disparity(work)
    k = 0
    for item, img, own, notes, error in pending:
        if img is None:
            yield PredictionResult(item.name, _source_name(item), error=error, warnings=notes)
            continue
        disp = disp_work[k : k + 1]
        rgb = own if native_size else work[k]
        k += 1
        if native_size:  # the file's own size, even where it was resized to 2:1 to predict
            disp = resize_disparity(disp, *own.shape[-2:])
        depth, valid = depth_from_disparity(disp, predictor.metric, median_depth)
        if predictor.metric:
            units = "metres"
        elif median_depth is None:
            units = "relative (unknown scale; median depth normalised to 1)"
        else:
            units = f"relative (unknown scale; median depth set to {median_depth} m)"
        meta = {
            "model": predictor.name,
            "mode": predictor.mode,
            "input_height": int(own.shape[-2]),
            "input_width": int(own.shape[-1]),
            "working_height": predictor.height,
            "height": int(depth.shape[-2]),
            "width": int(depth.shape[-1]),
            "ensemble": predictor.ensemble,
            "ensemble_mode": predictor.ensemble_mode if predictor.ensemble > 1 else None,
            "median_depth": median_depth,
            "valid_fraction": float(valid.float().mean()),
        }  # fmt: skip
        yield PredictionResult(
            name=item.name,
            source=_source_name(item),
            depth=depth[0, 0].cpu().numpy().astype(np.float32, copy=False),
            disparity=disp[0, 0].cpu().numpy().astype(np.float32, copy=False),
            valid=valid[0, 0].cpu().numpy(),
            rgb=rgb.cpu().numpy().astype(np.float32, copy=False),
            metric=predictor.metric,
            units=units,
            meta=meta,
            warnings=notes,
        )


def predict(
    inputs: PanoramaLike | Sequence[PanoramaLike],
    checkpoint: str | os.PathLike | None = None,
    teacher: str | os.PathLike | None = None,
    height: int = 512,
    ensemble: int = 1,
    device: str | torch.device = "cpu",
    batch_size: int = 1,
    native_size: bool = True,
    median_depth: float | None = None,
    ensemble_mode: str | None = None,
    seed: int = 0,
    fov_deg: float = 110.0,
    predictor: Predictor | None = None,
) -> list[PredictionResult]:
    """Depth for panoramas from a student checkpoint or a teacher: the API of ``panodepth predict``.

    Args:
        inputs: a path, folder, list file, array (H×W×3 uint8 / 3×H×W float) or a list of them.
        checkpoint: a student file (:func:`~panodepth.io.students.load_student`); or
        teacher: a teacher name, hub id or local folder (:func:`~panodepth.teachers.build_teacher`),
            run on six overlapping views and stitched with per-view alignment.
        height: working height (students: rounded down to a multiple of 32).
        ensemble: K rotated copies averaged (1 = plain).
        native_size: results at each input's resolution (else at the working size).
        median_depth: relative predictions: scale the depth to this median (metres).
        predictor: a ready :class:`Predictor` (then checkpoint/teacher/height/… are ignored).

    Returns:
        One :class:`PredictionResult` per input, in order; failed inputs have ``error`` set.

    Example:
        >>> import panodepth
        >>> results = panodepth.predict("pano.jpg", checkpoint="s.safetensors")  # doctest: +SKIP
        >>> results[0].depth.shape, results[0].metric  # doctest: +SKIP
    """
    if isinstance(inputs, (str, os.PathLike, np.ndarray, torch.Tensor)):
        inputs = [inputs]
    if predictor is None:
        predictor = build_predictor(
            checkpoint=checkpoint, teacher=teacher, height=height, ensemble=ensemble,
            ensemble_mode=ensemble_mode, device=device, batch_size=batch_size, seed=seed,
            fov_deg=fov_deg,
        )  # fmt: skip
    return list(predict_iter(inputs, predictor, native_size, median_depth))


def write_result(
    result: PredictionResult,
    out_dir: str | os.PathLike,
    formats: Sequence[str] = ("png16", "npy", "preview"),
    ply: bool = False,
    glb: bool = False,
    stride: int = 1,
    max_points: int | None = None,
    mesh: bool = False,
    job: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Write one successful result's files (see :mod:`.outputs`); the sidecar is written last.

    ``job``: what made the files (source file, model, options: :func:`.outputs.job_record`),
    kept in the sidecar, from which a re-run decides whether the input is done
    (:func:`.outputs.finished`). A failure (or Ctrl-C) while writing removes the input's
    files written so far; hidden temporary files of a killed run are removed first, and so
    are the files that the input's previous sidecar lists and this call does not write (a
    ``.ply`` of a run with ``ply=True`` redone without it: :func:`.outputs.previous_files`).

    ``mesh``: also ``<name>_mesh.glb`` and ``<name>_mesh.ply``, the triangle mesh of the
    prediction (every ``stride``-th pixel; :func:`.outputs.depth_mesh`).

    ``result.name`` may contain ``/`` (an input found in a sub-folder): the files go to that
    sub-folder of ``out_dir``, which is created.

    Returns:
        ``{format: path}`` of the files written.
    """
    if not result.ok or result.depth is None:
        raise ValueError(f"{result.source}: nothing to write ({result.error})")
    paths = outputs.output_paths(out_dir, result.name, tuple(formats), ply, glb, mesh)
    for path in paths.values():
        remove_stale_temporaries(path)  # left by a killed run
    for path in outputs.previous_files(out_dir, result.name):
        if path not in paths.values():  # written by the run before, not by this one
            path.unlink(missing_ok=True)
    try:
        _write_files(result, paths, ply, glb, stride, max_points, mesh, job)
    except BaseException:
        # no half set of files: a re-run redoes the input (its sidecar is written last)
        for path in paths.values():
            path.unlink(missing_ok=True)
        raise
    return paths


def _write_files(
    result: PredictionResult,
    paths: dict[str, Path],
    ply: bool,
    glb: bool,
    stride: int,
    max_points: int | None,
    mesh: bool,
    job: dict[str, Any] | None,
) -> None:
    depth, valid = result.depth, result.valid
    median = result.meta.get("median_depth") or 1.0
    scale = outputs.png_scale(depth, 0.001 if result.metric else median / 500)
    meta = {
        "name": result.name,
        "source": result.source,
        "kind": "range",
        "metric": result.metric,
        "units": result.units,
        "scale": scale,
        "png": "depth = value × scale (16-bit, 0 = invalid)",
        "frame": outputs.FRAME_DOC,
        **result.meta,
    }
    if "png16" in paths:
        write_depth_png(paths["png16"], depth, scale, meta)
    if "npy" in paths:
        write_npy(paths["npy"], depth)
    if "exr" in paths:
        write_exr(paths["exr"], depth)
    if "preview" in paths:
        outputs.write_preview(paths["preview"], depth, valid)
    if ply or glb:
        xyz, colours = outputs.point_cloud(depth, result.rgb, valid, stride, max_points)
        meta["points"] = len(xyz)
        if ply:
            outputs.write_ply(paths["ply"], xyz, colours)
        if glb:
            outputs.write_glb(paths["glb"], xyz, colours)
            meta["glb_frame"] = outputs.GLB_FRAME_DOC
    if mesh:
        surface = outputs.depth_mesh(depth, result.rgb, valid, stride)
        outputs.write_mesh(paths["mesh_glb"], paths["mesh_ply"], surface)
        meta["mesh"] = {
            "vertices": len(surface.vertices),
            "faces": len(surface.faces),
            "rule": "panodepth.geometry.mesh: seam wrapped, poles closed, a triangle is cut "
            "when its range ratio max/min exceeds 1 + 6·π/h (h = rows used)",
        }
        height, width = depth.shape
        if width != 2 * height:
            meta["mesh"]["grid"] = (
                f"{2 * height}×{height}: the {width}×{height} depth resampled to 2:1 "
                "(bilinear in disparity)"
            )
        meta["glb_frame"] = outputs.GLB_FRAME_DOC
    meta["files"] = sorted(p.name for k, p in paths.items() if k != "sidecar")
    if job is not None:
        meta["job"] = job
    outputs.write_sidecar(paths["sidecar"], meta)
