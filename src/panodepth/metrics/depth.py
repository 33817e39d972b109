"""Per-image depth error metrics (AbsRel, SqRel, RMSE, RMSElog, MAE, log10, δ1–δ3).

Conventions:
    * Inputs are *depth in metres* — already aligned (see :mod:`~panodepth.metrics.align`);
      nothing here rescales, inverts or clamps.
    * Every metric is computed per image over its valid pixels; averaging over images is the
      caller's job (:func:`~panodepth.metrics.evaluate`, :class:`~panodepth.metrics.DepthMetrics`
      take the mean of per-image values, not a mean pooled over pixels).
    * Computation is in float64. The prediction must be positive at valid pixels: a 0 gives
      ``inf`` for ``rmse_log10``/``log10``, a negative one NaN; both fail every δ.
    * Two RMSElog variants, both named: ``rmse_log10`` = √mean(log10 g − log10 p)² (UniFuse,
      PanoFormer) and ``rmse_log10p1`` = √mean(log10(g+1) − log10(p+1))² (the Depth
      Anywhere release's ``rms_log``).

    =============== =========================================
    name            per-image value over valid pixels
    =============== =========================================
    abs_rel         mean |g − p| / g
    sq_rel          mean (g − p)² / g
    rmse            √ mean (g − p)²
    rmse_log10      √ mean (log10 g − log10 p)²
    rmse_log10p1    √ mean (log10(g + 1) − log10(p + 1))²
    mae             mean |g − p|
    log10           mean |log10 g − log10 p|
    delta{k}        share of pixels with max(g/p, p/g) < 1.25^k, k = 1, 2, 3
    =============== =========================================
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..checks import check_batch_mask, check_pred_gt

METRIC_NAMES: tuple[str, ...] = (
    "abs_rel",
    "sq_rel",
    "rmse",
    "rmse_log10",
    "rmse_log10p1",
    "mae",
    "log10",
    "delta1",
    "delta2",
    "delta3",
)
"""Names of the metrics, in the order of the tables."""

METRIC_LABELS: dict[str, str] = {
    "abs_rel": "AbsRel ↓",
    "sq_rel": "SqRel ↓",
    "rmse": "RMSE ↓",
    "rmse_log10": "RMSElog ↓",
    "rmse_log10p1": "RMSElog(+1) ↓",
    "mae": "MAE ↓",
    "log10": "log10 ↓",
    "delta1": "δ1 ↑",
    "delta2": "δ2 ↑",
    "delta3": "δ3 ↑",
}
"""How people read each metric's name in a table (↓ lower is better, ↑ higher)."""


def per_image_metrics(pred: Tensor, gt: Tensor, valid: Tensor) -> tuple[dict[str, Tensor], Tensor]:
    """All metrics of each image, over its valid pixels.

    Args:
        pred: (B, 1, H, W) or (B, H, W) predicted depth in metres (aligned, > 0 where valid).
        gt: ground-truth depth in metres, same shape.
        valid: bool mask of the same (or a broadcastable) shape, True = pixel counts.

    Returns:
        ``(metrics, has_valid)``: a dict from each name of :data:`METRIC_NAMES` to a (B,)
        float64 tensor, and a (B,) bool telling which images have at least one valid
        pixel (the others get 0 for every metric and must not be averaged).

    Example:
        >>> gt = torch.tensor([[[1.0, 2.0]]])
        >>> metrics, has_valid = per_image_metrics(gt * 1.1, gt, gt > 0)
        >>> round(float(metrics["abs_rel"][0]), 6), bool(has_valid[0])
        (0.1, True)
    """
    pred, gt = check_pred_gt(pred, gt)
    valid = check_batch_mask(valid, gt.shape, "valid")
    pred, gt = pred.double(), gt.double()
    # invalid pixels are replaced by 1 so that no inf/NaN is ever formed there
    g = torch.where(valid, gt, torch.ones_like(gt))
    p = torch.where(valid, pred, torch.ones_like(pred))
    count = valid.sum((-2, -1))

    def mean(x: Tensor) -> Tensor:
        return torch.where(valid, x, torch.zeros_like(x)).sum((-2, -1)) / count.clamp_min(1)

    err = g - p
    log_err = torch.log10(g) - torch.log10(p)
    ratio = torch.where(p > 0, torch.maximum(g / p, p / g), torch.full_like(p, float("inf")))
    metrics = {
        "abs_rel": mean(err.abs() / g),
        "sq_rel": mean(err**2 / g),
        "rmse": mean(err**2).sqrt(),
        "rmse_log10": mean(log_err**2).sqrt(),
        "rmse_log10p1": mean((torch.log10(g + 1) - torch.log10(p + 1)) ** 2).sqrt(),
        "mae": mean(err.abs()),
        "log10": mean(log_err.abs()),
    }
    for k in (1, 2, 3):
        metrics[f"delta{k}"] = mean((ratio < 1.25**k).double())
    return metrics, count > 0
