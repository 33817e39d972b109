"""Float depth maps as ``.npy``: (H, W) float32, 0 (or non-finite) = invalid.

One reader, one writer. The writer stores float32 (H, W) without pickles, atomically. The
reader's validation rule: an (H, W) or (1, H, W) floating-point array (read without pickles),
returned as float32 (H, W); anything else is a :class:`~.errors.FileFormatError` naming the
file. Values are as stored: metres for datasets and metric predictions, relative units for
relative predictions (their JSON sidecar says which).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_save
from .errors import FileFormatError
from .maps import as_depth_map


def write_npy(path: str | os.PathLike, depth: np.ndarray | torch.Tensor) -> Path:
    """Write depth as a float32 (H, W) ``.npy``, atomically."""
    arr = as_depth_map(depth)
    atomic_save(Path(path), lambda f: np.save(f, arr, allow_pickle=False))
    return Path(path)


def read_npy(path: str | os.PathLike) -> np.ndarray:
    """A ``.npy`` depth map as float32 (H, W) (rule in the module docstring)."""
    path = Path(path)
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FileFormatError(f"{path}: file not found") from None
    except (OSError, ValueError, EOFError) as err:
        raise FileFormatError(f"{path}: cannot be read as a .npy array ({err})") from None
    return float_map(arr, path)


def float_map(arr: np.ndarray, path: Path) -> np.ndarray:
    """``arr`` as float32 (H, W) if it is an (H, W) or (1, H, W) float array, else an error."""
    if arr.ndim == 3 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.floating):
        raise FileFormatError(
            f"{path}: expected an H×W float depth map, got shape {arr.shape} and dtype {arr.dtype}"
        )
    return np.ascontiguousarray(arr, dtype=np.float32)
