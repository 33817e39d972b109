"""Affine-invariant (scale-and-shift-invariant) L1 loss, MiDaS style, per map.

This module owns the loss of Depth Anywhere on both ground truth and pseudo labels:

    t = median(x[valid]),   s = mean(|x − t|[valid]),   x̂ = (x − t) / s
    loss(map) = mean(|p̂ − ĝ|[valid])

Conventions:
    * A *map* is the last two dimensions (H, W); every leading index is normalised on its
      own. A cube tensor (B, 6, 1, S, S) is therefore normalised per face — each teacher face
      has its own unknown scale and shift — and an equirect (B, 1, H, W) per image.
    * ``mask`` is bool, True = valid, broadcastable to ``pred``; ``None`` = all valid. Values
      at invalid pixels are ignored (even NaN/Inf) and receive an exact zero gradient.
    * The median is the lower median (element ``(n − 1) // 2``), as :func:`torch.median`.
    * A map *counts* when it has ≥ 2 valid pixels and its target MAD ``s`` is ≥ ``min_mad``
      (absolute, in target units). A face looking straight at a flat wall has a constant
      planar disparity: normalising it would divide by ≈ 0 and turn the loss into noise, so
      such maps get weight 0 instead (:func:`affine_invariant_weights` tells which counted).
    * The prediction's MAD is clamped to ≥ ``min_mad`` before dividing, so a (nearly)
      constant prediction yields a finite — if large — gradient rather than NaN.
    * Half-precision inputs (float16, bfloat16, e.g. under autocast) are computed in float32.
    * Checks (:mod:`panodepth.checks`): shapes, dtypes and arguments always; NaN/Inf in
      ``pred`` or ``target`` at valid pixels only with the debug switch on.
    * ``reduction="mean"`` is the mean over counted maps of their per-map means (each map
      weighs the same, whatever its number of valid pixels); with no counted map the loss
      is 0 and still attached to ``pred``'s graph.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..checks import (
    check_choice,
    check_finite,
    check_map,
    check_mask,
    check_pair,
    check_positive,
    debug_checks_enabled,
)
from .stats import at_least_float32, masked_mad, masked_mean, masked_median, valid_count

REDUCTIONS = ("mean", "sum", "none")
"""Reductions of :func:`affine_invariant_loss`."""


def affine_normalize(
    x: Tensor, mask: Tensor | None = None, min_mad: float = 1e-6
) -> tuple[Tensor, Tensor, Tensor]:
    """Median / mean-absolute-deviation normalisation of each map.

    Args:
        x: (..., H, W) values (e.g. disparity).
        mask: (..., H, W) bool (or broadcastable), True = valid; None = all valid.
        min_mad: lower bound on the scale used for the division (the returned scale is
            the raw MAD).

    Returns:
        ``(x_hat, shift, scale)``: (..., H, W) normalised map, 0 at invalid pixels; (...)
        per-map median ``t``; (...) per-map mean absolute deviation ``s`` (0 for maps
        without valid pixels).

    Example:
        >>> x_hat, t, s = affine_normalize(torch.tensor([[1.0, 2.0], [3.0, 6.0]]))
        >>> t, s  # lower median 2; MAD (1 + 0 + 1 + 4) / 4
        (tensor(2.), tensor(1.5000))
    """
    x = at_least_float32(check_map(x, "x"))
    mask = check_mask(mask, x)
    check_positive(min_mad, "min_mad")
    x = torch.where(mask, x, torch.zeros_like(x))  # invalid values never reach the maths
    shift = masked_median(x, mask)
    scale = masked_mad(x, mask, shift)
    x_hat = (x - shift[..., None, None]) / scale.clamp_min(min_mad)[..., None, None]
    return torch.where(mask, x_hat, torch.zeros_like(x_hat)), shift, scale


def affine_invariant_weights(
    target: Tensor, mask: Tensor | None = None, min_mad: float = 1e-6
) -> Tensor:
    """Which maps count in :func:`affine_invariant_loss`.

    Args:
        target: (..., H, W) target map(s).
        mask: (..., H, W) bool (or broadcastable), True = valid; None = all valid.
        min_mad: maps whose target mean absolute deviation is below this are excluded.

    Returns:
        (...) bool: True where the map has ≥ 2 valid pixels and a target MAD ≥ ``min_mad``.

    Example:
        >>> target = torch.stack([torch.ones(2, 2), torch.arange(4.0).view(2, 2)])
        >>> affine_invariant_weights(target)  # the constant map does not count
        tensor([False,  True])
    """
    target = at_least_float32(check_map(target, "target"))
    mask = check_mask(mask, target)
    min_mad = check_positive(min_mad, "min_mad")
    return _weights(torch.where(mask, target, torch.zeros_like(target)), mask, min_mad)


def _weights(target: Tensor, mask: Tensor, min_mad: float) -> Tensor:
    scale = masked_mad(target, mask, masked_median(target, mask))
    return (valid_count(mask) >= 2) & (scale >= min_mad)


def affine_invariant_loss(
    pred: Tensor,
    target: Tensor,
    mask: Tensor | None = None,
    min_mad: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Scale-and-shift-invariant L1 loss between per-map normalised ``pred`` and ``target``.

    Args:
        pred: (..., H, W) prediction (e.g. student disparity); gradients flow to it.
        target: (..., H, W) target of the same shape (e.g. teacher disparity, or
            :func:`~panodepth.losses.gt_disparity_target`); not detached here.
        mask: (..., H, W) bool (or broadcastable), True = valid; None = all valid.
        min_mad: target maps whose MAD is below this (or with < 2 valid pixels) are
            excluded; also the lower bound of the prediction's MAD in the division.
        reduction: ``"mean"`` (over counted maps), ``"sum"`` (over counted maps) or
            ``"none"``.

    Returns:
        A scalar for ``"mean"``/``"sum"``; for ``"none"`` the (...) per-map losses, NaN-free,
        0 for excluded maps.

    Example:
        >>> target = torch.rand(1, 6, 1, 8, 8)
        >>> pred = 3.0 * target + 1.0  # any positive scale and shift per map
        >>> bool(affine_invariant_loss(pred, target) < 1e-6)
        True
    """
    pred, target = check_pair(pred, target)
    mask = check_mask(mask, pred)
    min_mad = check_positive(min_mad, "min_mad")
    check_choice(reduction, REDUCTIONS, "reduction")
    if debug_checks_enabled():
        check_finite(pred, "pred", mask=mask)
        check_finite(target, "target", mask=mask)
    pred, target = at_least_float32(pred), at_least_float32(target)

    target = torch.where(mask, target, torch.zeros_like(target))
    t = masked_median(target, mask)
    s = masked_mad(target, mask, t)
    counted = (valid_count(mask) >= 2) & (s >= min_mad)
    # excluded targets are divided by 1 instead of their tiny MAD; they get weight 0 anyway
    s = torch.where(counted, s, torch.ones_like(s))
    pred_hat, _, _ = affine_normalize(pred, mask, min_mad)
    target_hat = (target - t[..., None, None]) / s[..., None, None]
    diff = torch.where(mask, pred_hat - target_hat, torch.zeros_like(pred_hat)).abs()
    per_map = torch.where(counted, masked_mean(diff, mask), torch.zeros_like(t))

    if reduction == "none":
        return per_map
    total = per_map.sum()
    if reduction == "sum":
        return total
    return total / counted.sum().clamp_min(1).to(total.dtype)
