"""Procedural surface textures (albedo) evaluated at surface coordinates.

This module owns the material look of the synthetic scenes: a small set of texture kinds
(:data:`TEXTURE_KINDS`), their parameters (:class:`TextureParams`), a sampler for random
parameters and the shading functions. Everything is a pure, vectorised torch function.

Conventions:

* ``uv`` are surface coordinates in **metres**, shape ``(N, 2)``, any device; they are cast to
  float32. The pattern frame is ``uv`` rotated by ``-params.angle``, so ``angle`` turns the
  pattern counter-clockwise in the surface plane; ``u'`` / ``v'`` below are pattern-frame axes.
* ``params.scale`` is the pattern period in metres along ``u'`` (checker/tiles: one period along
  each axis; brick: one brick length; wood: ring spacing; noise/plaster: lattice cell size).
* Colours are linear RGB in ``[0, 1]``; ``base`` is the dominant colour, the second colour is
  ``base + contrast · (accent − base)`` unless a kind says otherwise.
* Noise is gradient noise on an integer lattice hashed with 32-bit integer arithmetic carried in
  int64 tensors (no tables, any uv range, identical on CPU and GPU), summed over 1–4 octaves.
  Octaves whose period would fall below :data:`MIN_PERIOD` (5 cm) are dropped, so nothing
  finer than what a 256×512 panorama can represent at room scale is generated.
* Anti-aliasing is the caller's choice: with an optional per-pixel ``footprint`` (metres on the
  surface) detail finer than two footprints fades to its mean colour and thin lines (grout,
  mortar, plank seams) widen and lighten, a cheap mipmap-like prefilter that keeps far walls
  and grazing floors from shimmering or showing moiré. Without it, textures are point-sampled.
* Outputs are float32 in ``[0, 1]``; the same ``TextureParams`` always gives the same output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "MIN_PERIOD",
    "TEXTURE_KINDS",
    "TextureParams",
    "fbm",
    "gradient_noise",
    "hash2d",
    "sample_texture_params",
    "shade_texture",
    "shade_textures",
]

TEXTURE_KINDS = ("plaster", "noise", "stripes", "checker", "wood", "tiles", "brick")

#: Smallest noise period generated, in metres (finer octaves are dropped).
MIN_PERIOD = 0.05

_M32 = 0xFFFFFFFF
_MORTAR = (0.74, 0.72, 0.68)

# sampling ranges per kind: (scale_lo, scale_hi, contrast_lo, contrast_hi)
_RANGES: dict[str, tuple[float, float, float, float]] = {
    "plaster": (0.4, 1.5, 0.3, 1.0),
    "noise": (0.15, 0.8, 0.3, 0.9),
    "stripes": (0.1, 0.6, 0.2, 0.8),
    "checker": (0.3, 1.2, 0.4, 1.0),
    "wood": (0.05, 0.15, 0.5, 1.0),
    "tiles": (0.2, 0.6, 0.3, 0.9),
    "brick": (0.24, 0.45, 0.3, 0.8),
}


@dataclass(frozen=True)
class TextureParams:
    """Parameters of one procedural texture (see the module docstring for conventions)."""

    kind: str
    base: tuple[float, float, float]
    accent: tuple[float, float, float]
    scale: float = 0.5
    angle: float = 0.0
    contrast: float = 0.5
    seed: int = 0


# --------------------------------------------------------------------------- hashing and noise


def _mix32(x: Tensor) -> Tensor:
    """A 32-bit integer finaliser (lowbias32 style) on int64 tensors; values stay in [0, 2³²)."""
    x = x & _M32
    x = ((x >> 16) ^ x) * 0x45D9F3B & _M32
    x = ((x >> 16) ^ x) * 0x45D9F3B & _M32
    return (x >> 16) ^ x


def _seed32(seed: int) -> int:
    """Fold a Python int of any size into a well-mixed 32-bit value."""
    s = seed & _M32 ^ (seed >> 32) & _M32
    s = ((s >> 16) ^ s) * 0x45D9F3B & _M32
    s = ((s >> 16) ^ s) * 0x45D9F3B & _M32
    return (s >> 16) ^ s


def hash2d(ix: Tensor, iy: Tensor, seed: int) -> Tensor:
    """Hash integer lattice coordinates to uniform floats in [0, 1).

    Args:
        ix, iy: int64 tensors of the same shape (any values, negative included).
        seed: any Python int.

    Returns:
        float32 tensor of the same shape, deterministic in (ix, iy, seed).
    """
    h = _mix32((iy & _M32) ^ _seed32(seed))
    h = _mix32((ix & _M32) + h * 0x27D4EB2D)
    return (h & 0xFFFFFF).float() * (1.0 / 16777216.0)


def gradient_noise(p: Tensor, seed: int) -> Tensor:
    """2-D gradient (Perlin-style) noise with unit lattice spacing.

    Args:
        p: (N, 2) float coordinates in lattice units.
        seed: lattice seed.

    Returns:
        (N,) float32, roughly in [-1, 1], zero on lattice points, C² smooth.
    """
    p = p.float()
    i = torch.floor(p)
    f = p - i
    ii = i.long()
    off = torch.tensor([[0, 0], [1, 0], [0, 1], [1, 1]], device=p.device)
    corners = ii[:, None, :] + off  # (N, 4, 2)
    theta = hash2d(corners[..., 0], corners[..., 1], seed) * (2 * math.pi)
    d = f[:, None, :] - off.float()  # (N, 4, 2)
    dots = torch.cos(theta) * d[..., 0] + torch.sin(theta) * d[..., 1]  # (N, 4)
    w = f * f * f * (f * (f * 6 - 15) + 10)  # quintic fade
    wx, wy = w[:, 0], w[:, 1]
    a = dots[:, 0] + wx * (dots[:, 1] - dots[:, 0])
    b = dots[:, 2] + wx * (dots[:, 3] - dots[:, 2])
    return (a + wy * (b - a)) * 1.41


def _octaves(period: float, wanted: int) -> int:
    """How many octaves (halving periods) of ``wanted`` stay at or above :data:`MIN_PERIOD`."""
    if period <= MIN_PERIOD:
        return 1
    return max(1, min(wanted, 1 + math.floor(math.log2(period / MIN_PERIOD))))


def fbm(
    q: Tensor, period: float, seed: int, octaves: int = 4, footprint: Tensor | None = None
) -> Tensor:
    """Fractal sum of gradient noise whose coarsest lattice cell is ``period`` metres.

    Args:
        q: (N, 2) coordinates in metres.
        period: cell size of the first octave in metres; each octave halves it and halves the
            amplitude, and octaves finer than :data:`MIN_PERIOD` are dropped.
        seed: base seed; each octave uses a derived seed and a rotated lattice.
        octaves: maximum number of octaves.
        footprint: optional (N,) pixel footprint in metres; octaves too fine for it fade to
            their mean (0), see :func:`shade_texture`.

    Returns:
        (N,) float32, roughly in [-1, 1] (normalised by the amplitude sum).
    """
    n = _octaves(period, octaves)
    total = torch.zeros(q.shape[0], device=q.device, dtype=torch.float32)
    amp, norm = 1.0, 0.0
    for k in range(n):
        a = 0.5 + 1.1 * k  # rotate each octave so lattice axes do not line up
        c, s = math.cos(a), math.sin(a)
        rot = torch.tensor([[c, -s], [s, c]], device=q.device, dtype=torch.float32)
        pk = (q @ rot) * (2.0**k / period) + 17.31 * k
        octave = gradient_noise(pk, seed * 7919 + 101 * k)
        if footprint is not None:
            octave = octave * _fade(footprint, period / 2.0**k)
        total = total + amp * octave
        norm += amp
        amp *= 0.5
    return total / norm


# --------------------------------------------------------------------------- small helpers


def _smoothstep(e0: float | Tensor, e1: float | Tensor, x: Tensor) -> Tensor:
    t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0)
    return t * t * (3 - 2 * t)


def _mix(a: Tensor, b: Tensor, t: Tensor) -> Tensor:
    """Per-row blend: a, b (3,) or (N, 3), t (N,) → (N, 3)."""
    return a + (b - a) * t[:, None]


def _fade(fp: Tensor, period: float) -> Tensor:
    """1 where a feature of ``period`` metres is resolved by footprint ``fp``, 0 past Nyquist.

    Detail fades out between fp = period/4 and fp = period/2 (two pixels per period).
    """
    return 1.0 - _smoothstep(0.25 * period, 0.5 * period, fp)


def _half_on(s: Tensor, soft: float, fp: Tensor) -> Tensor:
    """Soft square wave of period 1: ≈1 on [0, ½) and ≈0 on [½, 1).

    Edges are ``soft + fp`` wide (both in period units); the wave fades to ½ as ``fp``
    approaches half a period.
    """
    tri = ((s - 0.25) - torch.floor(s - 0.25) - 0.5).abs() * 2  # 1 at s = ¼, 0 at s = ¾
    e = soft + fp
    return 0.5 + (_smoothstep(0.5 - e, 0.5 + e, tri) - 0.5) * _fade(fp, 1.0)


def _edge_soft(scale: float) -> float:
    """Edge softness in period units: about 1 cm or 3 % of the period, whichever is larger."""
    return min(0.2, max(0.03, 0.01 / scale))


def _line_free(d: Tensor, half_width: float, soft: float, fp: Tensor) -> Tensor:
    """1 away from a thin line (grout, mortar, seam), 0 on it; ``d`` = distance to its centre.

    A line thinner than the footprint is spread over the footprint and lightened in proportion,
    so its average darkness (width × depth) stays about the same instead of flickering.
    """
    spread = half_width + 0.5 * fp
    depth = half_width / spread
    return 1.0 - depth * (1.0 - _smoothstep(spread, spread + soft + 0.5 * fp, d))


# --------------------------------------------------------------------------- kinds
# Each shader maps (params, q (N, 2) pattern-frame metres, base (3,), c2 (3,), fp (N,)) → (N, 3).


def _plaster(p: TextureParams, q: Tensor, base: Tensor, c2: Tensor, fp: Tensor) -> Tensor:
    fine = fbm(q, p.scale, p.seed, 3, fp)
    broad = fbm(q, 4 * p.scale, p.seed + 1, 2, fp)
    lum = 1 + p.contrast * (0.07 * fine + 0.05 * broad)
    col = _mix(base, c2, 0.3 * _smoothstep(-0.4, 0.8, broad))
    return col * lum[:, None]


def _noise(p: TextureParams, q: Tensor, base: Tensor, c2: Tensor, fp: Tensor) -> Tensor:
    warp = fbm(q, 2 * p.scale, p.seed + 2, 2, fp)
    n = fbm(q + 0.5 * p.scale * warp[:, None], p.scale, p.seed, 4, fp)
    t = _smoothstep(-0.45, 0.45, n)
    return _mix(base, c2, t) * (1 + 0.06 * n)[:, None]


def _stripes(p: TextureParams, q: Tensor, base: Tensor, c2: Tensor, fp: Tensor) -> Tensor:
    wobble = fbm(q, 4 * p.scale, p.seed, 2, fp)
    t = _half_on(q[:, 0] / p.scale + 0.04 * wobble, _edge_soft(p.scale), fp / p.scale)
    grain = fbm(q, max(MIN_PERIOD, p.scale / 4), p.seed + 3, 2, fp)
    return _mix(base, c2, t) * (1 + 0.04 * grain)[:, None]


def _checker(p: TextureParams, q: Tensor, base: Tensor, c2: Tensor, fp: Tensor) -> Tensor:
    soft, fps = _edge_soft(p.scale), fp / p.scale
    a, b = _half_on(q[:, 0] / p.scale, soft, fps), _half_on(q[:, 1] / p.scale, soft, fps)
    t = a + b - 2 * a * b  # soft XOR: base on the square [0, scale/2)², c2 on its neighbours
    n = fbm(q, max(MIN_PERIOD, p.scale / 2), p.seed, 3, fp)
    return _mix(base, c2, t) * (1 + 0.05 * n)[:, None]


def _tiles(p: TextureParams, q: Tensor, base: Tensor, c2: Tensor, fp: Tensor) -> Tensor:
    s = q / p.scale
    cell = torch.floor(s)
    f = (s - cell) * p.scale  # metres inside the tile
    d = torch.minimum(f, p.scale - f).amin(1)  # distance to the nearest tile edge
    g = 0.003 + 0.01 * p.scale  # grout half width
    grout_mean = 1 - (1 - 2 * g / p.scale) ** 2  # grout area fraction
    fade = _fade(fp, p.scale)
    inside = _line_free(d, g, 0.006, fp)
    inside = (1 - grout_mean) + (inside - (1 - grout_mean)) * fade
    bevel = 1 - 0.07 * (1 - _smoothstep(g, g + 0.03, d))  # darker near the edges
    bevel_mean = 1 - 0.07 * (1 - (1 - 2 * (g + 0.015) / p.scale) ** 2)
    bevel = bevel_mean + (bevel - bevel_mean) * fade
    ci = cell.long()
    r = (hash2d(ci[:, 0], ci[:, 1], p.seed) - 0.5) * fade
    n = fbm(q, max(MIN_PERIOD, p.scale / 3), p.seed + 4, 2, fp)
    tile = base * (1 + 0.12 * p.contrast * r + 0.03 * n)[:, None] * bevel[:, None]
    grout = c2.expand_as(tile)
    return _mix(grout, tile, inside)


def _brick(p: TextureParams, q: Tensor, base: Tensor, c2: Tensor, fp: Tensor) -> Tensor:
    length, height = p.scale, p.scale / 3
    row = torch.floor(q[:, 1] / height)
    u = q[:, 0] / length + 0.5 * torch.remainder(row, 2)
    col = torch.floor(u)
    fu = (u - col) * length
    fv = q[:, 1] - row * height
    d = torch.minimum(torch.minimum(fu, length - fu), torch.minimum(fv, height - fv))
    m = 0.004 + 0.01 * p.scale  # mortar half width
    mortar_mean = 1 - (1 - 2 * m / length) * (1 - 2 * m / height)  # mortar area fraction
    fade = _fade(fp, height)
    inside = _line_free(d, m, 0.005, fp)
    inside = (1 - mortar_mean) + (inside - (1 - mortar_mean)) * fade
    r1 = 0.5 + (hash2d(col.long(), row.long(), p.seed) - 0.5) * fade
    r2 = 0.5 + (hash2d(col.long(), row.long(), p.seed + 1) - 0.5) * fade
    n = fbm(q, MIN_PERIOD * 2, p.seed + 2, 2, fp)
    brick = _mix(base, c2, r1 * 0.8) * (0.88 + 0.2 * r2 + 0.06 * n)[:, None]
    mortar_col = torch.tensor(_MORTAR, device=q.device) * (0.9 + 0.1 * base.mean())
    mortar = mortar_col * (1 + 0.05 * n)[:, None]
    return _mix(mortar, brick, inside)


def _wood(p: TextureParams, q: Tensor, base: Tensor, c2: Tensor, fp: Tensor) -> Tensor:
    # planks along u': width w, length 8·w, staggered ends per row
    w = min(0.3, max(0.12, 3 * p.scale))
    length = 8 * w
    row = torch.floor(q[:, 1] / w)
    ri = row.long()
    u = q[:, 0] / length + hash2d(ri, torch.zeros_like(ri), p.seed + 5)
    col = torch.floor(u)
    ci = col.long()
    x = (u - col) * length  # along the grain, metres from the plank end
    y = q[:, 1] - (row + 0.5) * w  # across the grain, metres from the plank centre
    # each plank is cut from a log whose axis runs along u', offset and below the surface
    cy = (hash2d(ci, ri, p.seed) - 0.5) * 1.5 * w
    dz = (0.15 + 0.6 * hash2d(ci, ri, p.seed + 1)) * w
    warp = fbm(torch.stack([x / 6, y], 1), p.scale, p.seed + 2, 2, fp)
    r = torch.sqrt((y - cy) ** 2 + dz**2) + 0.35 * p.scale * warp
    phase = r / p.scale + hash2d(ci, ri, p.seed + 3)
    ring = (0.5 + 0.5 * torch.sin(2 * math.pi * phase)) ** 3  # dark latewood bands, mean 5/16
    ring = 0.3125 + (ring - 0.3125) * _fade(fp, p.scale)
    grain = fbm(torch.stack([x / 8, y], 1), MIN_PERIOD, p.seed + 4, 1, fp)
    plank_fade = _fade(fp, w)
    tint = 1.0 + 0.2 * (hash2d(ci, ri, p.seed + 6) - 0.5) * plank_fade
    col_ = _mix(base, c2, (0.75 * ring + 0.15 * grain).clamp(0, 1)) * tint[:, None]
    de = torch.minimum(x, length - x)
    dc = torch.minimum(q[:, 1] - row * w, (row + 1) * w - q[:, 1])
    seam_mean = 1 - (1 - 0.004 / length) * (1 - 0.004 / w)  # seam area fraction (2 mm each)
    seam = _line_free(torch.minimum(de, dc), 0.002, 0.01, fp)  # soft dark seams
    seam = (1 - seam_mean) + (seam - (1 - seam_mean)) * plank_fade
    return col_ * (0.6 + 0.4 * seam)[:, None]


_SHADERS = {
    "plaster": _plaster,
    "noise": _noise,
    "stripes": _stripes,
    "checker": _checker,
    "wood": _wood,
    "tiles": _tiles,
    "brick": _brick,
}


# --------------------------------------------------------------------------- public API


def shade_texture(
    params: TextureParams, uv: Tensor, footprint: Tensor | float | None = None
) -> Tensor:
    """Evaluate one texture.

    Args:
        params: the texture.
        uv: (N, 2) surface coordinates in metres, any device and float dtype.
        footprint: optional pixel footprint on the surface in metres, (N,) or a scalar: the
            larger axis of the pixel's ellipse, e.g. ``t · Δθ / max(|cos i|, 0.1)`` for a ray of
            length t, angular pixel size Δθ (2π/W for an equirect of width W) and incidence i.
            Detail whose period is under two footprints fades to its mean colour, and lines
            thinner than a footprint are widened and lightened, so far and grazing surfaces do
            not alias (a cheap, mipmap-like prefilter). None or 0 means point sampling.

    Returns:
        (N, 3) float32 albedo in [0, 1] on ``uv.device``.
    """
    if uv.ndim != 2 or uv.shape[1] != 2:
        raise ValueError(f"uv must be (N, 2), got {tuple(uv.shape)}")
    shader = _SHADERS.get(params.kind)
    if shader is None:
        raise ValueError(f"unknown texture kind {params.kind!r}; expected one of {TEXTURE_KINDS}")
    if not params.scale > 0:
        raise ValueError(f"scale must be positive, got {params.scale}")
    dev = uv.device
    fp = _footprint(footprint, uv.shape[0], dev)
    q = uv.float()
    if params.angle != 0.0:
        c, s = math.cos(params.angle), math.sin(params.angle)
        q = q @ torch.tensor([[c, -s], [s, c]], device=dev, dtype=torch.float32)
    base = torch.tensor(params.base, device=dev, dtype=torch.float32)
    accent = torch.tensor(params.accent, device=dev, dtype=torch.float32)
    c2 = base + params.contrast * (accent - base)
    return shader(params, q, base, c2, fp).clamp(0.0, 1.0)


def _footprint(footprint: Tensor | float | None, n: int, device: torch.device) -> Tensor:
    if footprint is None:
        return torch.zeros(n, device=device, dtype=torch.float32)
    fp = torch.as_tensor(footprint, dtype=torch.float32, device=device)
    if fp.ndim == 0:
        return fp.expand(n)
    if fp.shape != (n,):
        raise ValueError(f"footprint must be a scalar or ({n},), got {tuple(fp.shape)}")
    return fp.clamp_min(0.0)


def shade_textures(
    params_list: Sequence[TextureParams],
    surface_id: Tensor,
    uv: Tensor,
    footprint: Tensor | None = None,
) -> Tensor:
    """Evaluate a texture per pixel, chosen by surface id.

    Pixels are grouped by id with one sort, and each texture runs only on its own pixels, so the
    cost is about that of one texture over N pixels regardless of ``len(params_list)``.

    Args:
        params_list: K textures.
        surface_id: (N,) integer ids in ``[-1, K)``; −1 means no surface (black).
        uv: (N, 2) surface coordinates in metres.
        footprint: optional (N,) pixel footprint in metres (see :func:`shade_texture`).

    Returns:
        (N, 3) float32 albedo in [0, 1] on ``uv.device``.
    """
    n = surface_id.shape[0]
    if surface_id.ndim != 1 or uv.shape != (n, 2):
        raise ValueError(
            f"expected surface_id (N,) and uv (N, 2), got {tuple(surface_id.shape)} and "
            f"{tuple(uv.shape)}"
        )
    if footprint is not None and footprint.shape != (n,):
        raise ValueError(f"footprint must be (N,) = ({n},), got {tuple(footprint.shape)}")
    k = len(params_list)
    out = torch.zeros(n, 3, device=uv.device, dtype=torch.float32)
    if n == 0:
        return out
    sid = surface_id.long()
    lo, hi = int(sid.min()), int(sid.max())
    if lo < -1 or hi >= k:
        raise ValueError(f"surface ids must lie in [-1, {k}), got range [{lo}, {hi}]")
    order = torch.argsort(sid, stable=True)
    counts = torch.bincount(sid + 1, minlength=k + 1).tolist()
    start = counts[0]  # skip the −1 pixels
    for params, cnt in zip(params_list, counts[1:], strict=True):
        if cnt:
            idx = order[start : start + cnt]
            fp = None if footprint is None else footprint.index_select(0, idx)
            out[idx] = shade_texture(params, uv.index_select(0, idx), fp)
            start += cnt
    return out


def sample_texture_params(
    kinds: Sequence[str],
    palette: Sequence[Sequence[float]] | Tensor,
    generator: torch.Generator,
) -> TextureParams:
    """Draw a random texture.

    Args:
        kinds: allowed kinds (subset of :data:`TEXTURE_KINDS`), drawn uniformly.
        palette: (K, 3) base colours in [0, 1] (sequence of RGB triples or a tensor).
        generator: the only source of randomness.

    Returns:
        A :class:`TextureParams` with ``base`` from the palette, ``accent`` either another palette
        colour or a darker/lighter shade of ``base`` (always darker for wood and brick),
        and ``scale``/``contrast`` uniform in per-kind ranges. Brick and most checker/tiles/wood
        patterns are axis-aligned (angle 0 or π/2; a quarter of tiles/checkers are diagonal);
        stripes, noise and plaster get any angle.
    """
    if not kinds:
        raise ValueError("kinds must not be empty")
    bad = [k for k in kinds if k not in _SHADERS]
    if bad:
        raise ValueError(f"unknown texture kinds {bad}; expected some of {TEXTURE_KINDS}")
    pal = torch.as_tensor(palette, dtype=torch.float64).reshape(-1, 3)
    if pal.shape[0] == 0:
        raise ValueError("palette must not be empty")
    dev = generator.device

    def rand() -> float:
        return float(torch.rand((), generator=generator, device=dev))

    def randint(n: int) -> int:
        return int(torch.randint(n, (), generator=generator, device=dev))

    kind = kinds[randint(len(kinds))]
    i = randint(pal.shape[0])
    base = pal[i].clamp(0, 1)
    if kind in ("wood", "brick"):
        accent = base * (0.35 + 0.3 * rand())
    elif rand() < 0.5 and pal.shape[0] > 1:
        j = randint(pal.shape[0] - 1)
        accent = pal[j + (j >= i)].clamp(0, 1)  # a different palette entry
    elif rand() < 0.6:
        accent = base * (0.4 + 0.4 * rand())
    else:
        accent = base + (1 - base) * (0.3 + 0.5 * rand())
    s_lo, s_hi, c_lo, c_hi = _RANGES[kind]
    scale = s_lo + (s_hi - s_lo) * rand()
    contrast = c_lo + (c_hi - c_lo) * rand()
    if kind == "brick":
        angle = 0.0
    elif kind in ("checker", "tiles") and rand() < 0.25:
        angle = math.pi / 4
    elif kind in ("checker", "tiles", "wood"):
        angle = (math.pi / 2) * randint(2)
    else:
        angle = math.pi * rand()
    seed = int(torch.randint(2**31 - 1, (), generator=generator, device=dev))
    return TextureParams(
        kind=kind,
        base=(float(base[0]), float(base[1]), float(base[2])),
        accent=(float(accent[0]), float(accent[1]), float(accent[2])),
        scale=scale,
        angle=angle,
        contrast=contrast,
        seed=seed,
    )
