"""Procedural test panoramas with known content, for smoke runs and visual checks.

``direction_pattern`` colours every pixel by its viewing direction (so the six cube faces get
recognisable hues) and draws a 15° longitude/latitude graticule, which makes seams, pole
handling and face orientation visible at a glance.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from panodepth.geometry import equirect_lonlat, lonlat_to_xyz


def direction_pattern(height: int = 512, graticule_deg: float = 15.0) -> Tensor:
    """A 3×H×2H panorama: RGB = 0.5 + 0.4·(x, y, z) of the ray, with dark graticule lines."""
    lon, lat = equirect_lonlat(height, 2 * height)
    rgb = 0.5 + 0.4 * lonlat_to_xyz(lon, lat).permute(2, 0, 1)
    step = math.radians(graticule_deg)
    width = 2 * math.pi / (2 * height) * 1.5  # about 1.5 px wide lines
    on_lon = torch.remainder(lon + step / 2, step).sub(step / 2).abs() < width / 2
    on_lat = torch.remainder(lat + step / 2, step).sub(step / 2).abs() < width / 2
    return torch.where(on_lon | on_lat, rgb * 0.25, rgb).float()
