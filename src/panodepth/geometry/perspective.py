"""Pinhole views of a panorama and back: the machinery behind cube faces and tangent images.

A *view* is a square-pixel pinhole camera given by its rotation ``R`` (camera-to-world, see
:mod:`panodepth.geometry.rotation`), its horizontal field of view and its size ``(h, w)``.
In the view's own frame (x right, y down, z forward) pixel (row i, column j) has the ray

    (x_n, y_n, 1),  x_n = (j + 0.5 − w/2) / f,  y_n = (i + 0.5 − h/2) / f,  f = (w/2) / tan(fov/2)

and looks along the world direction ``R @ (x_n, y_n, 1)``. A view's planar depth is the
z component of a point in its frame (see :mod:`panodepth.geometry.depth`).

Going back (views → equirect), every equirect pixel takes its value from the view whose
optical axis is closest to its ray (for the cube: the face it lies on). So that bilinear
samples next to a view's border see the real neighbouring pixels, each view is padded with a
one-pixel ring whose values are sampled from the neighbouring views.

Sampling grids that do not depend on a per-sample rotation are cached per
(size, field of view, device, dtype). Their cache keys are computed once from CPU constants,
so a cached projection reads nothing back from the device.

Checks (:mod:`panodepth.checks`): shapes, dtypes and arguments always; NaN/Inf in the
images only with the debug switch on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import Tensor

from ..checks import (
    NotATensorError,
    ShapeError,
    check_choice,
    check_equirect,
    check_equirect_size,
    check_finite,
    check_fov,
    check_hw,
    check_rotation,
    check_shape,
    check_tensor,
    debug_checks_enabled,
)
from .sampling import SAMPLING_MODES, sample_equirect
from .sphere import _cached_equirect_rays


def view_rays(
    size: int | Sequence[int],
    fov_deg: float,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Rays ``(x_n, y_n, 1)`` of every pixel of a pinhole view, in the view's frame.

    Args:
        size: ``S`` or ``(h, w)``.
        fov_deg: horizontal field of view in degrees.

    Returns:
        (h, w, 3) rays with z = 1 (not unit length: their norm is 1/cos of the angle to the axis).
    """
    h, w = check_hw(size)
    fov = check_fov(fov_deg)
    return _cached_view_rays(h, w, fov, torch.device(device or "cpu"), dtype).clone()


@lru_cache(maxsize=32)
def _cached_view_rays(
    h: int, w: int, fov_deg: float, device: torch.device, dtype: torch.dtype | None
) -> Tensor:
    f = (w / 2) / math.tan(math.radians(fov_deg) / 2)
    xs = (torch.arange(w, device=device, dtype=torch.float64) + 0.5 - w / 2) / f
    ys = (torch.arange(h, device=device, dtype=torch.float64) + 0.5 - h / 2) / f
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    rays = torch.stack((xx, yy, torch.ones_like(xx)), -1)
    return rays.to(dtype or torch.get_default_dtype())


@lru_cache(maxsize=32)
def _cached_rays_t(h: int, w: int, fov_deg: float, device: torch.device) -> Tensor:
    """View rays as (3, h·w) float32 with contiguous rows (fast elementwise math)."""
    return _cached_view_rays(h, w, fov_deg, device, torch.float32).reshape(-1, 3).T.contiguous()


def _check_view_rotations(rotations: object, batch: int | None) -> Tensor:
    """Accept (N, 3, 3) shared or (B, N, 3, 3) per-sample view rotations (B = ``batch``
    unless None); return 4-D."""
    if not isinstance(rotations, Tensor):
        raise NotATensorError("rotations must be a torch.Tensor of shape (N, 3, 3) or (B, N, 3, 3)")
    check_shape(rotations, ["N", "3", "3"], ["B", "N", "3", "3"], name="rotations")
    if rotations.ndim == 3:
        rotations = rotations.unsqueeze(0)
    if batch is not None and rotations.shape[0] not in (1, batch):
        raise ShapeError(
            f"rotations has {rotations.shape[0]} sets of views but the batch has {batch} samples"
        )
    return rotations


