"""Helpers shared by the geometry tests: synthetic panoramas with known content.

The panoramas are analytic functions of each pixel's ray, so every projection can be checked
against the exact value it should sample, not only against another implementation.
(Imported by the test modules; pytest's default ``prepend`` import mode puts this folder on
``sys.path``.)
"""

from __future__ import annotations

import torch

from panodepth.geometry import equirect_lonlat, face_rotations, lonlat_to_xyz, view_rays


def pano_rays(height: int) -> torch.Tensor:
    """(H, 2H, 3) float64 unit rays of the equirect pixel centres, from the documented formula."""
    lon, lat = equirect_lonlat(height, 2 * height, dtype=torch.float64)
    return lonlat_to_xyz(lon, lat)


def encode_dirs(xyz: torch.Tensor) -> torch.Tensor:
    """Colour of a direction in the direction-encoding panorama: 0.5 + 0.25·xyz."""
    return 0.5 + 0.25 * xyz


def decode_dirs(values: torch.Tensor, dim: int) -> torch.Tensor:
    """Unit directions back from direction-encoded colours (channels along ``dim``)."""
    return torch.nn.functional.normalize((values.double() - 0.5) / 0.25, dim=dim)


def face_pixel_dirs(size: int) -> torch.Tensor:
    """(6, S, S, 3) float64 unit world directions of every cube face pixel.

    Built from the documented ingredients: ``face_rotations()`` applied to the 90° view rays.
    """
    rays = torch.nn.functional.normalize(view_rays(size, 90.0, dtype=torch.float64), dim=-1)
    return torch.einsum("kij,hwj->khwi", face_rotations(dtype=torch.float64), rays)


def angle(a: torch.Tensor, b: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Angle (radians) between unit vectors, numerically safe near 0."""
    return 2 * torch.asin(((a - b).norm(dim=dim) / 2).clamp(max=1.0))


def textured_values(xyz: torch.Tensor) -> torch.Tensor:
    """(..., 2) textured but band-limited function of the direction (sums of sinusoids).

    Channel 0 is written in lon/lat (6 and 3 cycles around the horizon), channel 1 in x, y, z;
    both are continuous across the ±180° seam and single-valued at the poles.
    """
    lon = torch.atan2(xyz[..., 0], xyz[..., 2])
    lat = torch.asin((-xyz[..., 1]).clamp(-1, 1))
    a = (
        0.5
        + 0.2 * torch.sin(6 * lon) * torch.cos(lat)
        + 0.15 * torch.cos(4 * lat)
        + 0.1 * torch.sin(3 * lon + 1) * torch.cos(lat) ** 2
    )
    b = 0.5 + 0.25 * torch.sin(5 * xyz[..., 0] + 2 * xyz[..., 1]) * torch.cos(4 * xyz[..., 2])
    return torch.stack((a, b), -1)


def make_pano(fn, height: int, dtype: torch.dtype = torch.float32, batch: int = 1) -> torch.Tensor:
    """(B, C, H, 2H) panorama whose pixel values are ``fn(ray)`` (channels last in ``fn``)."""
    img = fn(pano_rays(height)).permute(2, 0, 1).unsqueeze(0)
    return img.expand(batch, -1, -1, -1).contiguous().to(dtype)


def direction_pano(height: int, dtype: torch.dtype = torch.float32, batch: int = 1) -> torch.Tensor:
    """(B, 3, H, 2H) panorama whose pixels encode their own ray direction (0.5 + 0.25·xyz)."""
    return make_pano(encode_dirs, height, dtype, batch)


def textured_pano(height: int, dtype: torch.dtype = torch.float32, batch: int = 1) -> torch.Tensor:
    """(B, 2, H, 2H) band-limited textured panorama (see :func:`textured_values`)."""
    return make_pano(textured_values, height, dtype, batch)
