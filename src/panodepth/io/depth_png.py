"""16-bit depth PNGs with their scale: ``depth = value × scale``, 0 = invalid.

The one reader and writer of depth PNGs, for datasets (Matterport3D, Stanford2D3D,
Structured3D, ``panodepth synth``) and for predictions (``panodepth predict``).

* Writing (:func:`write_depth_png`) stores ``round(depth / scale)`` as uint16 (0, non-finite
  and negative depth → 0; a depth that does not fit 16 bits at that scale raises instead of
  wrapping around) and the scale in the PNG's text chunk ``panodepth:scale`` (``repr`` of
  the float), with all metadata as JSON under ``panodepth``. Atomic.
* Reading (:func:`read_depth_png`) has one validation rule: a **single-channel 16-bit**
  image; an 8-bit or colour PNG is refused (it is a visualisation, not depth). The scale is
  the ``scale`` argument when given (a dataset's documented constant; it wins over the text
  chunk), else the file's ``panodepth:scale`` chunk; with neither the file is refused: the
  scale is never guessed. :meth:`DepthPNG.depth` applies it (in float64, then float32).

Every error names the file: :class:`~.errors.FileFormatError` (a ``ValueError``).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, PngImagePlugin

from .atomic import atomic_save
from .errors import FileFormatError
from .image_files import load_image
from .maps import as_depth_map

SCALE_KEY = "panodepth:scale"  # text chunk: depth units per PNG step
META_KEY = "panodepth"  # text chunk: JSON metadata (with "scale")
SIXTEEN_BIT_MODES = ("I;16", "I;16B", "I;16L", "I")


@dataclass(frozen=True)
class DepthPNG:
    """A depth PNG as stored: ``raw`` (H, W) uint16, its ``scale`` and its JSON ``meta``."""

    raw: np.ndarray
    scale: float
    meta: dict[str, Any] = field(default_factory=dict)

    def depth(self, invalid: int | None = None) -> np.ndarray:
        """(H, W) float32 depth ``raw × scale``; raw 0 (and the raw value ``invalid``) → 0."""
        depth = (self.raw.astype(np.float64) * self.scale).astype(np.float32)
        if invalid is not None:
            depth[self.raw == invalid] = 0.0
        return depth


def write_depth_png(
    path: str | os.PathLike,
    depth: np.ndarray | torch.Tensor,
    scale: float,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write depth as a 16-bit PNG holding ``round(depth / scale)``, the scale in text chunks.

    Args:
        depth: (H, W) or (1, H, W) depth (NumPy or torch); 0 or non-finite = invalid.
        scale: depth units per PNG step (e.g. 0.001 for millimetres).
        meta: extra metadata stored as JSON in the ``panodepth`` text chunk.

    Raises:
        ValueError: a scale that is not positive, or depth that does not fit 16 bits.
    """
    path = Path(path)
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"{path}: the depth scale must be a positive number, got {scale!r}")
    d = as_depth_map(depth)
    units = np.where(np.isfinite(d) & (d > 0), d, np.float32(0.0))  # ours: in place below
    np.round(np.divide(units, scale, out=units), out=units)
    if units.max(initial=0) > 65535:
        raise ValueError(
            f"{path}: depth up to {units.max() * scale:.4g} does not fit 16 bits at scale "
            f"{scale} (at most {65535 * scale:.4g})"
        )
    arr = units.astype(np.uint16)
    del units
    info = PngImagePlugin.PngInfo()
    info.add_text(SCALE_KEY, repr(float(scale)))
    info.add_text(META_KEY, json.dumps({**(meta or {}), "scale": float(scale)}))
    atomic_save(path, lambda f: Image.fromarray(arr).save(f, format="PNG", pnginfo=info))
    return path


def read_depth_png(path: str | os.PathLike, scale: float | None = None) -> DepthPNG:
    """Read a 16-bit depth PNG and its scale (see the module docstring for the rules).

    Args:
        scale: depth units per step; default: the file's ``panodepth:scale`` text chunk.

    Raises:
        FileFormatError: missing or unreadable file, not single-channel 16-bit, or no scale.
    """
    path = Path(path)
    with load_image(path, "a depth image") as im:
        mode, arr = im.mode, np.asarray(im)
        text = dict(getattr(im, "text", {}) or {})
    if mode not in SIXTEEN_BIT_MODES or arr.ndim != 2:
        bits = "8-bit " if arr.dtype == np.uint8 else ""
        raise FileFormatError(
            f"{path}: expected a 16-bit single-channel depth PNG, got a {bits}{mode} image "
            f"of shape {arr.shape} (an 8-bit or colour image is a visualisation, not depth)"
        )
    if arr.dtype != np.uint16 and (arr.min() < 0 or arr.max() > 65535):
        raise FileFormatError(f"{path}: depth values outside the 16-bit range")
    meta = _json_meta(path, text)
    if scale is None:
        if SCALE_KEY not in text:
            raise FileFormatError(
                f"{path}: no depth scale: pass the scale (depth units per step) or read a file "
                f"written by panodepth (text chunk {SCALE_KEY}); the scale is never guessed"
            )
        scale = _float(text[SCALE_KEY], path)
    elif not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"{path}: the depth scale must be a positive number, got {scale!r}")
    meta["scale"] = float(scale)
    return DepthPNG(arr.astype(np.uint16, copy=False), float(scale), meta)


def _json_meta(path: Path, text: dict[str, str]) -> dict[str, Any]:
    if META_KEY not in text:
        return {}
    try:
        meta = json.loads(text[META_KEY])
    except json.JSONDecodeError as err:
        raise FileFormatError(f"{path}: text chunk {META_KEY!r} is not JSON ({err})") from None
    if not isinstance(meta, dict):
        raise FileFormatError(f"{path}: text chunk {META_KEY!r} is not a JSON object")
    return meta


def _float(value: str, path: Path) -> float:
    try:
        scale = float(value)
    except ValueError:
        scale = math.nan
    if not (math.isfinite(scale) and scale > 0):
        raise FileFormatError(f"{path}: text chunk {SCALE_KEY} is not a positive number: {value!r}")
    return scale
