"""Sampling an equirect image at arbitrary directions, seam- and pole-correct.

``grid_sample`` alone treats an equirect image as a flat rectangle: bilinear samples within
half a pixel of the ±180° seam or of the poles would be clamped to the border. This module
samples with ``grid_sample`` (fast, differentiable w.r.t. image and grid) and then recomputes
just those few border samples with the sphere's real neighbours: column −1 is column W−1, and
the row above row 0 is row 0 seen across the pole (longitude + π). No padded copy of the
image is made.

Conventions: grids are ``grid_sample`` coordinates with ``align_corners=False`` as defined in
:mod:`panodepth.geometry.sphere` (``gx = lon/π``, ``gy = −2·lat/π``). Low-precision images
(float16/bfloat16) are sampled in float32, because a float16 grid cannot address pixels of a
1024-wide image exactly, and returned in their own dtype.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

SAMPLING_MODES = ("bilinear", "nearest")
"""Interpolation modes of the projections (``grid_sample`` modes that suit images)."""


def border_samples(grid: Tensor, height: int, width: int) -> tuple[Tensor, Tensor]:
    """Indices of the samples whose bilinear footprint crosses the seam or a pole.

    Args:
        grid: (G, h, w, 2) sampling grid.

    Returns:
        ``(g, m)``: grid batch indices and flat indices into ``h·w`` of those samples.
    """
    flat = grid.reshape(grid.shape[0], -1, 2)
    gx, gy = flat[..., 0], flat[..., 1]
    near = (gx.abs() > 1 - 1 / width) | (gy.abs() > 1 - 1 / height)
    g, m = near.nonzero(as_tuple=True)
    return g, m


def sample_equirect(
    img: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    border: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """Sample an equirect image at grid positions, wrapping the seam and crossing the poles.

    Args:
        img: (B, C, H, W) equirect image (validated by the caller).
        grid: (B or 1, h, w, 2) normalised coordinates (see module docstring).
        mode: ``"bilinear"`` or ``"nearest"``.
        border: precomputed :func:`border_samples` of ``grid`` (for cached grids).

    Returns:
        (B, C, h, w) samples, in the dtype of ``img``.
    """
    dtype = img.dtype
    if dtype in (torch.float16, torch.bfloat16):
        img = img.float()
    if grid.dtype != img.dtype:
        grid = grid.to(img.dtype)
    b, _, height, width = img.shape
    out = F.grid_sample(
        img,
        grid.expand(b, -1, -1, -1),
        mode=mode,
        padding_mode="border",
        align_corners=False,
    )
    if mode == "bilinear":
        g, m = border_samples(grid, height, width) if border is None else border
        if g.numel():
            _resample_border(out, img, grid, g, m)
    return out.to(dtype)


def _resample_border(out: Tensor, img: Tensor, grid: Tensor, g: Tensor, m: Tensor) -> None:
    """Overwrite ``out`` at the border samples with sphere-correct bilinear values."""
    b, c, height, width = img.shape
    coords = grid.reshape(grid.shape[0], -1, 2)[g, m]  # (M, 2), differentiable w.r.t. grid
    if grid.shape[0] == 1 and b > 1:  # one grid shared by the batch
        bi = torch.arange(b, device=img.device).repeat_interleave(m.numel())
        m = m.repeat(b)
        coords = coords.repeat(b, 1)
    else:
        bi = g
    px = (coords[:, 0] + 1) * (width / 2) - 0.5
    py = (coords[:, 1] + 1) * (height / 2) - 0.5
    x0, y0 = px.detach().floor(), py.detach().floor()
    fx, fy = px - x0, py - y0
    x0, y0 = x0.long(), y0.long()
    value = 0
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            rows, cols = y0 + dy, x0 + dx
            # across a pole: row −1 is row 0 (and row H is row H−1) on the opposite meridian
            flip = (rows < 0) | (rows >= height)
            rows = torch.where(rows < 0, -1 - rows, rows)
            rows = torch.where(rows >= height, 2 * height - 1 - rows, rows)
            cols = torch.where(flip, cols + width // 2, cols).remainder(width)
            value = value + (wx * wy).unsqueeze(-1) * img[bi, :, rows, cols]
    out.view(b, c, -1).transpose(1, 2)[bi, m] = value.to(out.dtype)
