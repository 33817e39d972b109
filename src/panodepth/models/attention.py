"""Attention operators of the equirect transformers (EGFormer's stripe attention, PanoFormer's
tangent-pattern attention), written for memory: no attention map of a whole layer is ever held.

Equirect-geometry-biased stripe attention (Yun et al., "EGformer", ICCV 2023, §3):

* Tokens attend within a *stripe*: one image row (``"horizontal"``, EH) or one column
  (``"vertical"``, EV) — stripe width 1, as in the released model.
* ERP relative position bias: the score of a query/key pair gets ``-level · chord(i, j)``, where
  ``chord = |r_i - r_j|`` is the straight-line (chord) distance between the two pixels' unit
  rays on the sphere, ``2 sin(γ/2)`` for great-circle angle γ (rays from
  :func:`panodepth.geometry.equirect_rays`). Within a row at latitude φ the chord is
  ``cos φ · chord_equator(Δlon)``, so a row bias is a per-row scale times one ``W × W`` table,
  and a column bias is one ``H × H`` table shared by all columns: the tables are tiny and
  cached per (size, device, dtype), never parameters.
* Distance-aware scores ("1 − cos" attention, DAS): the biased scores ``s = q·kᵀ + bias`` of a
  query are L2-normalised over its keys and mapped to ``w = 1 − cos(π/2 · ŝ)`` ∈ [0, 1];
  ``w`` weights the values directly (no softmax).
* Equirect-aware adaptive re-weighting (EaAR): each stripe's importance is the mean ``|s|``
  over its heads, queries and keys; it is divided by the largest importance **of the same
  sample** and clamped to [0.5, 1] (``M``). The stripe's attention output is scaled by ``M``
  and the block input is added back scaled by ``1 − M`` (see :class:`EGBlock` in
  :mod:`.egformer`).

Memory: the scores of a chunk of stripes (at most ``max_elements`` score entries) are built,
used and dropped before the next chunk; with gradients enabled each chunk runs under
:func:`torch.utils.checkpoint.checkpoint`, so backward stores only q, k, v and recomputes the
chunk's scores. ``scaled_dot_product_attention`` cannot be used: the weights are not a softmax.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.checkpoint import checkpoint

from panodepth.geometry import (
    equirect_lonlat,
    equirect_rays,
    lonlat_to_equirect_pixel,
    lonlat_to_xyz,
)

DIRECTIONS = ("horizontal", "vertical")
MAX_ELEMENTS = 1 << 22  # score entries per chunk (16 MiB in float32)


def stripe_chord_tables(
    height: int,
    width: int,
    direction: str,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[Tensor, Tensor]:
    """Chord distances between the pixels of each stripe of an ``height × width`` equirect map.

    Args:
        height, width: feature-map size (W = 2·H not required).
        direction: ``"horizontal"`` (stripes are rows) or ``"vertical"`` (stripes are columns).

    Returns:
        ``(scale, table)``: ``scale`` (S,) per stripe and ``table`` (N, N), such that the chord
        between pixels i and j of stripe s is ``scale[s] · table[i, j]``; S stripes of N pixels
        (rows: S = H, N = W, ``scale = cos(latitude)``; columns: S = W, N = H, ``scale = 1``).
        Cached: do not modify in place.

    Convention:
        pixel centres and rays as in :mod:`panodepth.geometry.sphere`; chord = ``|r_i − r_j|``
        = 2·sin(γ/2) for the great-circle angle γ, in [0, 2].
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    return _chord_tables(height, width, direction, torch.device(device or "cpu"), dtype)


@lru_cache(maxsize=64)
def _chord_tables(
    height: int, width: int, direction: str, device: torch.device, dtype: torch.dtype | None
) -> tuple[Tensor, Tensor]:
    dtype = dtype or torch.get_default_dtype()
    f64 = torch.float64
    if direction == "vertical":
        rays = equirect_rays(height, width, device=device, dtype=f64)[:, 0]  # one meridian
        scale = torch.ones(width, device=device, dtype=f64)
    else:
        lon, lat = equirect_lonlat(height, width, device=device, dtype=f64)
        rays = lonlat_to_xyz(lon[0], torch.zeros_like(lon[0]))  # the row's pixels on the equator
        scale = torch.cos(lat[:, 0])  # a parallel at latitude φ is the equator shrunk by cos φ
    table = torch.cdist(rays, rays)
    return scale.to(dtype), table.to(dtype)


