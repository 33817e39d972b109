"""Reading and writing images: moved to :mod:`panodepth.io`, re-exported here.

RGB panoramas are :mod:`panodepth.io.images`'s, depth PNGs :mod:`panodepth.io.depth_png`'s,
mask PNGs :mod:`panodepth.io.masks`' and atomic writes :mod:`panodepth.io.atomic`'s. This
module keeps the old import path ``panodepth.data.imageio`` working for code outside the
library; panodepth's own modules import from :mod:`panodepth.io`.
"""

from __future__ import annotations

from panodepth.io.atomic import atomic_save
from panodepth.io.depth_png import write_depth_png
from panodepth.io.errors import PanoramaError
from panodepth.io.images import ASPECT_TOLERANCE, load_panorama, read_rgb, write_png
from panodepth.io.masks import write_mask_png

__all__ = [
    "ASPECT_TOLERANCE",
    "PanoramaError",
    "atomic_save",
    "load_panorama",
    "read_rgb",
    "write_depth_png",
    "write_mask_png",
    "write_png",
]
