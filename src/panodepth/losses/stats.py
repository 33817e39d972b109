"""Masked per-map statistics: median, mean, mean absolute deviation, valid counts.

Conventions:
    * A *map* is the last two dimensions (H, W) of a tensor; every leading index is one map,
      so a cube tensor (B, 6, 1, S, S) holds B·6 maps and an equirect (B, 1, H, W) holds B.
      Results have the leading shape (``x.shape[:-2]``).
    * ``mask`` is a bool tensor of ``x``'s shape (already expanded); True = valid pixel.
      Values at invalid pixels never enter a result or a gradient, even NaN or Inf.
    * The median is the *lower* median (element ``(n − 1) // 2`` of the ``n`` sorted valid
      values), as :func:`torch.median`; it is an element of the map, so its gradient flows to
      that element only. Maps without a valid pixel get 0 for every statistic.
    * Everything is vectorised over maps (one sort per call, no Python loop) and
      differentiable; these functions do not validate their inputs (the public losses do).

:func:`masked_median` is the one masked median of panodepth (the metrics' alignment uses it
too).
"""

from __future__ import annotations

import torch
from torch import Tensor


def at_least_float32(x: Tensor) -> Tensor:
    """Cast float16/bfloat16 to float32 (sums over 10⁵ pixels overflow or lose all precision
    in half precision, e.g. under autocast); other dtypes pass through. Differentiable."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def valid_count(mask: Tensor) -> Tensor:
    """Number of valid pixels per map: (..., H, W) bool → (...) int64."""
    return mask.flatten(-2).sum(-1)


def masked_mean(x: Tensor, mask: Tensor) -> Tensor:
    """Mean of the valid pixels of each map.

    Args:
        x: (..., H, W) values.
        mask: (..., H, W) bool, True = valid.

    Returns:
        (...) per-map means; 0 for maps without valid pixels.

    Example:
        >>> x = torch.tensor([[1.0, 2.0], [3.0, 100.0]])
        >>> masked_mean(x, x < 50)
        tensor(2.)
    """
    n = valid_count(mask)
    total = torch.where(mask, x, torch.zeros_like(x)).flatten(-2).sum(-1)
    return total / n.clamp_min(1).to(total.dtype)


def masked_median(x: Tensor, mask: Tensor) -> Tensor:
    """Lower median of the valid pixels of each map.

    Invalid entries are replaced by +inf and sorted to the end; the median is then gathered
    at index ``(n_valid − 1) // 2``, which for an even count is the lower of the two middle
    values (the convention of :func:`torch.median`).

    Args:
        x: (..., H, W) values.
        mask: (..., H, W) bool, True = valid.

    Returns:
        (...) per-map medians; 0 for maps without valid pixels.

    Example:
        >>> x = torch.tensor([[4.0, 1.0], [3.0, 2.0]])
        >>> masked_median(x, torch.ones_like(x, dtype=torch.bool))  # lower of 2 and 3
        tensor(2.)
    """
    flat = torch.where(mask, x, torch.full_like(x, float("inf"))).flatten(-2)
    ordered, _ = torch.sort(flat, dim=-1)
    n = valid_count(mask)
    index = ((n - 1).clamp_min(0) // 2).unsqueeze(-1)
    median = torch.gather(ordered, -1, index).squeeze(-1)
    return torch.where(n > 0, median, torch.zeros_like(median))


def masked_mad(x: Tensor, mask: Tensor, center: Tensor) -> Tensor:
    """Mean absolute deviation from ``center`` over the valid pixels of each map.

    Args:
        x: (..., H, W) values.
        mask: (..., H, W) bool, True = valid.
        center: (...) per-map centre (e.g. :func:`masked_median`).

    Returns:
        (...) per-map ``mean(|x − center|)`` over valid pixels; 0 without valid pixels.
    """
    # where() before abs(): a NaN at an invalid pixel must not reach a non-linear op, whose
    # backward would multiply the zero gradient by NaN
    deviation = torch.where(mask, x - center[..., None, None], torch.zeros_like(x))
    return masked_mean(deviation.abs(), mask)
