"""Web-panorama-style watermarks with an exact ground-truth mask.

This module owns :func:`stamp_watermark`, which alpha-blends a text ("© PanoWorld 2019",
"www.vistara.com", …) or a small logo (circle / rounded square / ring with a letter) into a
panorama, the way photo sites brand their 360° images, and returns the mask of the pixels it
changed.

Conventions:

* ``rgb`` is a 3×H×W float tensor in [0, 1] on any device; it is never modified in place.
* The stamp is rasterised with PIL on the CPU at 4× supersampling and box-filtered down, so its
  edges are anti-aliased; text uses ``ImageFont.load_default(size=…)``.
* ``mask`` (bool, 1×H×W) is ``alpha > ALPHA_THRESHOLD``. Pixels outside the mask are returned
  bit-identical; inside it, every pixel moves by at least :data:`MIN_CHANGE` (> 1/255) in some
  channel: when the blend lands too close to the background (white text on a white sky), the
  colour is pushed away from the background. Hence ``mask == (new != old).any(0)`` exactly.
* All randomness comes from ``generator`` (``torch.rand`` / ``torch.randint``), so the result is
  deterministic given its state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont
from torch import Tensor

__all__ = ["ALPHA_THRESHOLD", "MIN_CHANGE", "WATERMARK_KINDS", "stamp_watermark"]

WATERMARK_KINDS: tuple[str, ...] = ("text", "logo")

#: Stamp alpha above which a pixel belongs to the mask.
ALPHA_THRESHOLD = 2.0 / 255.0
#: Smallest change (max over channels) of a masked pixel.
MIN_CHANGE = 1.5 / 255.0

_SUPERSAMPLE = 4
_T = TypeVar("_T")
_SYLLABLES = (
    "pa", "no", "vi", "sta", "ra", "lu", "mi", "ko", "zen", "tor", "ex", "sphe", "ro", "ma",
    "qui", "ve", "lo", "ori", "on", "sky", "ta", "da", "nu", "xa", "ly", "fo", "ter", "al",
)  # fmt: skip
_SUFFIXES = ("World", "View", "360", "Cities", "Pano", "Studio", "Maps", "Tours", "Photo", "VR")
_TEMPLATES = ("© {B} {Y}", "© {B}", "{b}.com", "www.{b}.com", "{B} {S}", "© {B}{S} {Y}")


class _Rng:
    """Thin wrapper drawing scalars from a torch.Generator."""

    def __init__(self, generator: torch.Generator) -> None:
        self.g = generator

    def rand(self) -> float:
        return float(torch.rand((), generator=self.g, device=self.g.device))

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.rand()

    def randint(self, n: int) -> int:
        return int(torch.randint(n, (), generator=self.g, device=self.g.device))

    def choice(self, seq: Sequence[_T]) -> _T:
        return seq[self.randint(len(seq))]


def _random_text(rng: _Rng) -> str:
    word = "".join(rng.choice(_SYLLABLES) for _ in range(2 + rng.randint(2)))
    year = str(2008 + rng.randint(17))
    template = rng.choice(_TEMPLATES)
    return template.format(B=word.capitalize(), b=word, Y=year, S=rng.choice(_SUFFIXES))


def _render_text(text: str, height_px: float, outline: bool) -> tuple[np.ndarray, np.ndarray]:
    """Supersampled (fill, full) coverage masks of ``text``; full includes the outline."""
    size = max(4, round(height_px * _SUPERSAMPLE))
    font = ImageFont.load_default(size=size)
    stroke = max(1, round(size * 0.08)) if outline else 0
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    w, h = right - left + 2, bottom - top + 2
    images = []
    for sw in (0, stroke):
        im = Image.new("L", (w, h), 0)
        ImageDraw.Draw(im).text(
            (1 - left, 1 - top), text, fill=255, font=font, stroke_width=sw, stroke_fill=255
        )
        images.append(np.asarray(im, dtype=np.float32) / 255.0)
    fill, full = images
    return fill, np.maximum(full, fill)


def _render_logo(size_px: float, letter: str, shape: str) -> tuple[np.ndarray, np.ndarray]:
    """Supersampled (primary, full) coverage masks of a logo of side ``size_px``.

    ``full`` is the stamp's coverage; ``primary`` the part drawn in the main colour (the rest of
    ``full`` takes the secondary colour, for a letter printed on a filled badge).
    """
    s = max(8, round(size_px * _SUPERSAMPLE))
    box = (1, 1, s - 2, s - 2)
    shape_im = Image.new("L", (s, s), 0)
    draw = ImageDraw.Draw(shape_im)
    ring_w = max(2, s // 10)
    if shape == "circle":
        draw.ellipse(box, fill=255)
    elif shape == "rounded":
        draw.rounded_rectangle(box, radius=s // 5, fill=255)
    else:  # ring
        draw.ellipse(box, outline=255, width=ring_w)
    letter_im = Image.new("L", (s, s), 0)
    font = ImageFont.load_default(size=max(4, round(s * 0.6)))
    ImageDraw.Draw(letter_im).text((s / 2, s / 2), letter, fill=255, font=font, anchor="mm")
    shp = np.asarray(shape_im, dtype=np.float32) / 255.0
    let = np.asarray(letter_im, dtype=np.float32) / 255.0
    if shape == "ring":
        full = np.maximum(shp, let)
        return full, full
    return shp * (1.0 - let), shp  # the letter takes the secondary colour


def _downsample(masks: list[np.ndarray], out_w: int, out_h: int) -> list[np.ndarray]:
    """Box-filter supersampled masks to (out_h, out_w)."""
    out = []
    for m in masks:
        im = Image.fromarray(m.astype(np.float32), mode="F")
        out.append(np.asarray(im.resize((out_w, out_h), Image.Resampling.BOX), dtype=np.float32))
    return out


def _place(rng: _Rng, h: int, w: int, ph: int, pw: int) -> tuple[int, int]:
    """Top-left corner of a ph×pw patch: mostly a corner or the bottom centre."""
    margin = round(rng.uniform(0.01, 0.05) * h)
    max_y, max_x = h - ph, w - pw
    where = rng.rand()
    if where < 0.55:  # one of the four corners
        corner = rng.randint(4)
        y = margin if corner < 2 else max_y - margin
        x = margin if corner % 2 == 0 else max_x - margin
    elif where < 0.8:  # bottom centre
        y = max_y - margin
        x = round(max_x / 2 + rng.uniform(-0.03, 0.03) * w)
    else:  # anywhere
        y = round(rng.rand() * max_y)
        x = round(rng.rand() * max_x)
    return min(max(y, 0), max_y), min(max(x, 0), max_x)


def stamp_watermark(
    rgb: Tensor,
    generator: torch.Generator,
    text: str | None = None,
    opacity: tuple[float, float] = (0.35, 0.8),
    kind: str | None = None,
) -> tuple[Tensor, Tensor]:
    """Stamp a random watermark into a panorama.

    Args:
        rgb: 3×H×W float tensor in [0, 1], H, W ≥ 16, any device.
        generator: the only source of randomness (any device).
        text: the text of a ``"text"`` watermark (its first letter or digit is the letter of a
            ``"logo"``); random brand-like text when None. Giving it with ``kind=None`` selects
            ``"text"``.
        opacity: range of the stamp's opacity, drawn uniformly.
        kind: ``"text"``, ``"logo"`` or None (random, text twice as likely as a logo).

    Returns:
        ``(new_rgb, mask)``: a new 3×H×W tensor (same dtype and device as ``rgb``) and a 1×H×W
        bool mask, True exactly where the pixels changed (see the module docstring).
    """
    if rgb.ndim != 3 or rgb.shape[0] != 3 or not rgb.is_floating_point():
        raise ValueError(f"rgb must be a 3×H×W float tensor, got {tuple(rgb.shape)} {rgb.dtype}")
    _, h, w = rgb.shape
    if h < 16 or w < 16:
        raise ValueError(f"rgb must be at least 16×16, got {h}×{w}")
    lo_op, hi_op = opacity
    if not 0.0 < lo_op <= hi_op <= 1.0:
        raise ValueError(f"opacity must satisfy 0 < lo <= hi <= 1, got {opacity}")
    rng = _Rng(generator)
    if kind is None:
        kind = "text" if text is not None or rng.rand() < 2 / 3 else "logo"
    if kind not in WATERMARK_KINDS:
        raise ValueError(f"unknown watermark kind {kind!r}; expected one of {WATERMARK_KINDS}")

    light = rng.rand() < 0.7  # white (usual) or black
    primary = 1.0 if light else 0.0
    secondary = 1.0 - primary
    if kind == "text":
        if text is None:
            text = _random_text(rng)
        height_px = max(7.0, rng.uniform(0.05, 0.10) * h)
        outline = rng.rand() < 0.4
        fill, full = _render_text(text, height_px, outline)
        # inside the outline the glyph takes the primary colour, the outline the secondary one
        prim, cover = fill, full
    else:
        letters = [c for c in (text or "") if c.isalnum()]
        letter = letters[0].upper() if letters else chr(ord("A") + rng.randint(26))
        shape = rng.choice(("circle", "rounded", "ring"))
        prim, cover = _render_logo(max(10.0, rng.uniform(0.08, 0.18) * h), letter, shape)

    # fit in the image, then downsample from the supersampled raster
    sh, sw = cover.shape
    fit = min(1.0 / _SUPERSAMPLE, 0.9 * w / sw, 0.9 * h / sh)
    pw, ph = max(1, round(sw * fit)), max(1, round(sh * fit))
    prim, cover = _downsample([prim, cover], pw, ph)
    y0, x0 = _place(rng, h, w, ph, pw)
    alpha_max = rng.uniform(lo_op, hi_op)

    dev = rgb.device
    cover_t = torch.from_numpy(np.clip(cover, 0.0, 1.0)).to(dev)
    prim_t = torch.from_numpy(np.clip(prim, 0.0, 1.0)).to(dev)
    # colour: primary where prim covers, secondary on the rest of the stamp
    frac = torch.where(cover_t > 0, prim_t / cover_t.clamp_min(1e-6), torch.zeros_like(cover_t))
    colour = (secondary + (primary - secondary) * frac.clamp(0, 1))[None]  # 1×ph×pw, grey
    alpha = cover_t * alpha_max

    out = rgb.clone()
    mask = torch.zeros(1, h, w, dtype=torch.bool, device=dev)
    old = rgb[:, y0 : y0 + ph, x0 : x0 + pw].float()
    on = alpha > ALPHA_THRESHOLD
    new = (old + alpha * (colour - old)).clamp(0, 1)
    # push masked pixels whose change is too small away from the background
    small = on & ((new - old).abs().amax(0) < MIN_CHANGE)
    if bool(small.any()):
        lum = old.mean(0)
        direction = torch.where(lum > 0.5, -1.0, 1.0)
        pushed = (old + direction * MIN_CHANGE).clamp(0, 1)
        new = torch.where(small, pushed, new)
    patch = torch.where(on, new.to(rgb.dtype), rgb[:, y0 : y0 + ph, x0 : x0 + pw])
    out[:, y0 : y0 + ph, x0 : x0 + pw] = patch
    mask[:, y0 : y0 + ph, x0 : x0 + pw] = on
    return out, mask