def _check_views(
    x: object, name: str, pattern: Sequence[str] = ("B", "N", "C", "h", "w")
) -> Tensor:
    """Check floating pinhole images (default (B, N, C, h, w)); debug checks: finite."""
    x = check_tensor(x, name, pattern)
    if debug_checks_enabled():
        check_finite(x, name)
    return x


def equirect_to_views(
    img: Tensor,
    rotations: Tensor,
    fov_deg: float,
    size: int | Sequence[int],
    mode: str = "bilinear",
) -> Tensor:
    """Render pinhole views of an equirect image.

    Args:
        img: (B, C, H, W) equirect image, W = 2·H.
        rotations: (N, 3, 3) view rotations shared by the batch, or (B, N, 3, 3) per sample.
        fov_deg: horizontal field of view of every view, degrees.
        size: ``S`` or ``(h, w)`` of every view.
        mode: ``"bilinear"`` or ``"nearest"``.

    Returns:
        (B, N, C, h, w) views (may be a non-contiguous view of the sampled memory).
    """
    img = check_equirect(img)
    check_choice(mode, SAMPLING_MODES, "mode")
    size = check_hw(size)
    rotations = _check_view_rotations(rotations, img.shape[0])
    return _equirect_to_views(img, rotations, check_fov(fov_deg), size, mode)


@dataclass(frozen=True)
class ViewGrid:
    """Where N pinhole views (per sample, or shared) read an equirect image of one size.

    Made by :func:`view_sampling_grid`; read with :func:`sample_views`. Building it is the
    costly part of :func:`equirect_to_views` (and its one device synchronisation), so code
    that samples several images of the same size under the same rotations (a teacher's RGB,
    its masks, a student's prediction) builds it once and shares it.

    Attributes:
        grid: (G, N·h, w, 2) ``grid_sample`` coordinates, G = 1 (shared) or B.
        border: seam/pole border samples of the grid (:func:`view_grid`).
        views: N; size: (h, w) of each view; image: (height, width) of the equirect image.
    """

    grid: Tensor
    border: tuple[Tensor, Tensor]
    views: int
    size: tuple[int, int]
    image: tuple[int, int]


def view_sampling_grid(
    rotations: Tensor, fov_deg: float, size: int | Sequence[int], height: int, width: int
) -> ViewGrid:
    """The :class:`ViewGrid` of views ``rotations`` ((N, 3, 3) shared or (B, N, 3, 3)) of
    ``fov_deg`` and ``size`` on a ``height × width`` equirect image (on the rotations' device;
    differentiable w.r.t. them)."""
    rotations = _check_view_rotations(rotations, batch=None)
    h, w = check_hw(size)
    height, width = check_equirect_size(height, width)
    return _view_sampling_grid(rotations, check_fov(fov_deg), (h, w), height, width)


def _view_sampling_grid(
    rotations: Tensor,
    fov: float,
    size: tuple[int, int],
    height: int,
    width: int,
    key: tuple[float, ...] | None = None,
) -> ViewGrid:
    h, w = size
    if key is not None:
        grid, border = _cached_view_grid(key, h, w, fov, height, width, rotations.device)
    else:
        rays_t = _cached_rays_t(h, w, fov, rotations.device)
        grid, border = view_grid(rotations.float(), rays_t, w, height, width)
    return ViewGrid(grid, border, rotations.shape[1], (h, w), (height, width))


def sample_views(img: Tensor, grid: ViewGrid, mode: str = "bilinear") -> Tensor:
    """The views of (B, C, H, W) equirect images read along ``grid`` → (B, N, C, h, w)."""
    img = check_equirect(img)
    check_choice(mode, SAMPLING_MODES, "mode")
    if tuple(img.shape[-2:]) != grid.image or grid.grid.shape[0] not in (1, img.shape[0]):
        raise ShapeError(
            f"the view grid was made for {grid.grid.shape[0]} sample(s) of "
            f"{grid.image[0]}×{grid.image[1]}, got images of shape {tuple(img.shape)}"
        )
    return _sample_views(img, grid, mode)


