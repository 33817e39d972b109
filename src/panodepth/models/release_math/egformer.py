"""EGFormer's original tables and sampling, for any feature size.

Written from the formulas of the original code (yuniw18/EGformer, as vendored by the Depth
Anywhere release in ``baseline_models/EGformer``: ``VRPE`` / ``HRPE`` and PanoFormer's
``GridGenerator`` / ``PSA``), in the factored form that :mod:`panodepth.models.attention`
uses. The originals build them for 512×1024 only; the formulas take any size.

* ERP position bias: the score of stripe tokens i, j gets ``+0.1 · sign(j − i) · chord``
  (−1 for j = i), ``chord = √(2 − 2 cos Δ)`` on angles spaced ``linspace(0, N, N)·π/N``
  (columns: N = H, Δ in latitude) or ``·2π/N`` (rows: N = W, Δ in longitude), rows scaled by
  ``sin(k·π/H)`` for row k (0 on the first row). :func:`stripe_tables` returns it as
  ``(scale, table)`` with the bias ``−0.1 · scale[s] · table`` (panodepth's sign).
* PanoFormer pattern: a 3×3 kernel ``(tan(u·Δλ), tan(v·Δφ)/cos(v·Δλ))`` on the tangent plane
  at latitude ``(k/H − ½)·π`` (row k; latitude grows downwards) and longitude
  ``(j/W − ½)·2π``, mapped back with the inverse gnomonic projection using ``arctan`` (not
  ``atan2``) for the longitude, in pixel units ``(lat/π + ½)·H`` and ``(lon/2π + ½)·W mod W``.
  :func:`tangent_points` returns (u, v) = (column, row).
* Sampling (:func:`sample_taps`): a point p is read by ``grid_sample`` at ``2p/(n − 1) − 1``
  with ``align_corners=False`` (so at pixel ``p·n/(n − 1) − ½``), zeros outside — no wrap
  across the ±180° seam.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..attention import DIRECTIONS


def stripe_tables(
    height: int, width: int, direction: str, device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """The original ERP bias of an ``height × width`` map as ``(scale (S,), table (N, N))``:
    bias of stripe s = ``−0.1 · scale[s] · table`` (see the module docstring). Cached."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    return _stripe_tables(height, width, direction, torch.device(device or "cpu"), dtype)


@lru_cache(maxsize=64)
def _stripe_tables(
    height: int, width: int, direction: str, device: torch.device, dtype: torch.dtype | None
) -> tuple[Tensor, Tensor]:
    n, span = (height, math.pi) if direction == "vertical" else (width, 2 * math.pi)
    angles = np.linspace(0, n, n) * span / n
    delta = angles[None, :] - angles[:, None]  # [i, j] = angle_j − angle_i
    signed = np.where(delta > 0, 1.0, -1.0) * np.sqrt(2 * (1 - np.cos(delta)))
    if direction == "vertical":
        scale = np.ones(width)
    else:
        scale = np.sin(np.arange(height) * math.pi / height)
    dtype = dtype or torch.get_default_dtype()
    table = torch.from_numpy(-signed).to(device=device, dtype=dtype)
    return torch.from_numpy(scale).to(device=device, dtype=dtype), table


def tangent_points(
    height: int, width: int, device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:  # fmt: skip
    """PanoFormer's original 3×3 tangent pattern, (H, W, 9, 2) ``(u, v)`` in its pixel units
    (read them with :func:`sample_taps`), taps in row-major order. Cached."""
    return _tangent_points(height, width, torch.device(device or "cpu"), dtype)


@lru_cache(maxsize=32)
def _tangent_points(
    height: int, width: int, device: torch.device, dtype: torch.dtype | None
) -> Tensor:
    d_lat, d_lon = math.pi / height, 2 * math.pi / width
    taps = np.arange(-1, 2)
    ker_x, ker_y = np.meshgrid(np.tan(taps * d_lon), np.tan(taps * d_lat) / np.cos(taps * d_lon))
    rho = np.sqrt(ker_x**2 + ker_y**2)
    rho[1, 1] = 1e-8  # the centre tap (the original's guard against 0/0)
    nu = np.arctan(rho)
    lat0 = ((np.arange(height) / height) - 0.5) * np.pi
    lon0 = ((np.arange(width) / width) - 0.5) * (2 * np.pi)
    lat0 = lat0[:, None, None]
    lat = np.arcsin(np.cos(nu) * np.sin(lat0) + ker_y * np.sin(nu) * np.cos(lat0) / rho)
    lon = np.arctan(
        ker_x * np.sin(nu) / (rho * np.cos(lat0) * np.cos(nu) - ker_y * np.sin(lat0) * np.sin(nu))
    )  # (H, 3, 3)
    lon = lon[:, None] + lon0[None, :, None, None]  # (H, W, 3, 3)
    lat = np.broadcast_to(lat[:, None], lon.shape)
    v = (lat / np.pi + 0.5) * height
    u = ((lon / (2 * np.pi) + 0.5) * width) % width
    points = np.stack([u, v], -1).reshape(height, width, 9, 2).astype(np.float32)
    return torch.from_numpy(points).to(device=device, dtype=dtype or torch.get_default_dtype())


def sample_taps(values: Tensor, points: Tensor) -> Tensor:
    """The original's bilinear read of ``values`` (N, C, H, W) at ``points`` (G·N, H', W', 2)
    ``(u, v)`` (see the module docstring; zeros outside, no wrap). Returns (G·N, C, H', W');
    G > 1 groups of grids share the N maps, as :func:`panodepth.models.attention.sample_taps`."""
    h, w = values.shape[-2:]
    groups = points.shape[0] // values.shape[0]
    if groups * values.shape[0] != points.shape[0]:
        raise ValueError(f"{points.shape[0]} grids for {values.shape[0]} maps")
    if groups > 1:
        values = values.expand(groups, *values.shape).flatten(0, 1)
    gx = points[..., 0] * (2.0 / max(w - 1, 1)) - 1.0
    gy = points[..., 1] * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack((gx, gy), -1).to(values.dtype)
    return F.grid_sample(values, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