def erp_position_bias(height: int, width: int, direction: str, level: float = 0.1) -> Tensor:
    """The full ERP position bias ``-level · chord`` of every stripe, (S, N, N) (for inspection
    and tests; the attention uses the factored tables of :func:`stripe_chord_tables`)."""
    scale, table = stripe_chord_tables(height, width, direction)
    return -level * scale[:, None, None] * table


def stripe_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    scale: Tensor,
    table: Tensor,
    level: float = 0.1,
    max_elements: int = MAX_ELEMENTS,
    recompute: bool = True,
) -> tuple[Tensor, Tensor]:
    """EGFormer's biased 1 − cos attention within stripes, chunked over stripes.

    Args:
        q, k, v: (B, S, heads, N, d) queries, keys and values (last dim may differ) of S
            stripes of N tokens.
        scale, table: (S,) and (N, N) chord tables from :func:`stripe_chord_tables`.
        level: weight of the position bias (0.1 in the original).
        max_elements: score entries computed at once (memory bound of one chunk).
        recompute: with gradients, run each chunk under a checkpoint (backward keeps only q,
            k, v). Pass ``False`` when the caller is itself checkpointed (e.g. a whole block):
            its recomputation then keeps the chunks' intermediates for one backward, instead of
            computing the scores a third time.

    Returns:
        ``(out, importance)``: (B, S, heads, N, d_v) un-re-weighted attention output
        ``Σ_j w_ij v_j`` and (B, S) mean ``|score|`` of each stripe (float32).
    """
    b, s, h, n, _ = q.shape
    rows, dv = b * s, v.shape[-1]
    q, k, v = (t.reshape(rows, h, n, t.shape[-1]) for t in (q, k, v))
    bias_scale = (-level * scale).to(torch.float32).repeat(b)
    table = table.to(device=q.device, dtype=torch.float32)
    step = max(1, max_elements // (h * n * n))
    grad = recompute and torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v))
    outs, importances = [], []
    for start in range(0, rows, step):
        part = slice(start, start + step)
        args = (q[part], k[part], v[part], bias_scale[part], table)
        if grad:
            out, imp = checkpoint(_stripe_chunk, *args, use_reentrant=False)
        else:
            out, imp = _stripe_chunk(*args)
        outs.append(out)
        importances.append(imp)
    out = torch.cat(outs).view(b, s, h, n, dv)
    return out, torch.cat(importances).view(b, s)


def _stripe_chunk(
    q: Tensor, k: Tensor, v: Tensor, bias_scale: Tensor, table: Tensor
) -> tuple[Tensor, Tensor]:
    scores = torch.matmul(q, k.transpose(-2, -1)).float()  # no 1/√d: the rows get normalised
    scores = scores + bias_scale[:, None, None, None] * table
    importance = scores.abs().mean(dim=(1, 2, 3))
    # eps keeps an all-zero row finite (its weights become 0)
    weights = 1.0 - torch.cos(F.normalize(scores, dim=-1, eps=1e-12) * (math.pi / 2))
    return torch.matmul(weights.to(v.dtype), v), importance


def adaptive_reweighting(importance: Tensor, floor: float = 0.5) -> Tensor:
    """EaAR factor ``M`` per stripe: importance / the sample's largest, clamped to [floor, 1].

    Args:
        importance: (B, S) mean |score| per stripe.

    Returns:
        (B, S). Per sample — the original divides by the largest importance of the *whole
        batch*, which couples the samples of a batch.
    """
    top = importance.amax(dim=1, keepdim=True).clamp_min(torch.finfo(importance.dtype).tiny)
    return (importance / top).clamp(min=floor)


