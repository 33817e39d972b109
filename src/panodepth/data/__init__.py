"""Data: reading and writing panoramas and depth maps, synthetic scenes (readers come here too)."""

from .imageio import (
    PanoramaError,
    load_panorama,
    read_depth_png,
    read_rgb,
    write_depth_png,
    write_mask_png,
    write_png,
)

__all__ = [
    "PanoramaError",
    "load_panorama",
    "read_depth_png",
    "read_rgb",
    "write_depth_png",
    "write_mask_png",
    "write_png",
]
