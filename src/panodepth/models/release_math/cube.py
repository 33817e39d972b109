"""The release's cube projections, as :class:`~.tables.GatherTable` s for any size.

Four maps, each written from the formulas of the Depth Anywhere release (read, not copied:
``baseline_models/UniFuse/datasets/util.py`` = ``utils/Projection/py360converter.py``,
``baseline_models/UniFuse/networks/layers.py``, ``utils/Projection/{Equirec2Cube,
Cube2Equirec}.py``) and computed in NumPy with the release's dtypes, so that ties and
roundings fall the same way:

* :func:`py360_cube_table` — UniFuse's input cube (faces F, R, B, L, U, D, face side S):
  face pixel (i, j) looks along the cube point ``linspace(−½, ½, S)`` (pixel centres *on* the
  face edges), converted to equirect pixel coordinates ``x = (lon/2π + ½)·W − ½``,
  ``y = (−lat/π + ½)·H − ½``, and read bilinearly from the panorama with one extra row below
  (the last row rolled by W/2) and one above (the first row rolled by W/2), with SciPy's
  ``map_coordinates(order=1, mode="wrap")`` rule for coordinates outside [0, n − 1]: they are
  shifted by n − 1 (not n), so a coordinate in [−½, 0) reads between the last two samples of
  that axis. At the top of the U face this mixes the rolled last row into the first — a quirk
  the trained weights have seen, kept here.
* :func:`unifuse_stitch_table` — UniFuse's ``Cube2Equirec``: each equirect pixel belongs to
  one face (quarter columns rolled by 3W/8 for F, R, B, L; U and D above/below
  ``H/2 − round(atan(cos λ)·H/π)`` rows with λ = ``linspace(−π, π, W/4)/4``), its face
  coordinates are ``0.5·tan``-based and clipped to the face, and the face is read bilinearly
  with corner-aligned pixels (``align_corners=True``, border clamping).
* :func:`bifuse_cube_table` — BiFuse++'s ``Equirec2Cube``: six 90° pinhole faces (K with
  f = S/2, centre (S − 1)/2) rotated by Rodrigues vectors (back, down, front, left, right,
  top — the release's order), read from the panorama with corner-aligned longitude
  ``lon/π`` and latitude ``lat/(π/2)`` (``align_corners=True``, zeros outside).
* :func:`bifuse_stitch_table` — BiFuse++'s ``Cube2Equirec``: corner-aligned equirect rays
  (``θ = (j/(W − 1) − ½)·2π``, ``φ = (i/(H − 1) − ½)·π``), each on the nearest cube plane
  along the ray, projected into that face and clipped to it, read bilinearly
  (``align_corners=True``).

Shapes: a table from a panorama maps (…, H·W) to (…, 6, S, S); a stitch table maps
(…, 6·S·S) to (…, H, W). Tables are cached per (size, device) and hold no batch dimension.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from .tables import GatherTable, bilinear_taps

# BiFuse++'s Equirec2Cube / Cube2Equirec face rotations (Rodrigues vectors, radians)
_BIFUSE_CUBE_RVECS = np.array(
    [[0, -180.0, 0], [90.0, 0, 0], [0, 0, 0], [0, 90, 0], [0, -90, 0], [-90, 0, 0]], np.float32
) / 180.0 * np.pi  # fmt: skip
_BIFUSE_STITCH_RVECS = np.array(
    [[0, 1, 0], [0.5, 0, 0], [0, 0, 0], [0, 0.5, 0], [0, -0.5, 0], [-0.5, 0, 0]]
) * np.pi  # fmt: skip
# planes (a, b, c, d) of the stitch's cube faces, a·x + b·y + c·z + d = 0, in the same order
_BIFUSE_PLANES = np.array(
    [[0, 0, 1, 1], [0, 1, 0, -1], [0, 0, 1, -1], [1, 0, 0, 1], [1, 0, 0, -1], [0, 1, 0, 1]],
    np.float64,
)
BIFUSE_FACE_NAMES = ("back", "down", "front", "left", "right", "top")


def rodrigues(rvec: np.ndarray) -> np.ndarray:
    """The 3×3 rotation of an axis-angle vector (OpenCV's ``Rodrigues``), in float64."""
    rvec = np.asarray(rvec, np.float64)
    theta = float(np.linalg.norm(rvec))
    if theta < 1e-300:
        return np.eye(3)
    k = rvec / theta
    cross = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.cos(theta) * np.eye(3) + (1 - np.cos(theta)) * np.outer(k, k) + np.sin(theta) * cross


# ------------------------------------------------------------------------------------ UniFuse


def py360_cube_table(height: int, width: int, face: int, device: torch.device) -> GatherTable:
    """UniFuse's input cube from a ``height × width`` panorama: (…, H·W) → (…, 6, S, S)."""
    return _py360_cube_table(int(height), int(width), int(face), torch.device(device))


@lru_cache(maxsize=16)
def _py360_cube_table(height: int, width: int, face: int, device: torch.device) -> GatherTable:
    if face < 2 or height < 2 or width < 2:
        raise ValueError(f"the release's cube needs faces of ≥ 2 px, got {face} ({height}×{width})")
    rng = np.linspace(-0.5, 0.5, num=face, dtype=np.float32)
    gx, gy = np.meshgrid(rng, -rng)  # gx along columns, gy = −rng along rows
    half = np.full_like(gx, 0.5)
    xyz = [  # (x, y, z) of faces F, R, B, L, U, D; y up, as py360convert
        (gx, gy, half),
        (half, gy, gx[:, ::-1]),
        (gx[:, ::-1], gy, -half),
        (-half, gy, gx),
        (gx[::-1], half, gy[::-1]),
        (gx, -half, gy),
    ]
    x, y, z = (np.stack([f[k] for f in xyz]) for k in range(3))  # (6, S, S) float32
    lon = np.arctan2(x, z)
    lat = np.arctan2(y, np.sqrt(x**2 + z**2))
    cx = ((lon / (2 * np.pi) + 0.5) * width - 0.5).astype(np.float64)
    cy = ((-lat / np.pi + 0.5) * height - 0.5).astype(np.float64)
    cx, cy = _scipy_wrap(cx, width), _scipy_wrap(cy, height + 2)
    cols, rows, weights, _ = bilinear_taps(cx, cy, width, height + 2)
    cols = np.minimum(cols, width - 1)  # a tap past the last sample has weight 0
    rows = np.minimum(rows, height + 1)
    # padded rows: H = last row rolled by W/2, H + 1 = first row rolled by W/2
    rolled = (cols - width // 2) % width
    src_rows = np.where(rows == height, height - 1, np.where(rows == height + 1, 0, rows))
    src_cols = np.where(rows >= height, rolled, cols)
    index = src_rows * width + src_cols
    return GatherTable.from_numpy(index, weights, (6, face, face), height * width, device)


def _scipy_wrap(c: np.ndarray, n: int) -> np.ndarray:
    """SciPy ``map_coordinates`` ``mode="wrap"``: coordinates outside [0, n − 1] are moved
    by multiples of n − 1 (the first and last samples are taken to coincide)."""
    period = n - 1
    low = c < 0
    high = c > period
    out = c.copy()
    out[low] = c[low] + period * (np.trunc(-c[low] / period) + 1)
    out[high] = c[high] - period * np.trunc(c[high] / period)
    return out


def unifuse_stitch_table(face: int, height: int, width: int, device: torch.device) -> GatherTable:
    """UniFuse's ``Cube2Equirec``: (…, 6·S·S) faces F, R, B, L, U, D → (…, H, W)."""
    return _unifuse_stitch_table(int(face), int(height), int(width), torch.device(device))


@lru_cache(maxsize=32)
def _unifuse_stitch_table(face: int, height: int, width: int, device: torch.device) -> GatherTable:
    if width < 4 or width % 4:
        raise ValueError(f"the release's cube stitching needs W % 4 == 0, got W = {width}")
    quarter = width // 4
    face_type = np.roll(np.arange(4).repeat(quarter)[None, :].repeat(height, 0), 3 * width // 8, 1)
    lam = np.linspace(-np.pi, np.pi, quarter) / 4
    top_rows = height // 2 - np.round(np.arctan(np.cos(lam)) * height / np.pi).astype(int)
    up = np.arange(height)[:, None] < top_rows[None, :]  # (H, W/4)
    up = np.roll(np.concatenate([up] * 4, 1), 3 * width // 8, 1)
    face_type[up] = 4
    face_type[np.flip(up, 0)] = 5

    lon = ((np.linspace(0, width - 1, num=width, dtype=np.float32) + 0.5) / width - 0.5) * 2 * np.pi
    lat = -((np.linspace(0, height - 1, num=height, dtype=np.float32) + 0.5) / height - 0.5) * np.pi
    lon, lat = np.meshgrid(lon, lat)
    u = np.zeros((height, width), np.float32)
    v = np.zeros((height, width), np.float32)
    for i in range(4):
        m = face_type == i
        u[m] = 0.5 * np.tan(lon[m] - np.pi * i / 2)
        v[m] = -0.5 * np.tan(lat[m]) / np.cos(lon[m] - np.pi * i / 2)
    m = face_type == 4
    c = 0.5 * np.tan(np.pi / 2 - lat[m])
    u[m], v[m] = c * np.sin(lon[m]), c * np.cos(lon[m])
    m = face_type == 5
    c = 0.5 * np.tan(np.pi / 2 - np.abs(lat[m]))
    u[m], v[m] = c * np.sin(lon[m]), -c * np.cos(lon[m])
    u = np.clip(u, -0.5, 0.5) * 2
    v = np.clip(v, -0.5, 0.5) * 2

    px = (u.astype(np.float64) + 1) / 2 * (face - 1)  # align_corners=True, border clamping
    py = (v.astype(np.float64) + 1) / 2 * (face - 1)
    cols, rows, weights, _ = bilinear_taps(px, py, face, face)
    cols, rows = np.clip(cols, 0, face - 1), np.clip(rows, 0, face - 1)
    index = face_type[None] * face * face + rows * face + cols
    return GatherTable.from_numpy(index, weights, (height, width), 6 * face * face, device)


# ------------------------------------------------------------------------------------ BiFuse++


def bifuse_cube_table(height: int, device: torch.device) -> GatherTable:
    """BiFuse++'s ``Equirec2Cube`` of an H × 2H panorama: (…, H·2H) → (…, 6, H/2, H/2), faces
    in :data:`BIFUSE_FACE_NAMES` order."""
    return _bifuse_cube_table(int(height), torch.device(device))


@lru_cache(maxsize=16)
def _bifuse_cube_table(height: int, device: torch.device) -> GatherTable:
    width, face = 2 * height, height // 2
    if face < 1:
        raise ValueError(f"the release's cube needs H ≥ 2, got {height}")
    f = 0.5 * face / np.tan(0.5 * (90.0 / 180.0 * np.pi))
    c = (face - 1) / 2
    k_inv = np.linalg.inv(np.array([[f, 0, c], [0, f, c], [0, 0, 1]], np.float32))
    j, i = np.meshgrid(np.arange(face), np.arange(face))
    pix = np.stack([j, i, np.ones_like(j)], -1)
    rays = pix @ k_inv.T
    rays = rays / np.linalg.norm(rays, axis=-1, keepdims=True)
    lon, lat = [], []
    for rvec in _BIFUSE_CUBE_RVECS:
        d = rays @ rodrigues(rvec).astype(np.float32)  # rows: points, not cameras (as there)
        lon.append((np.arctan2(d[..., 0], d[..., 2]) / np.pi).astype(np.float32))
        lat.append((np.arcsin(d[..., 1]) / (0.5 * np.pi)).astype(np.float32))
    gx = (np.stack(lon).astype(np.float64) + 1) / 2 * (width - 1)  # align_corners=True
    gy = (np.stack(lat).astype(np.float64) + 1) / 2 * (height - 1)
    cols, rows, weights, inside = bilinear_taps(gx, gy, width, height)
    weights = np.where(inside, weights, 0.0)  # zeros outside
    index = np.clip(rows, 0, height - 1) * width + np.clip(cols, 0, width - 1)
    return GatherTable.from_numpy(index, weights, (6, face, face), height * width, device)


def bifuse_stitch_table(face: int, height: int, width: int, device: torch.device) -> GatherTable:
    """BiFuse++'s ``Cube2Equirec``: (…, 6·S·S) faces in :data:`BIFUSE_FACE_NAMES` order →
    (…, H, W). The release builds it for W = 2H, H = 2S; any sizes work here (H ≥ 2)."""
    return _bifuse_stitch_table(int(face), int(height), int(width), torch.device(device))


@lru_cache(maxsize=32)
def _bifuse_stitch_table(face: int, height: int, width: int, device: torch.device) -> GatherTable:
    if height < 2 or width < 2:
        raise ValueError(f"the release's cube stitching needs H, W ≥ 2, got {height}×{width}")
    theta = (np.arange(width) / (width - 1) - 0.5) * 2 * np.pi
    phi = (np.arange(height) / (height - 1) - 0.5) * np.pi
    theta, phi = np.meshgrid(theta, phi)
    xyz = np.stack([np.sin(theta) * np.cos(phi), np.sin(phi), np.cos(theta) * np.cos(phi)], -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        depth = -_BIFUSE_PLANES[:, 3] / (xyz @ _BIFUSE_PLANES[:, :3].T)  # (H, W, 6)
    depth[depth < 0] = np.inf
    arg = np.argmin(depth, axis=-1)
    pts = np.min(depth, axis=-1)[..., None] * xyz
    f = face / 2.0
    k = np.array([[f, 0, (face - 1) / 2.0], [0, f, (face - 1) / 2.0], [0, 0, 1]])
    px = np.zeros((height, width))
    py = np.zeros((height, width))
    for i, rvec in enumerate(_BIFUSE_STITCH_RVECS):
        m = arg == i
        p = pts[m] @ rodrigues(rvec).T @ k.T
        xy = np.clip(p[:, :2] / p[:, 2:], 0, face - 1).astype(np.float32)  # stored as float32
        px[m], py[m] = xy[:, 0], xy[:, 1]
    cols, rows, weights, inside = bilinear_taps(px, py, face, face)
    weights = np.where(inside, weights, 0.0)  # zeros outside (only weight-0 taps at the edge)
    cols, rows = np.clip(cols, 0, face - 1), np.clip(rows, 0, face - 1)
    index = arg[None] * face * face + rows * face + cols
    return GatherTable.from_numpy(index, weights, (height, width), 6 * face * face, device)
