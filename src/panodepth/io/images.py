"""RGB images: reading photos and equirectangular panoramas, writing 8-bit PNGs.

Conventions: images are float tensors C×H×W with RGB in [0, 1] (the geometry's layout
without the batch dimension). Reading drops alpha and expands grey to RGB; 16-bit and float
single-channel images (depth maps) are refused. A panorama is an image whose width is twice
its height: within :data:`ASPECT_TOLERANCE` of 2:1 it is resized with a warning, further off
it is refused. Every error is a :class:`~.errors.PanoramaError` naming the file; every write
is atomic (:func:`~.atomic.atomic_save`).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from .atomic import atomic_save
from .errors import PanoramaError

# Panoramas whose aspect ratio is within this relative distance of 2:1 are resized with a
# warning (e.g. 1181×591 web captures); anything further off is rejected.
ASPECT_TOLERANCE = 0.02


def read_rgb(path: str | os.PathLike) -> Tensor:
    """Read an image file as a 3×H×W float tensor in [0, 1] (alpha dropped, grey expanded)."""
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            mode = im.mode
            if mode in ("I;16", "I;16B", "I", "F"):
                raise PanoramaError(f"{path}: is a single-channel {mode} image, not an RGB photo")
            arr = np.asarray(im.convert("RGB"))
    except FileNotFoundError:
        raise PanoramaError(f"{path}: file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise PanoramaError(f"{path}: cannot be read as an image ({err})") from None
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float().div_(255)


def load_panorama(
    path: str | os.PathLike, height: int | None = None, tolerance: float = ASPECT_TOLERANCE
) -> Tensor:
    """Read an equirect RGB panorama, checked (and if needed resized) to 2:1.

    Args:
        path: image file.
        height: optional output height (width = 2·height); default keeps the file's height.
        tolerance: largest relative deviation from 2:1 that is resized with a warning.

    Returns:
        3×H×W float tensor in [0, 1] with W = 2·H.

    Raises:
        PanoramaError: unreadable file, or an aspect ratio too far from 2:1.
    """
    img = read_rgb(path)
    h, w = img.shape[-2:]
    ratio = w / h
    if abs(ratio / 2 - 1) > tolerance:
        raise PanoramaError(
            f"{path}: {w}×{h} (aspect {ratio:.3f}) is not an equirectangular panorama; "
            "expected width = 2 × height"
        )
    out_h = height or h
    if (w, h) != (2 * out_h, out_h):
        if w != 2 * h:
            warnings.warn(
                f"{path}: {w}×{h} is not exactly 2:1; resized to {2 * out_h}×{out_h}",
                stacklevel=2,
            )
        img = F.interpolate(
            img[None], size=(out_h, 2 * out_h), mode="bilinear", antialias=True, align_corners=False
        )[0].clamp_(0, 1)
    return img


def write_png(path: str | os.PathLike, img: Tensor) -> Path:
    """Write a C×H×W (C ∈ {1, 3}) float image in [0, 1] as an 8-bit PNG, atomically."""
    path = Path(path)
    if img.ndim != 3 or img.shape[0] not in (1, 3):
        raise ValueError(f"{path}: expected a 1×H×W or 3×H×W image, got {tuple(img.shape)}")
    arr = (img.detach().float().clamp(0, 1) * 255 + 0.5).to(torch.uint8).cpu()
    arr = arr[0].numpy() if arr.shape[0] == 1 else arr.permute(1, 2, 0).numpy()
    atomic_save(path, lambda f: Image.fromarray(arr).save(f, format="PNG"))
    return path
