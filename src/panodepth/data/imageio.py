"""Reading and writing images: RGB panoramas in, PNG previews out, atomically.

Conventions: images are float tensors C×H×W with RGB in [0, 1] (the geometry's layout without
the batch dimension). Writes go to a temporary file in the target directory that is then
renamed over the target, so an interrupted run never leaves a half-written file.
Every error names the file and what is wrong with it.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch import Tensor

# Panoramas whose aspect ratio is within this relative distance of 2:1 are resized with a
# warning (e.g. 1181×591 web captures); anything further off is rejected.
ASPECT_TOLERANCE = 0.02


class PanoramaError(ValueError):
    """A file that cannot be used as a panorama (unreadable, wrong shape, ...)."""


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


def atomic_save(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it to ``path``.

    The file gets the usual permissions of a new file (``0o644``), not ``mkstemp``'s ``0o600``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_depth_png(path: str | os.PathLike, depth: Tensor, scale: float) -> Path:
    """Write a depth map in metres as a 16-bit PNG holding ``round(depth / scale)``, atomically.

    Args:
        depth: 1×H×W or H×W metres; 0 (or non-finite) = invalid, written as 0.
        scale: metres per unit (e.g. 0.001 for millimetres); depths that do not fit in
            16 bits at this scale raise ``ValueError`` instead of wrapping around.
    """
    path = Path(path)
    d = depth.detach().float().reshape(depth.shape[-2:]).cpu()
    d = torch.where(torch.isfinite(d) & (d > 0), d, torch.zeros_like(d))
    units = torch.round(d / scale)
    if float(units.max()) > 65535:
        raise ValueError(
            f"{path}: depth up to {float(d.max()):.3f} m does not fit a 16-bit PNG at "
            f"{scale} m per unit (max {65535 * scale:.3f} m)"
        )
    arr = units.to(torch.int32).numpy().astype(np.uint16)
    atomic_save(path, lambda f: Image.fromarray(arr).save(f, format="PNG"))
    return path


def read_depth_png(path: str | os.PathLike, scale: float, invalid: int | None = None) -> Tensor:
    """Read a 16-bit depth PNG as a 1×H×W float tensor in metres (0 = invalid).

    Args:
        scale: metres per unit, as documented by the dataset (never guessed from the path).
        invalid: an extra raw value that marks invalid pixels (e.g. 65535 in Stanford2D3D).
    """
    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            arr = np.asarray(im)
    except FileNotFoundError:
        raise PanoramaError(f"{path}: file not found") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise PanoramaError(f"{path}: cannot be read as a depth image ({err})") from None
    if arr.ndim != 2 or arr.dtype not in (np.uint16, np.int32, np.uint8):
        raise PanoramaError(
            f"{path}: expected a single-channel 16-bit depth PNG, got shape {arr.shape} "
            f"and dtype {arr.dtype}"
        )
    raw = torch.from_numpy(arr.astype(np.int64))
    depth = raw.float() * scale
    if invalid is not None:
        depth = torch.where(raw == invalid, torch.zeros_like(depth), depth)
    return depth[None]


def write_mask_png(path: str | os.PathLike, labels: Tensor) -> Path:
    """Write a 1×H×W (or H×W) integer label map (values 0–255) as an 8-bit PNG, atomically."""
    arr = labels.detach().reshape(labels.shape[-2:]).to(torch.uint8).cpu().numpy()
    atomic_save(Path(path), lambda f: Image.fromarray(arr).save(f, format="PNG"))
    return Path(path)
