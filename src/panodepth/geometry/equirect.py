"""Rotating equirect images on the sphere.

Convention: ``rotate_equirect(img, R)`` is the panorama seen by a camera rotated by ``R``
(camera-to-world, :mod:`panodepth.geometry.rotation`): output ray ``d`` samples the input at
``R @ d``. Rotating by ``R`` and then by ``Rᵀ`` gives the input back (up to interpolation).
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import Tensor

from ..checks import check_choice, check_equirect, check_rotation
from .perspective import view_grid
from .sampling import SAMPLING_MODES, sample_equirect
from .sphere import _cached_equirect_rays


@lru_cache(maxsize=8)
def _cached_equirect_rays_t(height: int, width: int, device: torch.device) -> Tensor:
    """Equirect rays as (3, H·W) float32 with contiguous rows."""
    rays = _cached_equirect_rays(height, width, device, torch.float32)
    return rays.reshape(-1, 3).T.contiguous()


def rotate_equirect(img: Tensor, rotation: Tensor, mode: str = "bilinear") -> Tensor:
    """Rotate an equirect image on the sphere.

    Args:
        img: (B, C, H, W) equirect image, W = 2·H.
        rotation: (3, 3) or (B, 3, 3) camera-to-world rotation(s), one per sample.
        mode: ``"bilinear"`` or ``"nearest"`` (use nearest for depth maps with invalid 0s).

    Returns:
        (B, C, H, W) rotated image.

    Example:
        >>> from panodepth.geometry import rotation_matrix
        >>> img = torch.rand(1, 3, 32, 64)
        >>> half_turn = rotation_matrix(torch.tensor(3.14159265), 0.0, 0.0)
        >>> torch.allclose(rotate_equirect(img, half_turn), img.roll(32, dims=-1), atol=1e-4)
        True
    """
    img = check_equirect(img)
    check_choice(mode, SAMPLING_MODES, "mode")
    b, c, height, width = img.shape
    rotation = check_rotation(rotation, b).float()
    rays_t = _cached_equirect_rays_t(height, width, img.device)
    grid, border = view_grid(rotation.unsqueeze(1), rays_t, width, height, width)
    return sample_equirect(img, grid, mode, border=border).view(b, c, height, width)
