"""A perspective teacher on a panorama: overlapping cube views, per-view alignment, blending.

This module owns "teacher mode" inference: a perspective depth model (Depth Anything, any
:class:`~panodepth.teachers.Teacher`) labels six pinhole views of the panorama and their
outputs are stitched into one equirect disparity map **without ground truth**.

Why per-view alignment: each view's output is a relative (affine-invariant) *planar*
disparity ``p_f ≈ a_f / z_f + b_f`` with its own unknown ``a_f > 0``, ``b_f`` (the paper's
§3.1: stitching the faces without handling this fails). Writing ``α_f = 1/a_f``,
``β_f = −b_f/a_f``, the planar disparity is ``1/z_f = α_f·p_f + β_f``, and since
``z = range · cos(angle to the view axis)`` the disparity of the *range* (a quantity every
view agrees on) is::

    1/range = cos_f · (α_f · p_f + β_f)          (linear in α_f, β_f)

Views wider than 90° (default 110°) overlap their neighbours; at every direction seen by
two views f, g the two expressions must agree, which gives one homogeneous linear equation
in the 12 unknowns. The only exact gauge freedom is one global scale (the cos factor
differs between two views at most overlap points, which pins the shifts), so the problem is
solved as linear least squares with the constraint ``mean(α) = 1`` plus a tiny ridge
towards ``α = 1, β = 0`` (keeps views without any overlap, e.g. all-sky faces, and the
90° case, where cos_f = cos_g on the shared edges, well posed). The aligned views are then
blended on the sphere with weights that fall to 0 at each view's border (no seams).

The output is a *relative* range disparity: one global scale remains unknown.

Conventions: views are pinhole cameras of :mod:`panodepth.geometry.perspective` (x right,
y down, z forward, camera-to-world rotations); view ``f`` is the cube face ``f`` of
:func:`~panodepth.geometry.face_rotations` (F, R, B, L, U, D), optionally with a wider FoV.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panodepth import geometry as geo

FOV_RANGE = (90.0, 170.0)
"""The views' field of view, degrees, in [low, high): ≥ 90 to cover the sphere, < 170."""


def _view_coords(dirs: Tensor, rotations: Tensor, fov_deg: float) -> tuple[Tensor, Tensor]:
    """Normalised view coordinates and cos of directions in every view.

    Args:
        dirs: (M, 3) unit directions; rotations: (N, 3, 3) camera-to-world.

    Returns:
        ``(grid, cos)``: grid (N, M, 2) ``grid_sample`` coordinates (align_corners=False;
        outside [−1, 1] or behind the camera = not seen), cos (N, M) the cosine of the angle
        to each view's axis (≤ 0 behind it).
    """
    local = torch.einsum("nji,mj->nmi", rotations.to(dirs.dtype), dirs)  # Rᵀ d
    z = local[..., 2]
    tan_half = math.tan(math.radians(fov_deg) / 2)
    safe = torch.where(z > 1e-6, z, torch.ones_like(z))
    grid = local[..., :2] / safe.unsqueeze(-1) / tan_half
    grid = torch.where((z > 1e-6).unsqueeze(-1), grid, torch.full_like(grid, 4.0))
    return grid, z


def _sample_views(views: Tensor, grid: Tensor) -> Tensor:
    """Bilinear samples of (B, N, 1, S, S) views at (N, M, 2) coordinates → (B, N, M)."""
    b, n = views.shape[:2]
    flat = views.reshape(b * n, 1, *views.shape[-2:])
    g = grid.unsqueeze(0).expand(b, -1, -1, -1).reshape(b * n, 1, -1, 2).to(views.dtype)
    out = F.grid_sample(flat, g, mode="bilinear", padding_mode="border", align_corners=False)
    return out.reshape(b, n, -1)


def _fibonacci_directions(count: int, device: torch.device) -> Tensor:
    """``count`` nearly uniform unit directions on the sphere (Fibonacci lattice), (M, 3)."""
    i = torch.arange(count, device=device, dtype=torch.float64) + 0.5
    y = 1 - 2 * i / count
    r = torch.sqrt((1 - y * y).clamp_min(0))
    phi = i * math.pi * (3 - math.sqrt(5))
    return torch.stack((r * torch.cos(phi), y, r * torch.sin(phi)), -1).float()


