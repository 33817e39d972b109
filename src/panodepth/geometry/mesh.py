"""Triangle meshes of equirect range maps: the grid wrapped at the ±180° seam, closed at the
poles, cut at depth discontinuities.

Conventions (as the rest of :mod:`panodepth.geometry`): the camera frame is x right, y down,
z forward; an equirect map is (H, W) with W = 2·H, pixel centres as in
:func:`~panodepth.geometry.sphere.equirect_rays`; range is metres along the ray, 0 = invalid.

The mesh connects each pixel to its right and lower neighbours (two triangles per grid
quad); column W − 1 connects to column 0 (the seam), and each pole gets one vertex on the
pole's ray at the mean range of the valid pixels of the first / last row, with a fan of
triangles to that row. A triangle is kept when its three vertices are valid and its range
ratio max / min ≤ 1 + ``k`` · Δ, where Δ = π / h is the angular step of the (strided) grid
in radians: a plane seen at an angle θ from its normal changes range by ≈ tan θ · Δ per step,
so ``k`` = :data:`DEFAULT_EDGE_K` (6) keeps surfaces seen up to ≈ 80° from their normal and
cuts larger jumps (object boundaries: no "flying" triangles). At 512 rows this is a 3.7 %
ratio, close to MoGe's ``utils3d`` default ``rtol`` (≈ 3–4 %) at its sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from .sphere import equirect_rays, lonlat_to_xyz

DEFAULT_EDGE_K = 6.0
"""Default ``k`` of the discontinuity rule (see the module doc)."""


@dataclass(frozen=True)
class EquirectMesh:
    """``vertices`` (V, 3) float32 in the camera frame; ``faces`` (F, 3) int64 vertex indices,
    wound consistently; ``pixels`` (V,) int64 flat index of each vertex's pixel in the
    (strided) map, −1 for the two pole vertices (the last two vertices)."""

    vertices: Tensor
    faces: Tensor
    pixels: Tensor


def equirect_mesh(
    range_map: Tensor,
    valid: Tensor | None = None,
    stride: int = 1,
    edge_k: float | None = DEFAULT_EDGE_K,
) -> EquirectMesh:
    """The triangle mesh of an (H, W) equirect range map (see the module doc).

    Args:
        range_map: (H, W) range in metres, W = 2·H; 0, negative or non-finite = invalid.
        valid: optional (H, W) bool mask of pixels to use.
        stride: keep every ``stride``-th row and column (W / stride must stay whole).
        edge_k: the discontinuity rule's ``k``; None keeps every triangle of valid vertices.

    Returns:
        The :class:`EquirectMesh`; vertices of dropped pixels stay in ``vertices`` but no face
        uses them (drop them with e.g. ``trimesh``'s ``remove_unreferenced_vertices``).
    """
    if range_map.ndim != 2 or range_map.shape[1] != 2 * range_map.shape[0]:
        raise ValueError(f"range_map must be (H, 2·H), got {tuple(range_map.shape)}")
    if stride < 1 or range_map.shape[1] % stride:
        raise ValueError(f"stride must be ≥ 1 and divide W = {range_map.shape[1]}, got {stride}")
    height, width = range_map.shape
    r = range_map.float()
    ok = torch.isfinite(r) & (r > 0)
    if valid is not None:
        ok &= valid.bool().reshape(r.shape)
    rays = equirect_rays(height, width, device=r.device)  # (H, W, 3)
    r, ok, rays = r[::stride, ::stride], ok[::stride, ::stride], rays[::stride, ::stride]
    h, w = r.shape
    r = torch.where(ok, r, torch.zeros_like(r))
    grid = (rays * r[..., None]).reshape(-1, 3)

    poles, pole_ok, pole_r = [], [], []
    for row, lat in ((0, math.pi / 2), (h - 1, -math.pi / 2)):
        ring_ok = ok[row]
        mean = r[row][ring_ok].mean() if bool(ring_ok.any()) else r.new_zeros(())
        direction = lonlat_to_xyz(r.new_zeros(()), r.new_tensor(lat))
        poles.append(direction * mean)
        pole_ok.append(bool(ring_ok.any()))
        pole_r.append(mean)
    vertices = torch.cat([grid, torch.stack(poles)])
    all_r = torch.cat([r.reshape(-1), torch.stack(pole_r)])
    all_ok = torch.cat([ok.reshape(-1), torch.tensor(pole_ok, device=r.device)])

    idx = torch.arange(h * w, device=r.device).reshape(h, w)
    right = torch.roll(idx, -1, dims=1)  # column W − 1 joins column 0: the seam
    a, b = idx[:-1], right[:-1]
    c, d = idx[1:], right[1:]
    quads = torch.cat(
        [torch.stack([a, c, b], -1).reshape(-1, 3), torch.stack([b, c, d], -1).reshape(-1, 3)]
    )
    top, bottom = h * w, h * w + 1
    fan_top = torch.stack([torch.full((w,), top), idx[0], right[0]], -1)
    fan_bottom = torch.stack([torch.full((w,), bottom), right[-1], idx[-1]], -1)
    faces = torch.cat([quads, fan_top.to(quads), fan_bottom.to(quads)])

    keep = all_ok[faces].all(dim=1)
    if edge_k is not None:
        fr = all_r[faces]
        ratio = fr.max(dim=1).values / fr.min(dim=1).values.clamp_min(1e-12)
        keep &= ratio <= 1 + edge_k * math.pi / h
    pixels = torch.cat([idx.reshape(-1), torch.full((2,), -1, device=r.device)])
    return EquirectMesh(vertices, faces[keep], pixels)
