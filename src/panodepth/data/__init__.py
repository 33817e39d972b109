"""Data: reading and writing panoramas and depth maps (dataset readers come here too)."""

from .imageio import PanoramaError, load_panorama, read_rgb, write_png

__all__ = ["PanoramaError", "load_panorama", "read_rgb", "write_png"]