def fit_view_affines(
    views: Tensor,
    rotations: Tensor,
    fov_deg: float,
    valid: Tensor | None = None,
    samples: int = 20000,
    margin: float = 0.02,
    ridge: float = 1e-4,
) -> Tensor:
    """Per-view ``(α_f, β_f)`` that make relative planar disparities agree on the overlaps.

    Args:
        views: (B, N, 1, S, S) relative planar disparity of each view (affine per view).
        rotations: (N, 3, 3) camera-to-world rotations of the views.
        fov_deg: the views' field of view (> 90° for the cube views to overlap).
        valid: optional (B, N, 1, S, S) bool mask of usable view pixels (default: all).
        samples: directions on the sphere at which the overlaps are compared.
        margin: fraction of the view's half-width excluded at its border.
        ridge: weight of the pull towards ``α = 1, β = 0``, relative to the mean diagonal
            of the normal equations (only matters where the overlaps do not decide).

    Returns:
        (B, N, 2) ``(α, β)`` with mean α = 1: ``cos_f · (α_f·p_f + β_f)`` is the aligned
        range disparity of view f.
    """
    b, n = views.shape[:2]
    dtype = torch.float64
    dirs = _fibonacci_directions(samples, views.device)
    grid, cos = _view_coords(dirs, rotations.to(views.device), fov_deg)
    inside = (grid.abs() <= 1 - margin).all(-1) & (cos > 0)  # (N, M)
    p = _sample_views(views.float(), grid)  # (B, N, M)
    seen = inside.unsqueeze(0).expand(b, -1, -1)
    if valid is not None:
        ok = _sample_views(valid.float(), grid) > 0.999
        seen = seen & ok
    cos = cos.to(dtype)
    p = p.to(dtype)
    out = []
    for k in range(b):
        rows = []
        for f in range(n):
            for g in range(f + 1, n):
                both = seen[k, f] & seen[k, g]
                if not bool(both.any()):
                    continue
                m = int(both.sum())
                row = torch.zeros(m, 2 * n, dtype=dtype, device=views.device)
                row[:, 2 * f] = cos[f, both] * p[k, f, both]
                row[:, 2 * f + 1] = cos[f, both]
                row[:, 2 * g] = -cos[g, both] * p[k, g, both]
                row[:, 2 * g + 1] = -cos[g, both]
                rows.append(row)
        out.append(_solve_gauged(rows, n, ridge, views.device))
    return torch.stack(out).to(views.dtype)


def _solve_gauged(rows: list[Tensor], n: int, ridge: float, device: torch.device) -> Tensor:
    """Minimise |A x|² + λ|x − x₀|² subject to mean(α) = 1 (KKT system), x₀ = (1, 0)·N."""
    dtype = torch.float64
    prior = torch.zeros(2 * n, dtype=dtype, device=device)
    prior[0::2] = 1.0
    if rows:
        a = torch.cat(rows)
        ata = a.T @ a / a.shape[0]
    else:
        ata = torch.zeros(2 * n, 2 * n, dtype=dtype, device=device)
    lam = ridge * max(float(ata.diagonal().mean()), 1e-12)
    kkt = torch.zeros(2 * n + 1, 2 * n + 1, dtype=dtype, device=device)
    kkt[: 2 * n, : 2 * n] = ata + lam * torch.eye(2 * n, dtype=dtype, device=device)
    gauge = torch.zeros(2 * n, dtype=dtype, device=device)
    gauge[0::2] = 1.0 / n
    kkt[: 2 * n, -1] = gauge
    kkt[-1, : 2 * n] = gauge
    rhs = torch.zeros(2 * n + 1, dtype=dtype, device=device)
    rhs[: 2 * n] = lam * prior
    rhs[-1] = 1.0
    x = torch.linalg.lstsq(kkt, rhs.unsqueeze(-1)).solution[:-1, 0]
    return x.view(n, 2)


