"""Visualisation helpers: colour maps for depth and errors, mosaics of views.

Pure functions from tensors to displayable float images (C×H×W in [0, 1]); writing files is
:mod:`panodepth.io`'s job. Invalid pixels (mask False) are drawn black.
"""

from __future__ import annotations

import matplotlib
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
    if ok.any():
        picked = v[ok]
        if picked.numel() > 1_000_000:  # quantile() has a size limit; a subsample is enough
            picked = picked[torch.linspace(0, picked.numel() - 1, 1_000_000).long()]
        lo = float(torch.quantile(picked, 0.02)) if vmin is None else vmin
        hi = float(torch.quantile(picked, 0.98)) if vmax is None else vmax
    else:
        lo, hi = 0.0, 1.0
    t = ((v - lo) / max(hi - lo, 1e-12)).clamp(0, 1)
    rgb = torch.from_numpy(matplotlib.colormaps[cmap](t.numpy())[..., :3]).float()
    rgb[~ok] = 0
    return rgb.permute(2, 0, 1).contiguous()


def mosaic(images: Tensor, ncols: int = 5, padding: int = 2) -> Tensor:
    """Tile N×C×h×w images into one C×H×W image (white gaps between tiles)."""
    return make_grid(images.detach().float().cpu(), nrow=ncols, padding=padding, pad_value=1.0)
