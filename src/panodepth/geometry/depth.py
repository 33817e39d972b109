"""Depth conversions: range ⇄ points, range ⇄ planar depth of pinhole views, depth ⇄ disparity.

Conventions (:mod:`panodepth.geometry.sphere`):
    * the depth of a panorama pixel is its range (distance along the ray, metres);
    * the planar depth of a pinhole view (e.g. a cube face) is the z component in the view's
      frame: ``planar = range · cos(angle to the optical axis)``. It does not depend on the
      view's rotation, only on the pixel's position in the view;
    * disparity = 1 / depth; 0 marks invalid pixels in both directions, never a division by 0
      (:func:`safe_reciprocal`, the one implementation of it in panodepth).

Checks (:mod:`panodepth.checks`): shapes and dtypes always; with the debug switch on also
NaN/Inf and, for depth maps, negative values (these read values, a device sync each).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from ..checks import (
    ShapeError,
    broadcasts,
    check_finite,
    check_fov,
    check_hw,
    check_non_negative,
    check_tensor,
    debug_checks_enabled,
)
from .perspective import _cached_view_rays
from .sphere import _cached_equirect_rays


def range_to_points(range_map: Tensor) -> Tensor:
    """3-D points of an equirect range map, in the camera frame.

    Args:
        range_map: (B, 1, H, W) range in metres (0 = invalid), W = 2·H.

    Returns:
        (B, H, W, 3) points (x right, y down, z forward); invalid pixels give (0, 0, 0).
    """
    range_map = _check_depth(range_map, "range_map")
    _, _, height, width = range_map.shape
    rays = _cached_equirect_rays(height, width, range_map.device, range_map.dtype)
    return range_map[:, 0, :, :, None] * rays


def points_to_range(points: Tensor) -> Tensor:
    """Range (Euclidean norm) of (B, H, W, 3) points, as a (B, 1, H, W) map."""
    points = check_tensor(points, "points", ["B", "H", "W", "3"])
    if debug_checks_enabled():
        check_finite(points, "points")
    return torch.linalg.vector_norm(points, dim=-1).unsqueeze(1)


def _view_cosine(size: Sequence[int], fov_deg: float, ref: Tensor) -> Tensor:
    """cos(angle to the optical axis) of every pixel of a pinhole view, (h, w)."""
    h, w = check_hw(size)
    rays = _cached_view_rays(h, w, check_fov(fov_deg), ref.device, ref.dtype)
    return torch.linalg.vector_norm(rays, dim=-1).reciprocal()


def range_to_planar(range_views: Tensor, fov_deg: float = 90.0) -> Tensor:
    """Planar (z) depth of pinhole views (e.g. cube faces) from their range.

    Args:
        range_views: (*, h, w) range of each view pixel, e.g. (B, 6, 1, S, S) cube faces.
        fov_deg: horizontal field of view of the views (90 for the cube).

    Returns:
        (*, h, w) planar depth; invalid (0) pixels stay 0.
    """
    range_views = _check_depth(range_views, "range_views", ranks=range(2, 8))
    return range_views * _view_cosine(range_views.shape[-2:], fov_deg, range_views)


def planar_to_range(planar_views: Tensor, fov_deg: float = 90.0) -> Tensor:
    """Range of pinhole view pixels from their planar depth (inverse of :func:`range_to_planar`)."""
    planar_views = _check_depth(planar_views, "planar_views", ranks=range(2, 8))
    return planar_views / _view_cosine(planar_views.shape[-2:], fov_deg, planar_views)


def depth_to_disparity(depth: Tensor, valid: Tensor | None = None) -> Tensor:
    """1 / depth where depth > 0 (and ``valid``), 0 elsewhere; same shape as ``depth``."""
    depth = _check_any(depth, "depth")
    return safe_reciprocal(depth, valid)


def disparity_to_depth(disparity: Tensor, valid: Tensor | None = None) -> Tensor:
    """1 / disparity where disparity > 0 (and ``valid``), 0 elsewhere."""
    disparity = _check_any(disparity, "disparity")
    return safe_reciprocal(disparity, valid)


def safe_reciprocal(x: Tensor, valid: Tensor | None = None) -> Tensor:
    """``1 / x`` where ``x > 0`` (and ``valid``), 0 elsewhere: depth ⇄ disparity, 0 = invalid.

    The one safe reciprocal of panodepth; NaN and values ≤ 0 give 0. Gradients stay finite
    (and 0 at the pixels that give 0). Inputs are not validated (:func:`depth_to_disparity`
    and :func:`disparity_to_depth` are the checked entry points), except that ``valid``
    must broadcast to ``x``.

    Args:
        x: (*) depth or disparity.
        valid: optional mask broadcastable to ``x`` (cast to bool), True = keep.

    Returns:
        (*) tensor of ``x``'s shape and dtype.

    Example:
        >>> safe_reciprocal(torch.tensor([2.0, 0.0, -1.0, float("nan")]))
        tensor([0.5000, 0.0000, 0.0000, 0.0000])
    """
    ok = x > 0
    if valid is not None:
        if not broadcasts(valid.shape, x.shape):
            raise ShapeError(f"valid mask {tuple(valid.shape)} does not match {tuple(x.shape)}")
        ok = ok & valid.bool()
    # the where() keeps gradients finite: the reciprocal is only taken of positive values
    return torch.where(ok, torch.where(ok, x, torch.ones_like(x)).reciprocal(), torch.zeros_like(x))


def _check_any(x: object, name: str) -> Tensor:
    """A floating tensor of 1 to 7 dimensions; debug checks: no NaN/Inf."""
    x = check_tensor(x, name, ndim=range(1, 8))
    if debug_checks_enabled():
        check_finite(x, name)
    return x


def _check_depth(x: object, name: str, ranks: int | range = 4) -> Tensor:
    """A depth map: (B, 1, H, 2·H) (or ``ranks``); debug checks: finite and ≥ 0."""
    x = check_tensor(x, name, ndim=ranks)
    if ranks == 4 and (x.shape[1] != 1 or x.shape[-1] != 2 * x.shape[-2]):
        raise ShapeError(f"{name} must have shape (B, 1, H, 2·H), got {tuple(x.shape)}")
    if debug_checks_enabled():
        check_finite(x, name)
        check_non_negative(x, name, hint="depth must be ≥ 0 (0 = invalid)")
    return x
