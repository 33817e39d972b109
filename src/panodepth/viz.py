"""Visualisation helpers: colour maps for depth and errors, mosaics of views.

Pure functions from tensors to displayable float images (C×H×W in [0, 1]); writing files is
:mod:`panodepth.io`'s job. Invalid pixels (mask False) are drawn black.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import torch
from torch import Tensor
from torchvision.utils import make_grid


def colorize(
    values: Tensor,
    valid: Tensor | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "turbo",
) -> Tensor:
    """Map a 1×H×W (or H×W) tensor to a 3×H×W RGB image with a matplotlib colour map.

    ``vmin``/``vmax`` default to the 2nd/98th percentiles of the valid values.
    """
    v = values.detach().float().reshape(values.shape[-2:]).cpu()
    ok = (
        torch.isfinite(v)
        if valid is None
        else valid.reshape(v.shape).cpu().bool() & torch.isfinite(v)
    )
    if vmin is None or vmax is None:
        lo, hi = display_range(v, ok)
        lo, hi = (lo if vmin is None else vmin), (hi if vmax is None else vmax)
    else:
        lo, hi = vmin, vmax
    t = ((v - lo) / max(hi - lo, 1e-12)).clamp(0, 1)
    rgb = torch.from_numpy(matplotlib.colormaps[cmap](t.numpy())[..., :3]).float()
    rgb[~ok] = 0
    return rgb.permute(2, 0, 1).contiguous()


def display_range(values: Tensor, valid: Tensor | None = None) -> tuple[float, float]:
    """The 2nd and 98th percentiles of the finite valid values (``(0, 1)`` if there are none):
    the range :func:`colorize` maps onto its colour map by default."""
    v = values.detach().reshape(-1).cpu()
    m = None if valid is None else valid.detach().reshape(-1).cpu()
    if v.numel() > 4_000_000:  # a subsample of the pixels first: 8K+ maps stay cheap
        keep = evenly_spaced(v.numel(), 4_000_000)
        v, m = v[keep], (None if m is None else m[keep])
    v = v.float()
    ok = torch.isfinite(v)
    if m is not None:
        ok &= m.bool()
    if not ok.any():
        return 0.0, 1.0
    picked = v[ok]
    if picked.numel() > 1_000_000:  # quantile() has a size limit; a subsample is enough
        picked = picked[evenly_spaced(picked.numel(), 1_000_000)]
    return float(torch.quantile(picked, 0.02)), float(torch.quantile(picked, 0.98))


def evenly_spaced(n: int, k: int) -> Tensor:
    """Indices (int64) of ``min(n, k)`` items evenly spaced over ``n``, first and last included.

    Integer arithmetic: exact for any ``n`` (a float32 ``linspace`` overshoots past 2²⁴).
    """
    if n <= k:
        return torch.arange(n)
    if k == 1:
        return torch.zeros(1, dtype=torch.int64)
    return torch.arange(k, dtype=torch.int64) * (n - 1) // (k - 1)


def depth_colorbar(
    inv_lo: float, inv_hi: float, label: str, width: int = 640, cmap: str = "turbo"
) -> Tensor:
    """A horizontal colour bar (3×h×``width``) for a preview coloured by *inverse* depth over
    ``[inv_lo, inv_hi]`` (:func:`colorize` of 1/depth), its ticks labelled in depth (1/x).

    Far is on the left, near on the right, as the colours of the preview run.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lo, hi = float(inv_lo), float(inv_hi)
    if not hi > lo > 0:
        lo, hi = (max(lo, 1e-6), max(hi, lo * 1.01, 2e-6))
    dpi = 100
    fig = Figure(figsize=(width / dpi, 0.9), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.03, 0.55, 0.94, 0.3))
    ax.imshow(
        torch.linspace(0, 1, 256)[None].numpy(), aspect="auto", cmap=cmap,
        extent=(lo, hi, 0, 1),
    )  # fmt: skip
    ax.set_yticks([])
    ticks = [lo + (hi - lo) * f for f in (0.0, 0.25, 0.5, 0.75, 1.0)]
    ax.set_xticks(ticks, [f"{1 / t:.3g}" for t in ticks], fontsize=8)
    ax.set_xlabel(label, fontsize=8, labelpad=1)
    fig.canvas.draw()
    rgba = torch.from_numpy(np.asarray(fig.canvas.buffer_rgba()).copy()).float() / 255
    return rgba[..., :3].permute(2, 0, 1).contiguous()


def mosaic(images: Tensor, ncols: int = 5, padding: int = 2) -> Tensor:
    """Tile N×C×h×w images into one C×H×W image (white gaps between tiles)."""
    return make_grid(images.detach().float().cpu(), nrow=ncols, padding=padding, pad_value=1.0)
