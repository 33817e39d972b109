"""panodepth: monocular depth for 360° panoramas (the Depth Anywhere recipe and its toolkit)."""

__version__ = "0.1.0"