def tangent_reference_points(
    height: int,
    width: int,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """PanoFormer's tangent-pattern reference points: where a 3×3 kernel laid on the tangent
    plane at each pixel centre lands on the equirect map.

    The kernel's taps sit at ``(tan(du·Δlon), −tan(dv·Δlat))`` on the tangent plane (x east,
    y north; du, dv ∈ {−1, 0, 1}, dv = +1 is the row below; Δlon = 2π/W, Δlat = π/H) and
    are mapped back to the sphere with the inverse gnomonic projection.

    Returns:
        (H, W, 9, 2) pixel-index coordinates ``(u, v)`` (column, row; pixel centres at integers,
        u wrapped into [0, W)), taps in row-major order. Cached: do not modify in place.
    """
    return _tangent_points(height, width, torch.device(device or "cpu"), dtype)


@lru_cache(maxsize=32)
def _tangent_points(
    height: int, width: int, device: torch.device, dtype: torch.dtype | None
) -> Tensor:
    f64 = torch.float64
    lon0, lat0 = equirect_lonlat(height, width, device=device, dtype=f64)
    taps = torch.tensor([-1.0, 0.0, 1.0], device=device, dtype=f64)
    dv, du = torch.meshgrid(taps, taps, indexing="ij")
    x = torch.tan(du.flatten() * (2 * math.pi / width))
    y = -torch.tan(dv.flatten() * (math.pi / height))
    rho = torch.sqrt(x**2 + y**2).clamp_min(1e-12)  # the centre tap: rho → 0, sin c / rho → 1
    c = torch.atan(rho)
    lat0, lon0 = lat0[..., None], lon0[..., None]
    sin_lat = torch.cos(c) * torch.sin(lat0) + y * torch.sin(c) * torch.cos(lat0) / rho
    lat = torch.asin(sin_lat.clamp(-1.0, 1.0))
    lon = lon0 + torch.atan2(
        x * torch.sin(c), rho * torch.cos(lat0) * torch.cos(c) - y * torch.sin(lat0) * torch.sin(c)
    )
    u, v = lonlat_to_equirect_pixel(lon, lat, height, width)
    return torch.stack((torch.remainder(u, width), v), -1).to(dtype or torch.get_default_dtype())


def sample_taps(values: Tensor, points: Tensor) -> Tensor:
    """Bilinear samples of ``values`` at pixel-index ``points``, wrapping around in longitude.

    Args:
        values: (N, C, H, W) feature maps.
        points: (G·N, H_out, W_out, 2) ``(u, v)`` pixel-index coordinates (centres at integers);
            u is taken modulo W, rows outside [0, H − 1] read zeros (beyond the poles). With
            G > 1, the grids are G groups of N (group-major) that all sample the same N maps
            (expanded, not copied): ``grid_sample`` on CPU parallelises over its batch only,
            so splitting the output rows into groups (:func:`tap_row_groups`) lets one map use
            several threads.

    Returns:
        (G·N, C, H_out, W_out).
    """
    h, w = values.shape[-2:]
    groups = points.shape[0] // values.shape[0]
    if groups * values.shape[0] != points.shape[0]:
        raise ValueError(f"{points.shape[0]} grids for {values.shape[0]} maps")
    padded = F.pad(values, (1, 1, 0, 0), mode="circular")  # column w + 1 is column 0
    if groups > 1:
        padded = padded.expand(groups, *padded.shape).flatten(0, 1)
    u = torch.remainder(points[..., 0], w) + 1.0
    gx = u * (2.0 / (w + 1)) - 1.0  # align_corners=True on the padded width w + 2
    gy = points[..., 1] * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack((gx, gy), -1).to(padded.dtype)
    return F.grid_sample(padded, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def tap_row_groups(maps: int, rows: int, device: torch.device) -> int:
    """How many row groups let ``maps`` sampled maps of ``rows`` output rows use every CPU
    thread in :func:`sample_taps` (a divisor of ``rows``; 1 on other devices)."""
    if device.type != "cpu" or maps >= torch.get_num_threads():
        return 1
    groups = max(1, min(torch.get_num_threads() // maps, rows))
    while rows % groups:
        groups -= 1
    return groups
