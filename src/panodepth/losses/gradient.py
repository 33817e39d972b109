"""Multi-scale gradient matching loss (MiDaS), an optional regulariser for sharp edges.

For each scale k = 0 … scales − 1 the residual ``R`` is subsampled with stride 2^k (as
MiDaS: ``R[..., ::2^k, ::2^k]``, no smoothing) and its finite differences are penalised:

    term_k(map) = (Σ |∂x R| + Σ |∂y R|) / n_valid_k

where a difference counts only when both of its pixels are valid, and ``n_valid_k`` is the
number of valid pixels of the map at that scale. The terms are summed over scales (as
MiDaS) and averaged over counted maps.

Conventions:
    * A *map* is the last two dims (H, W); one per leading index (per face for cube
      tensors).
    * ``normalize=True`` (default): ``R = p̂ − ĝ`` with the per-map median/MAD normalisation
      of :mod:`~panodepth.losses.affine` — the loss is then scale-and-shift invariant and
      counts the same maps as :func:`~panodepth.losses.affine_invariant_loss`.
      ``normalize=False``: ``R = pred − target`` (raw, e.g. for metric depth); every map
      with ≥ 2 valid pixels counts.
    * Differences do not wrap around the left/right border (cube faces do not wrap; for
      an equirect map the ±π seam is simply not compared).
    * Half-precision inputs (float16, bfloat16) are computed in float32.
    * Checks (:mod:`panodepth.checks`): shapes, dtypes and arguments always; NaN/Inf in
      ``pred`` or ``target`` at valid pixels only with the debug switch on.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..checks import (
    ArgumentError,
    check_finite,
    check_mask,
    check_pair,
    check_positive,
    debug_checks_enabled,
)
from .affine import _weights, affine_normalize
from .stats import at_least_float32, valid_count


def gradient_matching_loss(
    pred: Tensor,
    target: Tensor,
    mask: Tensor | None = None,
    scales: int = 4,
    normalize: bool = True,
    min_mad: float = 1e-6,
) -> Tensor:
    """Multi-scale gradient matching loss on the (normalised) residual.

    Args:
        pred: (..., H, W) prediction; gradients flow to it.
        target: (..., H, W) target of the same shape.
        mask: (..., H, W) bool (or broadcastable), True = valid; None = all valid.
        scales: number of scales (strides 1, 2, 4, …), ≥ 1.
        normalize: residual of per-map median/MAD-normalised maps (True) or raw (False).
        min_mad: as in :func:`~panodepth.losses.affine_invariant_loss` (``normalize`` only).

    Returns:
        Scalar: sum over scales of the per-map gradient terms, averaged over counted maps;
        0 (attached to ``pred``'s graph) when no map counts.

    Example:
        >>> target = torch.rand(2, 1, 16, 16)
        >>> bool(gradient_matching_loss(2.0 * target + 1.0, target) < 1e-5)
        True
    """
    pred, target = check_pair(pred, target)
    mask = check_mask(mask, pred)
    min_mad = check_positive(min_mad, "min_mad")
    if isinstance(scales, bool) or not isinstance(scales, int) or scales < 1:
        raise ArgumentError(f"scales must be a positive integer, got {scales!r}")
    if debug_checks_enabled():
        check_finite(pred, "pred", mask=mask)
        check_finite(target, "target", mask=mask)
    pred, target = at_least_float32(pred), at_least_float32(target)

    if normalize:
        pred_hat, _, _ = affine_normalize(pred, mask, min_mad)
        target = torch.where(mask, target, torch.zeros_like(target))
        counted = _weights(target, mask, min_mad)
        target_hat, _, _ = affine_normalize(target, mask, min_mad)
        residual = pred_hat - target_hat
    else:
        counted = valid_count(mask) >= 2
        residual = torch.where(mask, pred - target, torch.zeros_like(pred))

    per_map = torch.zeros(counted.shape, dtype=residual.dtype, device=residual.device)
    for k in range(scales):  # a loop over scales, not over maps
        step = 2**k
        r = residual[..., ::step, ::step]
        m = mask[..., ::step, ::step]
        mx = m[..., :, 1:] & m[..., :, :-1]
        my = m[..., 1:, :] & m[..., :-1, :]
        dx = torch.where(mx, r[..., :, 1:] - r[..., :, :-1], torch.zeros_like(mx, dtype=r.dtype))
        dy = torch.where(my, r[..., 1:, :] - r[..., :-1, :], torch.zeros_like(my, dtype=r.dtype))
        grad_sum = dx.abs().flatten(-2).sum(-1) + dy.abs().flatten(-2).sum(-1)
        per_map = per_map + grad_sum / valid_count(m).clamp_min(1).to(r.dtype)

    per_map = torch.where(counted, per_map, torch.zeros_like(per_map))
    return per_map.sum() / counted.sum().clamp_min(1).to(per_map.dtype)
