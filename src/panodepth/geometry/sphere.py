"""Spherical conventions of panodepth: the camera frame, equirect pixels, lon/lat and rays.

This module is the single place where the project's conventions are written down; every
other module (projections, students, point clouds) derives its geometry from it.

Convention — the camera frame (right-handed, the OpenCV camera frame):
    x → right, y → down, z → forward.
    The panorama's centre column looks along +z, longitude grows to the right (towards +x)
    and latitude grows upwards (towards −y). Point clouds are exported in this frame.

        lon = atan2(x, z) ∈ [−π, π],   lat = atan2(−y, √(x² + z²)) ∈ [−π/2, π/2]
        x = cos(lat)·sin(lon),   y = −sin(lat),   z = cos(lat)·cos(lon)

Convention — equirectangular pixels (H×W, W = 2·H):
    column u ∈ [0, W), row v ∈ [0, H), pixel centres at half-integers:

        lon = (u + 0.5)/W · 2π − π,   lat = π/2 − (v + 0.5)/H · π

    so the top row looks up, the left and right image borders are the ±π seam (behind the
    camera), and pixel (W/2, H/2) (a corner between four pixels) looks straight ahead.
    In ``torch.nn.functional.grid_sample`` coordinates (``align_corners=False``) this is
    simply ``gx = lon/π``, ``gy = −2·lat/π``.

Depth:
    the depth of a panorama pixel is its *range*: the Euclidean distance along the ray, in metres.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import Tensor

from ..checks import check_positive_int


def lonlat_to_xyz(lon: Tensor, lat: Tensor) -> Tensor:
    """Unit ray directions for longitude/latitude (radians).

    Args:
        lon: (*) longitude, 0 = straight ahead (+z), +π/2 = right (+x).
        lat: (*) latitude, +π/2 = up (−y).

    Returns:
        (*, 3) unit vectors (x, y, z) in the camera frame.

    Example:
        >>> lonlat_to_xyz(torch.tensor([0.0]), torch.tensor([0.0]))
        tensor([[0., -0., 1.]])
    """
    cos_lat = torch.cos(lat)
    return torch.stack((cos_lat * torch.sin(lon), -torch.sin(lat), cos_lat * torch.cos(lon)), -1)


def xyz_to_lonlat(xyz: Tensor) -> tuple[Tensor, Tensor]:
    """Longitude and latitude (radians) of directions (need not be unit length).

    Args:
        xyz: (*, 3) directions in the camera frame.

    Returns:
        ``(lon, lat)``, each (*): lon ∈ [−π, π], lat ∈ [−π/2, π/2].
    """
    x, y, z = xyz.unbind(-1)
    return torch.atan2(x, z), torch.atan2(-y, torch.hypot(x, z))


def equirect_lonlat(
    height: int,
    width: int,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> tuple[Tensor, Tensor]:
    """Longitude and latitude of every equirect pixel centre, each (H, W)."""
    check_positive_int(height, "height")
    check_positive_int(width, "width")
    dtype = dtype or torch.get_default_dtype()
    u = torch.arange(width, device=device, dtype=torch.float64)
    v = torch.arange(height, device=device, dtype=torch.float64)
    lon = (u + 0.5) / width * (2 * math.pi) - math.pi
    lat = math.pi / 2 - (v + 0.5) / height * math.pi
    lat_grid, lon_grid = torch.meshgrid(lat, lon, indexing="ij")
    return lon_grid.to(dtype), lat_grid.to(dtype)


def equirect_rays(
    height: int,
    width: int,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Unit ray of every equirect pixel centre.

    Returns:
        (H, W, 3) unit vectors in the camera frame (a new tensor; safe to modify).

    Example:
        >>> equirect_rays(2, 4)[0, 2]  # first row looks up-ish, just right of the centre
        tensor([ 0.5000, -0.7071,  0.5000])
    """
    return _cached_equirect_rays(height, width, torch.device(device or "cpu"), dtype).clone()


@lru_cache(maxsize=16)
def _cached_equirect_rays(
    height: int, width: int, device: torch.device, dtype: torch.dtype | None
) -> Tensor:
    """Cached rays (H, W, 3); callers must not modify the returned tensor in place."""
    lon, lat = equirect_lonlat(height, width, device=device, dtype=torch.float64)
    return lonlat_to_xyz(lon, lat).to(dtype or torch.get_default_dtype())


def directions_to_grid(xyz: Tensor) -> Tensor:
    """``grid_sample`` coordinates (align_corners=False) of directions on an equirect image.

    Args:
        xyz: (*, 3) directions (need not be unit length).

    Returns:
        (*, 2) normalised coordinates ``(lon/π, −2·lat/π)`` in [−1, 1].
    """
    x, y, z = xyz.unbind(-1)
    lon = torch.atan2(x, z)
    lat = torch.atan2(y, torch.hypot(x, z))  # = −lat: the image's y axis points down
    return torch.stack((lon, lat), -1).mul_(_grid_scale(xyz.device, xyz.dtype))


@lru_cache(maxsize=16)
def _grid_scale(device: torch.device, dtype: torch.dtype) -> Tensor:
    return torch.tensor([1 / math.pi, 2 / math.pi], device=device, dtype=dtype)


def equirect_pixel_to_lonlat(
    u: Tensor, v: Tensor, height: int, width: int
) -> tuple[Tensor, Tensor]:
    """Longitude/latitude of (fractional) equirect pixel coordinates ``u`` (column), ``v`` (row)."""
    lon = (u + 0.5) / width * (2 * math.pi) - math.pi
    lat = math.pi / 2 - (v + 0.5) / height * math.pi
    return lon, lat


def lonlat_to_equirect_pixel(
    lon: Tensor, lat: Tensor, height: int, width: int
) -> tuple[Tensor, Tensor]:
    """Fractional equirect pixel coordinates ``(u, v)`` of longitude/latitude."""
    u = (lon + math.pi) / (2 * math.pi) * width - 0.5
    v = (math.pi / 2 - lat) / math.pi * height - 0.5
    return u, v
