"""Reverse Huber (BerHu) loss, the supervised depth loss of UniFuse and BiFuse.

    berhu(d) = |d|                 if |d| ≤ c
             = (d² + c²) / (2c)    otherwise,     d = pred − target

Conventions:
    * ``c = c_ratio · max|d|`` over the valid pixels of each map (last two dims; one map per
      leading index, i.e. per image for (B, 1, H, W)). ``c`` is detached: it is a threshold,
      not something to optimise. (UniFuse takes the max over the whole batch; here it is per
      image.)
    * The loss is the mean over the valid pixels of all maps pooled together. With no valid
      pixel it is 0, still attached to ``pred``'s graph.
    * ``mask`` is bool, True = valid, broadcastable to ``pred``; values at invalid pixels are
      ignored (even NaN/Inf) and get a zero gradient.
    * Half-precision inputs (float16, bfloat16) are computed in float32.
    * Checks (:mod:`panodepth.checks`): shapes, dtypes and arguments always; NaN/Inf in
      ``pred`` or ``target`` at valid pixels only with the debug switch on.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..checks import check_finite, check_mask, check_pair, check_positive, debug_checks_enabled
from .stats import at_least_float32


def berhu_loss(
    pred: Tensor, target: Tensor, mask: Tensor | None = None, c_ratio: float = 0.2
) -> Tensor:
    """Reverse Huber loss with a per-map threshold ``c = c_ratio · max|pred − target|``.

    Args:
        pred: (..., H, W) prediction; gradients flow to it.
        target: (..., H, W) target of the same shape.
        mask: (..., H, W) bool (or broadcastable), True = valid; None = all valid.
        c_ratio: threshold as a fraction of each map's largest absolute error, > 0.

    Returns:
        Scalar: mean BerHu value over all valid pixels.

    Example:
        >>> pred, target = torch.tensor([[0.0, 1.0, 10.0]]), torch.zeros(1, 3)
        >>> berhu_loss(pred, target, c_ratio=0.5)  # c = 5: (0 + 1 + (100 + 25) / 10) / 3
        tensor(4.5000)
    """
    pred, target = check_pair(pred, target)
    mask = check_mask(mask, pred)
    c_ratio = check_positive(c_ratio, "c_ratio")
    if debug_checks_enabled():
        check_finite(pred, "pred", mask=mask)
        check_finite(target, "target", mask=mask)
    pred, target = at_least_float32(pred), at_least_float32(target)

    diff = torch.where(mask, pred - target, torch.zeros_like(pred))
    err = diff.abs()
    c = (c_ratio * err.detach().flatten(-2).amax(-1))[..., None, None]
    # c = 0 only when every valid error is 0, which takes the |d| branch; the division
    # never sees 0 thanks to the inner where()
    safe_c = torch.where(c > 0, c, torch.ones_like(c))
    value = torch.where(err <= c, err, (diff * diff + c * c) / (2 * safe_c))
    value = torch.where(mask, value, torch.zeros_like(value))
    return value.sum() / mask.sum().clamp_min(1).to(value.dtype)