def blend_views(
    views: Tensor,
    rotations: Tensor,
    fov_deg: float,
    height: int,
    width: int,
    affines: Tensor | None = None,
    valid: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Blend (aligned) planar disparity views into an equirect *range* disparity map.

    Every equirect pixel averages ``cos_f · (α_f·p_f + β_f)`` over the views that see it,
    weighted by ``1 − max(|gx|, |gy|)`` (1 at a view's centre, 0 at its border).

    Args:
        views: (B, N, 1, S, S) planar disparity per view.
        rotations: (N, 3, 3) view rotations; fov_deg: their field of view.
        height, width: equirect output size.
        affines: (B, N, 2) ``(α, β)`` from :func:`fit_view_affines`; None = identity
            (naive stitching: the views taken as they are).
        valid: optional (B, N, 1, S, S) bool mask of usable view pixels.

    Returns:
        ``(disparity, valid)``: (B, 1, H, W) range disparity (0 where invalid) and its mask
        (seen by some view, valid there and positive).
    """
    b = views.shape[0]
    dirs = geo.equirect_rays(height, width, device=views.device).reshape(-1, 3)
    grid, cos = _view_coords(dirs, rotations.to(views.device), fov_deg)
    weight = (1 - grid.abs().amax(-1)).clamp_min(0) * (cos > 0)  # (N, M)
    p = _sample_views(views.float(), grid)  # (B, N, M)
    w = weight.unsqueeze(0).expand(b, -1, -1)
    if valid is not None:
        w = w * (_sample_views(valid.float(), grid) > 0.999)
    if affines is not None:
        p = affines[..., 0:1].float() * p + affines[..., 1:2].float()
    disp = (w * cos.unsqueeze(0) * p).sum(1) / w.sum(1).clamp_min(1e-12)
    ok = (w.sum(1) > 0) & (disp > 0) & torch.isfinite(disp)
    disp = torch.where(ok, disp, torch.zeros_like(disp))
    return disp.view(b, 1, height, width), ok.view(b, 1, height, width)


def stitch_views(
    views: Tensor,
    rotations: Tensor,
    fov_deg: float,
    height: int,
    width: int,
    align: bool = True,
    valid: Tensor | None = None,
    samples: int = 20000,
) -> tuple[Tensor, Tensor]:
    """Relative planar disparity views → one relative equirect range disparity map.

    :func:`fit_view_affines` (when ``align``) followed by :func:`blend_views`; see the
    module docstring for the model. Returns ``(disparity (B, 1, H, W), valid)``.
    """
    affines = fit_view_affines(views, rotations, fov_deg, valid, samples) if align else None
    return blend_views(views, rotations, fov_deg, height, width, affines, valid)


class TeacherStitcher(nn.Module):
    """A perspective teacher as an equirect predictor: six overlapping views, aligned, blended.

    Args:
        teacher: a :class:`~panodepth.teachers.Teacher` (``(N, 3, S, S)`` → ``(N, 1, S, S)``
            relative disparity).
        fov_deg: field of view of the six cube-axis views (> 90 so that they overlap;
            100–110 is a good range: more overlap, less resolution per view).
        face_size: view side in pixels; default keeps the angular resolution of an H/2
            90° cube face at the view centre: ``round(H/2 · tan(fov/2))``.
        align: per-view scale/shift alignment (False = naive stitching, for comparison).

    ``forward(images (B, 3, H, 2H) in [0, 1]) → (B, 1, H, 2H)`` relative range disparity
    (0 = invalid, e.g. where the aligned teacher output is ≤ 0: sky).
    """

    def __init__(
        self,
        teacher: nn.Module,
        fov_deg: float = 110.0,
        face_size: int | None = None,
        align: bool = True,
    ) -> None:
        super().__init__()
        low, high = FOV_RANGE
        if not low <= fov_deg < high:
            raise ValueError(f"fov_deg must be in [{low:g}, {high:g}), got {fov_deg!r}")
        self.teacher = teacher
        self.fov_deg = float(fov_deg)
        self.face_size = face_size
        self.align = align

    def view_size(self, height: int) -> int:
        """The view side used for a panorama of height ``height``."""
        if self.face_size is not None:
            return int(self.face_size)
        return max(8, round(height / 2 * math.tan(math.radians(self.fov_deg) / 2)))

    def forward(self, images: Tensor) -> Tensor:
        b, _, height, width = images.shape
        rotations = geo.face_rotations(device=images.device)
        size = self.view_size(height)
        rgb = geo.equirect_to_views(images, rotations, self.fov_deg, size)  # (B, 6, 3, S, S)
        disp = self.teacher(rgb.reshape(b * 6, 3, size, size).contiguous())
        disp = disp.reshape(b, 6, 1, size, size).float()
        valid = torch.isfinite(disp) & (disp >= 0)
        out, _ = stitch_views(disp, rotations, self.fov_deg, height, width, self.align, valid)
        return out.to(images.dtype)
