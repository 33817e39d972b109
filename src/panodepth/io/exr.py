"""Float depth maps as OpenEXR (the ``openexr`` package): one float32 channel ``Z``.

One reader, one writer. The writer stores a single float32 channel ``Z`` (ZIP compression,
scanlines), atomically. The reader takes channel ``Z`` — or, for files made by other tools,
``Y``, ``depth`` or ``R``, or the file's only channel — and applies the ``.npy`` rule
(:func:`~.npy.float_map`: an (H, W) float map, returned as float32). Errors are
:class:`~.errors.FileFormatError` s naming the file. ``OpenEXR`` is imported only when an
EXR file is read or written.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_path
from .errors import FileFormatError
from .maps import as_depth_map
from .npy import float_map

CHANNEL = "Z"
READ_CHANNELS = ("Z", "Y", "depth", "R")  # the first one present is the depth


def write_exr(path: str | os.PathLike, depth: np.ndarray | torch.Tensor) -> Path:
    """Write depth as a single-channel (``Z``) float32 OpenEXR, ZIP compressed, atomically."""
    import OpenEXR

    path = Path(path)
    arr = np.ascontiguousarray(as_depth_map(depth))
    header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    with atomic_path(path, suffix=".exr") as tmp, OpenEXR.File(header, {CHANNEL: arr}) as exr:
        exr.write(str(tmp))
    return path


def read_exr(path: str | os.PathLike) -> np.ndarray:
    """An OpenEXR depth map as float32 (H, W) (channel rule in the module docstring)."""
    import OpenEXR

    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"{path}: file not found")
    try:
        with OpenEXR.File(str(path)) as f:
            channels = {name: np.asarray(ch.pixels) for name, ch in f.channels().items()}
    except (RuntimeError, OSError, ValueError) as err:
        raise FileFormatError(f"{path}: cannot be read as an EXR image ({err})") from None
    name = next((n for n in READ_CHANNELS if n in channels), None)
    if name is None and len(channels) == 1:
        name = next(iter(channels))
    if name is None:
        raise FileFormatError(
            f"{path}: no depth channel ({', '.join(READ_CHANNELS)}) among {sorted(channels)}"
        )
    return float_map(channels[name], path)