def _sample_views(img: Tensor, grid: ViewGrid, mode: str) -> Tensor:
    b, c = img.shape[:2]
    out = sample_equirect(img, grid.grid, mode, border=grid.border)
    return out.view(b, c, grid.views, *grid.size).transpose(1, 2)


def _equirect_to_views(
    img: Tensor,
    rotations: Tensor,
    fov: float,
    size: tuple[int, int],
    mode: str,
    key: tuple[float, ...] | None = None,
) -> Tensor:
    """:func:`equirect_to_views` on checked inputs; rotations (G, N, 3, 3).

    ``key`` (the :func:`_rotations_key` of ``rotations[0]``) is for the library's fixed view
    sets (cube faces, tangent images, the identity): their grids are cached under it and are
    not differentiable w.r.t. the rotations.
    """
    rotations = rotations.to(img.device)
    grid = _view_sampling_grid(rotations, fov, size, *img.shape[-2:], key=key)
    return _sample_views(img, grid, mode)


def view_grid(
    rotations: Tensor, rays_t: Tensor, row_length: int, height: int, width: int
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """Equirect sampling grid of rotated views, and its seam/pole border samples.

    Args:
        rotations: (G, N, 3, 3) view rotations.
        rays_t: (3, h·w) view rays (transposed: contiguous rows for fast elementwise math).
        row_length: w, the width of the views (``grid_sample`` vectorises along grid rows,
            so the grid keeps the views' rows).
        height, width: size of the equirect image to be sampled.

    Returns:
        ``(grid, border)``: grid (G, N·h, w, 2) (the rows of all N views in order) and the
        ``(g, m)`` indices of :func:`~panodepth.geometry.sampling.border_samples`.

    On the CPU the work is done a few views at a time so that the intermediates stay in the
    cache (grid computation is memory-bound there); on accelerators all views go in one batch.
    Differentiable w.r.t. ``rotations``.
    """
    g_, n = rotations.shape[:2]
    hw = rays_t.shape[1]
    flat = rotations.reshape(g_ * n, 3, 3)
    dtype = torch.promote_types(rotations.dtype, rays_t.dtype)
    grid = torch.empty(g_ * n, hw, 2, device=rays_t.device, dtype=dtype)
    per_chunk = max(1, _CPU_CHUNK_POINTS // hw) if rays_t.device.type == "cpu" else g_ * n
    lon_max, lat_max = 1 - 1 / width, 1 - 1 / height
    near = torch.empty(g_ * n, hw, dtype=torch.bool, device=rays_t.device)
    for start in range(0, g_ * n, per_chunk):
        x, y, z = _rotate_rays(flat[start : start + per_chunk], rays_t).unbind(1)
        gx = torch.atan2(x, z).mul_(1 / math.pi)
        gy = torch.atan2(y, torch.hypot(x, z)).mul_(2 / math.pi)  # y down: −latitude
        near[start : start + per_chunk] = (gx.abs() > lon_max) | (gy.abs() > lat_max)
        grid[start : start + per_chunk] = torch.stack((gx, gy), -1)
    # one nonzero for all views: its size depends on the data, the one device sync here
    vg, m = near.nonzero(as_tuple=True)
    g, m = vg // n, (vg % n) * hw + m
    return grid.view(g_, n * hw // row_length, row_length, 2), (g, m)


def _rotate_rays(rotations: Tensor, rays_t: Tensor) -> Tensor:
    """(K, 3, 3) @ (3, M) → (K, 3, M) as broadcast multiply-adds (a K=3 GEMM is slow on CPU)."""
    r = rotations.unsqueeze(-1)  # (K, 3, 3, 1)
    out = r[:, :, 0] * rays_t[0]
    out = torch.addcmul(out, r[:, :, 1], rays_t[1])
    return torch.addcmul(out, r[:, :, 2], rays_t[2])


# points per chunk of grid computation on the CPU (a 256² cube face; fits in L2 cache)
_CPU_CHUNK_POINTS = 65536


@lru_cache(maxsize=32)
def _cached_view_grid(
    key: tuple[float, ...],
    h: int,
    w: int,
    fov: float,
    height: int,
    width: int,
    device: torch.device,
) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    rotations = torch.tensor(key, dtype=torch.float64).view(1, -1, 3, 3)
    rays_t = _cached_view_rays(h, w, fov, torch.device("cpu"), torch.float64)
    rays_t = rays_t.reshape(-1, 3).T.contiguous()
    grid, (g, m) = view_grid(rotations, rays_t, w, height, width)
    return grid.float().to(device), (g.to(device), m.to(device))


def equirect_to_perspective(
    img: Tensor,
    fov_deg: float,
    size: int | Sequence[int],
    rotation: Tensor | None = None,
    mode: str = "bilinear",
) -> Tensor:
    """One pinhole view per sample, looking along ``rotation @ (0, 0, 1)``.

    Args:
        img: (B, C, H, W) equirect image.
        fov_deg: horizontal field of view, degrees.
        size: ``S`` or ``(h, w)``.
        rotation: (3, 3) or (B, 3, 3) camera-to-world rotation; identity looks at the centre.

    Returns:
        (B, C, h, w) perspective image.
    """
    img = check_equirect(img)
    check_choice(mode, SAMPLING_MODES, "mode")
    key = _identity_key() if rotation is None else None
    rotations = _identity_or(rotation, img).unsqueeze(1)
    fov, size = check_fov(fov_deg), check_hw(size)
    return _equirect_to_views(img, rotations, fov, size, mode, key)[:, 0]


def _identity_or(rotation: Tensor | None, ref: Tensor) -> Tensor:
    if rotation is None:
        return torch.eye(3, device=ref.device, dtype=torch.float32).unsqueeze(0)
    return check_rotation(rotation, ref.shape[0])


@lru_cache(maxsize=1)
def _identity_key() -> tuple[float, ...]:
    return _rotations_key(torch.eye(3))


def views_to_equirect(
    views: Tensor,
    rotations: Tensor,
    fov_deg: float,
    height: int,
    width: int,
    mode: str = "bilinear",
) -> tuple[Tensor, Tensor]:
    """Stitch pinhole views back into an equirect image (nearest optical axis wins).

    Args:
        views: (B, N, C, h, w) views, all with the same size and field of view.
        rotations: (N, 3, 3) or (B, N, 3, 3) view rotations.
        fov_deg: horizontal field of view, degrees.
        height, width: output size, width = 2·height.
        mode: ``"bilinear"`` or ``"nearest"``.

    Returns:
        ``(img, valid)``: (B, C, H, W) image and (B, 1, H, W) bool mask of the pixels that
        some view covers (all of them for the cube and for tangent images).
    """
    views = _check_views(views, "views")
    check_choice(mode, SAMPLING_MODES, "mode")
    height, width = check_equirect_size(height, width)
    rotations = _check_view_rotations(rotations, views.shape[0])
    if rotations.shape[1] != views.shape[1]:
        raise ShapeError(
            f"views has {views.shape[1]} views but rotations describes {rotations.shape[1]}"
        )
    img, valid = _views_to_equirect(views, rotations, check_fov(fov_deg), height, width, mode)
    return img, _own_mask(valid, views.shape[0])


def _views_to_equirect(
    views: Tensor,
    rotations: Tensor,
    fov: float,
    height: int,
    width: int,
    mode: str,
    key: tuple[float, ...] | None = None,
) -> tuple[Tensor, Tensor]:
    """:func:`views_to_equirect` on checked inputs; rotations (G, N, 3, 3).

    ``key`` (as in :func:`_equirect_to_views`) caches the stitching tables of the library's
    fixed view sets.
    """
    b, _, _, h, w = views.shape
    dtype = views.dtype
    if dtype in (torch.float16, torch.bfloat16):
        views = views.float()
    if key is not None:
        grid, valid, ring_grid, ring_index = _cached_stitch_tables(
            key, h, w, fov, height, width, views.device
        )
    else:
        tables = [_stitch_tables(r, h, w, fov, height, width) for r in rotations.unbind(0)]
        grid, valid, ring_grid = (
            torch.cat(t).to(views.device) for t in list(zip(*tables, strict=True))[:3]
        )
        ring_index = tables[0][3].to(views.device)  # ring positions do not depend on rotation
    padded = _pad_views(views, ring_grid, ring_index)  # (B, C, N·(h+2), w+2)
    out = F.grid_sample(
        padded, grid.expand(b, -1, -1, -1).to(padded.dtype), mode=mode, align_corners=False
    )
    return out.to(dtype), valid


def _own_mask(valid: Tensor, batch: int) -> Tensor:
    """A (B, 1, H, W) mask the caller owns (never a view of a cached table)."""
    return valid.expand(batch, -1, -1, -1).clone()


def _rotations_key(rotations: Tensor) -> tuple[float, ...]:
    """Hashable key of a small set of rotations (for the table cache).

    It reads the values: call it once on CPU constants, never per step on a device tensor.
    """
    return tuple(round(v, 7) for v in rotations.detach().double().cpu().flatten().tolist())


@lru_cache(maxsize=16)
def _cached_stitch_tables(
    key: tuple[float, ...],
    h: int,
    w: int,
    fov: float,
    height: int,
    width: int,
    device: torch.device,
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    rotations = torch.tensor(key, dtype=torch.float64).view(-1, 3, 3)
    tables = _stitch_tables(rotations, h, w, fov, height, width)
    return tuple(t.to(device) for t in tables)  # type: ignore[return-value]


def _locate(
    dirs: Tensor, rotations: Tensor, h: int, w: int, fov: float
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Nearest view of each direction and its (fractional) pixel coordinates in that view.

    Args:
        dirs: (M, 3) world directions; rotations: (N, 3, 3).

    Returns:
        ``(view, col, row, inside)`` each (M,): view index, pixel column/row (pixel centres at
        integers), and whether the direction falls inside that view's image.
    """
    axes = rotations[:, :, 2]  # (N, 3) optical axes
    view = (dirs @ axes.T).argmax(-1)
    local = torch.einsum("mji,mj->mi", rotations[view], dirs)  # Rᵀ d in the view frame
    f = (w / 2) / math.tan(math.radians(fov) / 2)
    z = local[:, 2].clamp_min(1e-12)
    col = local[:, 0] / z * f + w / 2 - 0.5
    row = local[:, 1] / z * f + h / 2 - 0.5
    inside = (local[:, 2] > 0) & (col >= -0.5) & (col <= w - 0.5) & (row >= -0.5) & (row <= h - 0.5)
    return view, col, row, inside


def _strip_grid(view: Tensor, col: Tensor, row: Tensor, n: int, h: int, w: int, pad: int) -> Tensor:
    """grid_sample coordinates into a vertical strip of N views each padded by ``pad`` px."""
    hp, wp = h + 2 * pad, w + 2 * pad
    gx = (col + pad + 0.5) / wp * 2 - 1
    gy = (view * hp + row + pad + 0.5) / (n * hp) * 2 - 1
    return torch.stack((gx, gy), -1)


def _stitch_tables(
    rotations: Tensor, h: int, w: int, fov: float, height: int, width: int
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Sampling tables for :func:`views_to_equirect` with one set of N view rotations.

    Returns:
        grid (1, H, W, 2) into the padded strip; valid (1, 1, H, W);
        ring_grid (1, 1, R, 2) into the padded strip, where the R ring pixels take their
            values (always inside a view, so the ring itself is never read);
        ring_index (R,) flat indices of the ring pixels in the padded strip.
    """
    rotations = rotations.detach().double().cpu()
    n = rotations.shape[0]
    dirs = _cached_equirect_rays(height, width, torch.device("cpu"), torch.float64).reshape(-1, 3)
    view, col, row, inside = _locate(dirs, rotations, h, w, fov)
    # clamp to the padded view so samples never bleed into the next view of the strip
    col, row = col.clamp(-1.0, w), row.clamp(-1.0, h)
    grid = _strip_grid(view, col, row, n, h, w, pad=1)
    # pixels no view covers sample far outside the strip, where grid_sample returns zeros
    grid = torch.where(inside[:, None], grid, torch.full_like(grid, -4.0))
    grid = grid.reshape(1, height, width, 2)
    valid = inside.reshape(1, 1, height, width)

    # ring pixels of each view (padded coordinates −1 and h / w), looked up in their nearest view
    rr, cc = torch.meshgrid(
        torch.arange(-1, h + 1, dtype=torch.float64),
        torch.arange(-1, w + 1, dtype=torch.float64),
        indexing="ij",
    )
    on_ring = (rr < 0) | (rr >= h) | (cc < 0) | (cc >= w)
    rr, cc = rr[on_ring], cc[on_ring]
    f = (w / 2) / math.tan(math.radians(fov) / 2)
    local = torch.stack(((cc + 0.5 - w / 2) / f, (rr + 0.5 - h / 2) / f, torch.ones_like(rr)), -1)
    ring_dirs = torch.einsum("nij,mj->nmi", rotations, local).reshape(-1, 3)
    rview, rcol, rrow, _ = _locate(ring_dirs, rotations, h, w, fov)
    rcol, rrow = rcol.clamp(0.0, w - 1.0), rrow.clamp(0.0, h - 1.0)  # stay inside that view
    ring_grid = _strip_grid(rview, rcol, rrow, n, h, w, pad=1).reshape(1, 1, -1, 2)
    flat_ring = ((rr + 1) * (w + 2) + (cc + 1)).long()
    ring_index = (
        torch.arange(n).unsqueeze(1) * ((h + 2) * (w + 2)) + flat_ring.unsqueeze(0)
    ).reshape(-1)
    return grid.float(), valid, ring_grid.float(), ring_index


def _pad_views(views: Tensor, ring_grid: Tensor, ring_index: Tensor) -> Tensor:
    """Lay views out as a padded vertical strip (B, C, N·(h+2), w+2), ring from neighbours."""
    b, n, c, h, w = views.shape
    padded = views.new_empty(b, c, n, h + 2, w + 2)
    padded[:, :, :, 1:-1, 1:-1] = views.transpose(1, 2)
    flat = padded.view(b, c, -1)
    flat[:, :, ring_index] = 0  # bilinear taps with weight 0 may touch the ring: no garbage
    strip = padded.view(b, c, n * (h + 2), w + 2)
    ring = F.grid_sample(
        strip, ring_grid.expand(b, -1, -1, -1).to(strip.dtype), mode="bilinear", align_corners=False
    )  # (B, C, 1, R)
    if torch.is_grad_enabled() and views.requires_grad:
        # the ring sample read `strip`: autograd needs it unchanged, so write into a copy
        flat = flat.clone()
        flat[:, :, ring_index] = ring[:, :, 0]
        return flat.view(b, c, n * (h + 2), w + 2)
    flat[:, :, ring_index] = ring[:, :, 0]
    return strip


def perspective_to_equirect(
    img: Tensor,
    fov_deg: float,
    height: int,
    width: int,
    rotation: Tensor | None = None,
    mode: str = "bilinear",
) -> tuple[Tensor, Tensor]:
    """Paste a pinhole image back onto an equirect canvas (inverse of equirect_to_perspective).

    Args:
        img: (B, C, h, w) perspective image.
        fov_deg: its horizontal field of view, degrees.
        height, width: output size, width = 2·height.
        rotation: (3, 3) or (B, 3, 3) camera-to-world rotation it was taken with.

    Returns:
        ``(equirect, valid)``: (B, C, H, W) image, 0 outside the view, and the (B, 1, H, W)
        bool mask of the pixels the view covers.
    """
    img = _check_views(img, "img", ["B", "C", "h", "w"])
    check_choice(mode, SAMPLING_MODES, "mode")
    height, width = check_equirect_size(height, width)
    key = _identity_key() if rotation is None else None
    rotations = _identity_or(rotation, img).unsqueeze(1)
    fov = check_fov(fov_deg)
    out, valid = _views_to_equirect(img.unsqueeze(1), rotations, fov, height, width, mode, key)
    return out, _own_mask(valid, img.shape[0])
