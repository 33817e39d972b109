"""Writing predictions to disk: 16-bit PNG + JSON sidecar, .npy, .exr, previews, point clouds.

This module owns the on-disk formats of ``panodepth predict`` (one file per format and
input, every write atomic through :func:`panodepth.data.imageio.atomic_save`):

* ``<name>.png``: 16-bit depth, ``depth = value × scale`` (0 = invalid). The scale is stored
  in the PNG's text chunks (``panodepth:scale``, and the full metadata as JSON under
  ``panodepth``) *and* in ``<name>.json``; :func:`read_depth_png16` reads both back.
* ``<name>.json``: the sidecar (scale, units, ``kind: "range"``, ``metric``, source,
  model, sizes, files, camera frame). Written last: its presence marks a finished input.
* ``<name>.npy``: float32 depth (H, W), 0 = invalid; ``<name>.exr``: the same as a
  single-channel float32 OpenEXR (channel ``"Z"``, ZIP compression).
* ``<name>_preview.png``: colourised inverse depth (near = warm with ``turbo``).
* ``<name>.ply``: binary little-endian point cloud (x, y, z float32; red, green, blue uint8)
  **in the camera frame of** :mod:`panodepth.geometry.sphere` (OpenCV: x right, y down,
  z forward; the panorama's centre column looks along +z), invalid depth dropped.
* ``<name>.glb``: the same points as a glTF 2.0 binary, converted to glTF's camera
  convention (y up, the view along −z): ``(x, y, z)_gltf = (x, −y, −z)_ours``, a 180°
  rotation about x (right-handed either way), so that a glTF viewer opening the file with
  its default orientation is upright and looks at the panorama's centre.

Depth is always *range* (distance along the ray), in metres for metric models and in
relative units (median 1 unless scaled) for relative ones; see :mod:`.predictor`.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, PngImagePlugin

from panodepth import geometry as geo
from panodepth.data.imageio import atomic_save, write_png
from panodepth.viz import colorize

FORMATS: tuple[str, ...] = ("png16", "npy", "exr", "preview")
FRAME_DOC = "OpenCV camera frame: x right, y down, z forward (panorama centre column = +z)"
GLB_FRAME_DOC = "glTF: x right, y up, z backward (ours (x, y, z) -> (x, -y, -z))"


def output_paths(
    out_dir: str | os.PathLike, name: str, formats: list[str] | tuple[str, ...],
    ply: bool = False, glb: bool = False,
) -> dict[str, Path]:  # fmt: skip
    """The files written for one input: ``{"png16": …, "sidecar": …, …}`` (sidecar always)."""
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown output formats {sorted(unknown)}; choose from {FORMATS}")
    base = Path(out_dir) / name
    suffix = {"png16": ".png", "npy": ".npy", "exr": ".exr", "preview": "_preview.png"}
    paths = {fmt: base.with_name(base.name + suffix[fmt]) for fmt in formats}
    if ply:
        paths["ply"] = base.with_name(base.name + ".ply")
    if glb:
        paths["glb"] = base.with_name(base.name + ".glb")
    paths["sidecar"] = base.with_name(base.name + ".json")
    return paths


def _as_hw(depth: np.ndarray | torch.Tensor) -> np.ndarray:
    arr = depth.detach().float().cpu().numpy() if isinstance(depth, torch.Tensor) else depth
    arr = np.asarray(arr, dtype=np.float32)
    return arr.reshape(arr.shape[-2:])


def png_scale(depth: np.ndarray, base: float) -> float:
    """``base`` metres (or units) per PNG step, or coarser if the largest depth would not fit."""
    top = float(np.max(depth, initial=0.0))
    return max(base, top / 65535.0)


def write_depth_png16(
    path: str | os.PathLike, depth: np.ndarray | torch.Tensor, scale: float,
    meta: dict[str, Any] | None = None,
) -> Path:  # fmt: skip
    """Write depth as a 16-bit PNG holding ``round(depth / scale)`` with the scale in text chunks.

    Args:
        depth: (H, W) or (1, H, W) depth; 0 or non-finite = invalid (written as 0).
        scale: depth units per PNG step; values that would not fit in 16 bits raise.
        meta: extra metadata stored as JSON in the ``panodepth`` text chunk.
    """
    path = Path(path)
    d = _as_hw(depth)
    d = np.where(np.isfinite(d) & (d > 0), d, 0.0)
    units = np.round(d / scale)
    if units.max(initial=0) > 65535:
        raise ValueError(f"{path}: depth up to {d.max():.4g} does not fit 16 bits at scale {scale}")
    arr = units.astype(np.uint16)
    info = PngImagePlugin.PngInfo()
    info.add_text("panodepth:scale", repr(float(scale)))
    info.add_text("panodepth", json.dumps({**(meta or {}), "scale": float(scale)}))
    atomic_save(path, lambda f: Image.fromarray(arr).save(f, format="PNG", pnginfo=info))
    return path


def read_depth_png16(path: str | os.PathLike) -> tuple[np.ndarray, dict[str, Any]]:
    """Read a depth PNG written by :func:`write_depth_png16`: ``(depth float32 (H, W), meta)``."""
    with Image.open(path) as im:
        im.load()
        text = dict(getattr(im, "text", {}))
        arr = np.asarray(im)
    if "panodepth:scale" not in text:
        raise ValueError(f"{path}: no panodepth:scale text chunk (not written by panodepth?)")
    meta = json.loads(text.get("panodepth", "{}"))
    scale = float(text["panodepth:scale"])
    meta["scale"] = scale
    return arr.astype(np.float32) * np.float32(scale), meta


def write_npy(path: str | os.PathLike, depth: np.ndarray | torch.Tensor) -> Path:
    """Write depth as a float32 (H, W) ``.npy``, atomically."""
    arr = _as_hw(depth)
    atomic_save(Path(path), lambda f: np.save(f, arr, allow_pickle=False))
    return Path(path)


def write_exr(
    path: str | os.PathLike, depth: np.ndarray | torch.Tensor, channel: str = "Z"
) -> Path:
    """Write depth as a single-channel float32 OpenEXR (ZIP compressed), atomically."""
    import OpenEXR

    path = Path(path)
    arr = np.ascontiguousarray(_as_hw(depth))
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".exr", dir=path.parent)
    os.close(fd)
    try:
        with OpenEXR.File(header, {channel: arr}) as exr:
            exr.write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_exr(path: str | os.PathLike, channel: str = "Z") -> np.ndarray:
    """Read one channel of an OpenEXR file as a float32 (H, W) array."""
    import OpenEXR

    with OpenEXR.File(str(path)) as exr:
        return np.asarray(exr.channels()[channel].pixels, dtype=np.float32)


def write_preview(
    path: str | os.PathLike, depth: np.ndarray | torch.Tensor, valid: np.ndarray | torch.Tensor
) -> Path:
    """Colourised inverse depth (``viz.colorize``, turbo, 2–98 % range), invalid = black."""
    d = torch.from_numpy(_as_hw(depth))
    ok = torch.as_tensor(np.asarray(valid)).reshape(d.shape).bool() & (d > 0)
    inv = torch.where(ok, 1.0 / torch.where(ok, d, torch.ones_like(d)), torch.zeros_like(d))
    return write_png(path, colorize(inv, ok))


def point_cloud(
    depth: np.ndarray | torch.Tensor,
    rgb: np.ndarray | torch.Tensor,
    valid: np.ndarray | torch.Tensor | None = None,
    stride: int = 1,
    max_points: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Coloured 3-D points of an equirect range map, in the camera frame of geometry.sphere.

    Args:
        depth: (H, W) range (W = 2·H), 0 = invalid; rgb: (3, H, W) float in [0, 1] at the
            same size; valid: optional (H, W) mask (pixels with depth ≤ 0 are always dropped).
        stride: keep every ``stride``-th row and column.
        max_points: keep at most this many points (evenly spaced over the valid ones).

    Returns:
        ``(xyz, colours)``: (N, 3) float32 (x right, y down, z forward) and (N, 3) uint8.
    """
    d = torch.from_numpy(_as_hw(depth))
    colours = torch.as_tensor(np.asarray(rgb, dtype=np.float32)).reshape(3, *d.shape)
    ok = torch.isfinite(d) & (d > 0)
    if valid is not None:
        ok &= torch.as_tensor(np.asarray(valid)).reshape(d.shape).bool()
    d = torch.where(ok, d, torch.zeros_like(d))
    xyz = geo.range_to_points(d[None, None])[0]  # (H, W, 3)
    if stride > 1:
        xyz, ok, colours = (
            xyz[::stride, ::stride],
            ok[::stride, ::stride],
            colours[:, ::stride, ::stride],
        )
    pts = xyz[ok]
    cols = (colours.permute(1, 2, 0)[ok].clamp(0, 1) * 255 + 0.5).to(torch.uint8)
    if max_points is not None and pts.shape[0] > max_points:
        keep = torch.linspace(0, pts.shape[0] - 1, max_points).round().long()
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


def write_sidecar(path: str | os.PathLike, meta: dict[str, Any]) -> Path:
    """Write the JSON sidecar, atomically."""
    text = json.dumps(meta, indent=2)
    atomic_save(Path(path), lambda f: f.write(text.encode()))
    return Path(path)
