"""Writing predictions to disk: 16-bit PNG + JSON sidecar, .npy, .exr, previews, point clouds.

This module owns the set of files ``panodepth predict`` writes per input (their paths,
:func:`output_paths`; ``<name>`` may contain ``/``: sub-folders are created) and the
prediction-only formats; the depth formats themselves are :mod:`panodepth.io`'s. Every
write is atomic (:func:`panodepth.io.atomic.atomic_save`):

* ``<name>.png``: 16-bit depth, ``depth = value × scale`` (0 = invalid), written by
  :func:`panodepth.io.depth_png.write_depth_png`: the scale is stored in the PNG's text
  chunks (``panodepth:scale``, and the full metadata as JSON under ``panodepth``) *and* in
  ``<name>.json``; :func:`panodepth.io.depth_png.read_depth_png` reads both back.
* ``<name>.json``: the sidecar (scale, units, ``kind: "range"``, ``metric``, source,
  model, sizes, files, camera frame, and the ``job`` that made the files: source file with
  size and modification time, model, options). Written last; a re-run skips an input only
  when its sidecar records the same job and all its files exist (:func:`finished`); one
  that redoes it removes the files the old sidecar lists that it does not write again
  (:func:`previous_files`).
* ``<name>.npy``: float32 depth (H, W), 0 = invalid (:mod:`panodepth.io.npy`);
  ``<name>.exr``: the same as a single-channel float32 OpenEXR (channel ``"Z"``, ZIP
  compression; :mod:`panodepth.io.exr`).
* ``<name>_preview.png``: colourised inverse depth (near = warm with ``turbo``).
* ``<name>.ply``: binary little-endian point cloud (x, y, z float32; red, green, blue uint8)
  **in the camera frame of** :mod:`panodepth.geometry.sphere` (OpenCV: x right, y down,
  z forward; the panorama's centre column looks along +z), invalid depth dropped.
* ``<name>.glb``: the same points as a glTF 2.0 binary, converted to glTF's camera
  convention (y up, the view along −z): ``(x, y, z)_gltf = (x, −y, −z)_ours``, a 180°
  rotation about x (right-handed either way), so that a glTF viewer opening the file with
  its default orientation is upright and looks at the panorama's centre.
* ``<name>_mesh.glb``, ``<name>_mesh.ply``: the triangle mesh (:func:`depth_mesh`).

A near-2:1 map (an input within 2 % of 2:1, written at its own size, e.g. 1181×591) spans
the full sphere like any equirect map: its point cloud puts every pixel on its own ray
(:func:`point_cloud`), its mesh is built on the map resampled to exactly 2:1
(:func:`exact_equirect`).

Depth is always *range* (distance along the ray), in metres for metric models and in
relative units (median 1 unless scaled) for relative ones; see :mod:`.predictor`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import torch

from panodepth import geometry as geo
from panodepth.io.atomic import atomic_save
from panodepth.io.images import write_png
from panodepth.io.maps import as_depth_map

FORMATS: tuple[str, ...] = ("png16", "npy", "exr", "preview")
FRAME_DOC = "OpenCV camera frame: x right, y down, z forward (panorama centre column = +z)"
GLB_FRAME_DOC = "glTF: x right, y up, z backward (ours (x, y, z) -> (x, -y, -z))"


def output_paths(
    out_dir: str | os.PathLike, name: str, formats: list[str] | tuple[str, ...],
    ply: bool = False, glb: bool = False, mesh: bool = False,
) -> dict[str, Path]:  # fmt: skip
    """The files written for one input: ``{"png16": …, "sidecar": …, …}`` (sidecar always).

    ``name`` is a relative ``/``-separated path without suffix (an input's name from
    :func:`panodepth.io.collect_inputs`, e.g. ``sub/b`` → ``out_dir/sub/b.png``).
    """
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown output formats {sorted(unknown)}; choose from {FORMATS}")
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or ".." in parts:
        raise ValueError(f"output name {name!r} must be a relative path inside {out_dir}")
    base = Path(out_dir) / name
    suffix = {"png16": ".png", "npy": ".npy", "exr": ".exr", "preview": "_preview.png"}
    paths = {fmt: base.with_name(base.name + suffix[fmt]) for fmt in formats}
    if ply:
        paths["ply"] = base.with_name(base.name + ".ply")
    if glb:
        paths["glb"] = base.with_name(base.name + ".glb")
    if mesh:
        paths["mesh_glb"] = base.with_name(base.name + "_mesh.glb")
        paths["mesh_ply"] = base.with_name(base.name + "_mesh.ply")
    paths["sidecar"] = base.with_name(base.name + ".json")
    return paths


def previous_files(out_dir: str | os.PathLike, name: str) -> list[Path]:
    """The files that ``name``'s existing sidecar lists (its ``files``), as paths: those a
    previous run wrote for this input. Only names that :func:`output_paths` can give this
    input count (``<name>.ply``, ``<name>_preview.png``, …), so a sidecar edited by hand
    cannot point anywhere else; no sidecar, or an unreadable one, lists nothing."""
    every = output_paths(out_dir, name, FORMATS, ply=True, glb=True, mesh=True)
    sidecar = every.pop("sidecar")
    return listed_outputs(sidecar, {p.name: p for p in every.values()})


def listed_outputs(sidecar: Path, possible: Mapping[str, Path]) -> list[Path]:
    """The files that ``sidecar`` (a previous run's JSON) lists under ``files`` and that are
    among ``possible`` (listed name → path: every file the command can write for the input),
    so a hand-edited sidecar cannot point anywhere else; none without a readable sidecar.
    Shared by ``predict`` (:func:`previous_files`) and ``project``."""
    try:
        listed = json.loads(sidecar.read_text()).get("files")
    except (OSError, ValueError, AttributeError):
        return []
    if not isinstance(listed, list):
        return []
    return [possible[f] for f in listed if isinstance(f, str) and f in possible]


def model_identity(source: str | os.PathLike) -> str:
    """A model as a job names it: a file (or a pretrained folder's weights) by its absolute
    path, size and modification time, so a retrained file counts as another model; a name
    or hub id as given."""
    path = Path(source)
    if path.is_dir() and (path / "model.safetensors").is_file():
        path = path / "model.safetensors"
    if path.exists():
        st = path.stat()
        return f"{path.resolve()} ({st.st_size} bytes, modified {st.st_mtime_ns} ns)"
    return os.fspath(source)


def job_record(source: str | os.PathLike, model: str, options: dict[str, Any]) -> dict[str, Any]:
    """What made an input's files, as kept in its sidecar: the source file (absolute path,
    size, modification time), the model (:func:`model_identity`) and the options that
    change the outputs (JSON values)."""
    path = Path(source).resolve()
    st = path.stat()
    record = {
        "source": str(path), "size": st.st_size, "mtime_ns": st.st_mtime_ns,
        "model": model, "options": options,
    }  # fmt: skip
    return json.loads(json.dumps(record))  # as it reads back (tuples → lists)


def finished(paths: dict[str, Path], job: dict[str, Any]) -> bool:
    """Whether an input is done: its sidecar records this very ``job`` and every file of
    ``paths`` exists. Another image under the same name, another model, other options, or
    a missing file mean it is not."""
    try:
        meta = json.loads(paths["sidecar"].read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(meta, dict)
        and meta.get("job") == job
        and all(p.is_file() for p in paths.values())
    )


def png_scale(depth: np.ndarray, base: float) -> float:
    """``base`` metres (or units) per PNG step, or coarser if the largest depth would not fit."""
    top = float(np.max(depth, initial=0.0))
    return max(base, top / 65535.0)


PREVIEW_BAND = 256  # rows colourised at a time: memory stays O(width) for 8K+ panoramas


def _preview_scale(
    depth: np.ndarray | torch.Tensor, valid: np.ndarray | torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, float, float]:
    """``(inverse depth, mask, lo, hi)``: what the preview colours and its colour range (the
    2–98 % of the inverse depth over the whole map), shared by the preview and its bar."""
    from panodepth.viz import display_range

    d = torch.from_numpy(as_depth_map(depth))
    ok = torch.as_tensor(np.asarray(valid)).reshape(d.shape).bool() & (d > 0)
    inv = geo.safe_reciprocal(d, ok)
    return inv, ok, *display_range(inv, ok)


def write_preview(
    path: str | os.PathLike, depth: np.ndarray | torch.Tensor, valid: np.ndarray | torch.Tensor
) -> Path:
    """Colourised inverse depth (``viz.colorize``, turbo, 2–98 % range of the whole map),
    invalid = black; coloured in bands of :data:`PREVIEW_BAND` rows into one uint8 image."""
    from panodepth.viz import colorize  # lazy: matplotlib only when asked

    inv, ok, lo, hi = _preview_scale(depth, valid)
    out = np.empty((*inv.shape, 3), dtype=np.uint8)
    for top in range(0, inv.shape[0], PREVIEW_BAND):
        rows = slice(top, top + PREVIEW_BAND)
        rgb = colorize(inv[rows], ok[rows], lo, hi)
        out[rows] = (rgb.permute(1, 2, 0) * 255 + 0.5).to(torch.uint8).numpy()
    return write_png(path, out)


def write_colorbar(
    path: str | os.PathLike,
    depth: np.ndarray | torch.Tensor,
    valid: np.ndarray | torch.Tensor,
    label: str,
) -> Path:
    """The colour bar of :func:`write_preview`'s image of the same map, ticks in depth."""
    from panodepth.viz import depth_colorbar

    _, _, lo, hi = _preview_scale(depth, valid)
    return write_png(path, depth_colorbar(lo, hi, label))


def point_cloud(
    depth: np.ndarray | torch.Tensor,
    rgb: np.ndarray | torch.Tensor,
    valid: np.ndarray | torch.Tensor | None = None,
    stride: int = 1,
    max_points: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Coloured 3-D points of an equirect range map, in the camera frame of geometry.sphere.

    Every pixel is one point on its own ray (:func:`panodepth.geometry.equirect_rays`: the
    pixel centres of a W×H map spanning 360° × 180°), so a near-2:1 map (a 1181×591 input
    written at its own size) gives exact points too, one per valid pixel.

    Args:
        depth: (H, W) range (W = 2·H, or near it), 0 = invalid; rgb: (3, H, W) float in
            [0, 1] at the same size; valid: optional (H, W) mask (pixels with depth ≤ 0 are
            always dropped).
        stride: keep every ``stride``-th row and column.
        max_points: keep at most this many points (evenly spaced over the valid ones).

    Returns:
        ``(xyz, colours)``: (N, 3) float32 (x right, y down, z forward) and (N, 3) uint8.
    """
    d = torch.from_numpy(as_depth_map(depth))
    colours = torch.as_tensor(np.asarray(rgb, dtype=np.float32)).reshape(3, *d.shape)
    ok = torch.isfinite(d) & (d > 0)
    if valid is not None:
        ok &= torch.as_tensor(np.asarray(valid)).reshape(d.shape).bool()
    d = torch.where(ok, d, torch.zeros_like(d))
    xyz = d[..., None] * geo.equirect_rays(*d.shape, dtype=d.dtype)  # (H, W, 3), any W
    if stride > 1:
        xyz, ok, colours = (
            xyz[::stride, ::stride],
            ok[::stride, ::stride],
            colours[:, ::stride, ::stride],
        )
    pts = xyz[ok]
    cols = (colours.permute(1, 2, 0)[ok].clamp(0, 1) * 255 + 0.5).to(torch.uint8)
    if max_points is not None and pts.shape[0] > max_points:
        from panodepth.viz import evenly_spaced

        keep = evenly_spaced(pts.shape[0], max_points)
        pts, cols = pts[keep], cols[keep]
    return pts.numpy().astype(np.float32), cols.numpy()


def write_ply(path: str | os.PathLike, xyz: np.ndarray, colours: np.ndarray) -> Path:
    """Binary little-endian PLY: vertex x, y, z float32 and red, green, blue uint8."""
    from plyfile import PlyData, PlyElement

    vertex = np.empty(
        len(xyz),
        dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"),
               ("red", "u1"), ("green", "u1"), ("blue", "u1")],
    )  # fmt: skip
    for i, axis in enumerate("xyz"):
        vertex[axis] = xyz[:, i]
    for i, channel in enumerate(("red", "green", "blue")):
        vertex[channel] = colours[:, i]
    ply = PlyData(
        [PlyElement.describe(vertex, "vertex")],
        text=False,
        byte_order="<",
        comments=[f"panodepth point cloud; frame: {FRAME_DOC}"],
    )
    atomic_save(Path(path), ply.write)
    return Path(path)


def opencv_to_gltf(xyz: np.ndarray) -> np.ndarray:
    """Points from our camera frame (x right, y down, z forward) to glTF's (x right, y up,
    z backward): ``(x, −y, −z)``, a proper rotation (180° about x)."""
    return (xyz * np.array([1.0, -1.0, -1.0], dtype=np.float32)).astype(np.float32)


def write_glb(path: str | os.PathLike, xyz: np.ndarray, colours: np.ndarray) -> Path:
    """A coloured point cloud as glTF binary (``trimesh``), axes via :func:`opencv_to_gltf`."""
    import trimesh

    if len(xyz) == 0:
        raise ValueError(f"{path}: no valid points to write (the prediction is all invalid)")
    cloud = trimesh.PointCloud(opencv_to_gltf(xyz), colors=colours)
    blob = trimesh.Scene(cloud).export(file_type="glb")
    atomic_save(Path(path), lambda f: f.write(blob))
    return Path(path)


def depth_mesh(
    depth: np.ndarray | torch.Tensor,
    rgb: np.ndarray | torch.Tensor,
    valid: np.ndarray | torch.Tensor | None = None,
    stride: int = 1,
):
    """The coloured triangle mesh of an equirect range map (``trimesh.Trimesh`` in our camera
    frame; :func:`panodepth.geometry.mesh.equirect_mesh`: seam wrapped, poles closed,
    triangles across depth discontinuities removed, unused vertices dropped).

    The mesh is built on an exact 2:1 grid: a near-2:1 map (H×W, W ≠ 2·H) is first
    resampled to H × 2·H (:func:`exact_equirect`), since the mesh's grid, its seam and its
    ``stride`` are defined on W = 2·H."""
    import trimesh

    from panodepth.geometry.mesh import equirect_mesh

    d = torch.from_numpy(as_depth_map(depth))
    colours = torch.as_tensor(np.asarray(rgb, dtype=np.float32)).reshape(3, *d.shape)
    ok = torch.isfinite(d) & (d > 0)
    if valid is not None:
        ok &= torch.as_tensor(np.asarray(valid)).reshape(d.shape).bool()
    d, colours, ok = exact_equirect(d, colours, ok)
    mesh = equirect_mesh(d, ok, stride=stride)
    cols = (colours[:, ::stride, ::stride].reshape(3, -1).T.clamp(0, 1) * 255 + 0.5).to(torch.uint8)
    pixel = mesh.pixels.clamp_min(0)
    vertex_colours = cols[pixel].numpy()
    vertex_colours[mesh.pixels.numpy() < 0] = cols.float().mean(0).to(torch.uint8).numpy()
    rgba = np.concatenate([vertex_colours, np.full((len(vertex_colours), 1), 255, np.uint8)], 1)
    out = trimesh.Trimesh(
        mesh.vertices.numpy(), mesh.faces.numpy(), vertex_colors=rgba, process=False
    )
    out.remove_unreferenced_vertices()
    if len(out.faces) == 0:
        raise ValueError("no triangle to write (the prediction is all invalid)")
    return out


def exact_equirect(
    depth: torch.Tensor, rgb: torch.Tensor, valid: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(depth, rgb, valid)`` of an (H, W) equirect map on the exact 2:1 grid H × 2·H.

    A near-2:1 map (e.g. 1181×591, an input written at its own size) spans the full sphere
    like any equirect map; only its column step differs. Its range is resampled along the
    rows to 2·H columns bilinearly *in disparity* with invalid pixels kept out
    (:func:`~.predictor.resize_disparity`, as predictions are resized), its colours
    bilinearly. Maps that are already 2:1 are returned as they are.

    Args:
        depth: (H, W) range, 0 = invalid; rgb: (3, H, W); valid: (H, W) bool.
    """
    from .predictor import resize_disparity

    height, width = depth.shape
    if width == 2 * height:
        return depth, rgb, valid
    disparity = geo.safe_reciprocal(depth, valid)[None, None]
    disparity = resize_disparity(disparity, height, 2 * height)[0, 0]
    colours = torch.nn.functional.interpolate(
        rgb[None].float(), size=(height, 2 * height), mode="bilinear", align_corners=False
    )[0]
    return geo.safe_reciprocal(disparity), colours, disparity > 0


def write_mesh(glb_path: str | os.PathLike, ply_path: str | os.PathLike, mesh) -> None:
    """Write a mesh as GLB (glTF axes, :func:`opencv_to_gltf`) and binary PLY (our frame)."""
    gltf = mesh.copy()
    gltf.vertices = opencv_to_gltf(np.asarray(mesh.vertices, dtype=np.float32))
    glb = gltf.export(file_type="glb")
    atomic_save(Path(glb_path), lambda f: f.write(glb))
    ply = mesh.export(file_type="ply", encoding="binary")
    atomic_save(Path(ply_path), lambda f: f.write(ply))


def write_sidecar(path: str | os.PathLike, meta: dict[str, Any]) -> Path:
    """Write the JSON sidecar, atomically."""
    text = json.dumps(meta, indent=2)
    atomic_save(Path(path), lambda f: f.write(text.encode()))
    return Path(path)
