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
from PIL import Image
from torch import Tensor

from .atomic import atomic_save
from .errors import PanoramaError
from .image_files import load_image

# Panoramas whose aspect ratio is within this relative distance of 2:1 are resized with a
# warning (e.g. 1181×591 web captures); anything further off is rejected.
ASPECT_TOLERANCE = 0.02


def read_rgb(path: str | os.PathLike) -> Tensor:
    """Read an image file as a 3×H×W float tensor in [0, 1] (alpha dropped, grey expanded)."""
    path = Path(path)
    im = load_image(path, "an image", PanoramaError, exif=True)
    mode = im.mode
    if mode in ("I;16", "I;16B", "I", "F"):
        im.close()
        raise PanoramaError(f"{path}: is a single-channel {mode} image, not an RGB photo")
    with im:
        arr = np.array(im if mode == "RGB" else im.convert("RGB"))  # one writable copy
    # one float buffer, filled in place: 4 bytes per value, no float temporaries (8K+ images)
    out = torch.empty((3, *arr.shape[:2]), dtype=torch.float32)
    out.copy_(torch.from_numpy(arr).permute(2, 0, 1))
    return out.div_(255)


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
    return as_panorama(read_rgb(path), path, height, tolerance)


def as_panorama(
    img: Tensor,
    path: str | os.PathLike,
    height: int | None = None,
    tolerance: float = ASPECT_TOLERANCE,
) -> Tensor:
    """``img`` (3×H×W, read from ``path``) checked and if needed resized to 2:1 (see
    :func:`load_panorama`)."""
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
                f"{path}: {w}×{h} is not exactly 2:1; taken as a full 360°×180° panorama, "
                f"stretched to {2 * out_h}×{out_h}",
                stacklevel=3,
            )
        img = F.interpolate(
            img[None], size=(out_h, 2 * out_h), mode="bilinear", antialias=True, align_corners=False
        )[0].clamp_(0, 1)
    return img


def write_png(path: str | os.PathLike, img: Tensor | np.ndarray) -> Path:
    """Write an 8-bit PNG, atomically: a C×H×W (C ∈ {1, 3}) float tensor in [0, 1], or an
    H×W×3 / H×W ``uint8`` array as it is (no float copy: for previews of 8K+ panoramas)."""
    path = Path(path)
    if isinstance(img, np.ndarray):
        if img.dtype != np.uint8 or img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
            raise ValueError(f"{path}: expected an H×W×3 or H×W uint8 array, got {img.dtype} "
                             f"{img.shape}")  # fmt: skip
        arr = img
    else:
        if img.ndim != 3 or img.shape[0] not in (1, 3):
            raise ValueError(f"{path}: expected a 1×H×W or 3×H×W image, got {tuple(img.shape)}")
        arr = (img.detach().float().clamp(0, 1) * 255 + 0.5).to(torch.uint8).cpu()
        arr = arr[0].numpy() if arr.shape[0] == 1 else arr.permute(1, 2, 0).numpy()
    atomic_save(path, lambda f: Image.fromarray(arr).save(f, format="PNG"))
    return path
