"""Mask PNGs: 8-bit single-channel images of which pixels are valid.

Two encodings, one reader (:func:`read_mask`) with one validation rule (a single-channel
image; colour images are refused) and one writer (:func:`write_mask_png`):

* ``"precomputed"`` — :func:`panodepth.masks.precompute_masks` files: 255 (:data:`VALID`)
  = valid, 0 (:data:`INVALID`) = invalid; read as valid where the value is
  ≥ :data:`PRECOMPUTED_VALID_MIN` (128), so resampled or hand-edited masks still read right;
* ``"labels"`` — region label maps (the synthetic ``mask/`` folders: 0 valid, 1 sky,
  2 watermark): 0 = valid, anything else invalid.

A 1-bit PNG reads as 0 / 255. Masks are ``(1, H, W)`` bool tensors, True = valid. Errors are
:class:`~.errors.FileFormatError` s naming the file; writes are atomic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from .atomic import atomic_save
from .errors import FileFormatError
from .image_files import load_image

MaskFormat = Literal["labels", "precomputed"]
MASK_FORMATS: tuple[str, ...] = ("labels", "precomputed")
VALID = 255
INVALID = 0
PRECOMPUTED_VALID_MIN = 128


def read_mask(path: str | os.PathLike, mask_format: MaskFormat = "precomputed") -> Tensor:
    """A mask PNG as a bool ``(1, H, W)`` tensor, True = valid (encodings in the module)."""
    path = Path(path)
    if mask_format not in MASK_FORMATS:
        raise ValueError(f"mask_format must be one of {MASK_FORMATS}, got {mask_format!r}")
    with load_image(path, "a mask image") as im:
        mode, arr = im.mode, np.asarray(im)
    if arr.ndim != 2:
        raise FileFormatError(
            f"{path}: expected a single-channel mask, got mode {mode} {arr.shape}"
        )
    if mode == "1":
        arr = arr.astype(np.uint8) * VALID
    valid = arr == 0 if mask_format == "labels" else arr >= PRECOMPUTED_VALID_MIN
    return torch.from_numpy(np.ascontiguousarray(valid))[None]


def write_mask_png(path: str | os.PathLike, labels: Tensor) -> Path:
    """Write a 1×H×W (or H×W) integer map (values 0–255) as an 8-bit PNG, atomically.

    A validity mask is written as ``valid.to(torch.uint8) * VALID``; label maps as they are.
    """
    arr = labels.detach().reshape(labels.shape[-2:]).to(torch.uint8).cpu().numpy()
    atomic_save(Path(path), lambda f: Image.fromarray(arr).save(f, format="PNG"))
    return Path(path)
