"""Alignment of predictions to ground truth before the metrics, mode by mode, explicitly.

Relative-depth students and teachers predict depth or disparity only up to an unknown
scale (and shift); every published number therefore depends on an alignment protocol. Each
mode below states which kind of prediction it expects and what it does. All statistics are
per image, over the pixels of ``valid``; the output is always *depth in metres*.

    ``none`` (expects depth)
        returned unchanged (metric-depth models).
    ``median`` (expects depth)
        ``p · median(g) / median(p)``.
    ``lsq_disparity`` (expects disparity)
        least-squares ``s, t`` of ``s·d + t ≈ 1/g``; depth ``1 / max(s·d + t, 1/max_depth)``
        (non-positive or tiny aligned disparities become ``max_depth``).
    ``paper`` (expects disparity)
        depth = 1/d (d ≤ 0 → 0); median scaling; clamp to [0.1, max_depth].
    ``release`` (expects disparity)
        ``valid`` restricted to the rows kept by the crop (:func:`release_crop_rows`);
        least squares in disparity against 1/g; depth = 1/(s·d + t) where positive, else 0;
        clip to [0, max_depth]; median scaling; clamp to [0.1, max_depth].

``paper`` follows the paper (disparity → depth, median scaling); the final clamp to
[0.1, max_depth] is not in the paper's text but is what the Depth Anywhere release's
median-aligned evaluation code (``compute_depth_metrics``, inherited from PanoFormer) does
after median alignment; we assume the paper's numbers were computed with it. ``release`` reproduces
the zero-shot Stanford2D3D evaluation of the Depth Anywhere release step by step, including
its quirk that negative aligned disparities end up at 0.1 m (not at ``max_depth``). The
protocols' GT side (validity (0, max_depth], GT clamp to [0.1, max_depth], the crop of the
metric region) is applied by :func:`~panodepth.metrics.evaluate`.

Guards: a median of the prediction ≤ 0 gives scale
factor 1; a (numerically) constant prediction in the least-squares fit gives scale 0 and
shift mean(1/g). Computation is in float64.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..losses.stats import masked_mean, masked_median
from ._checks import check_bool_mask, check_max_depth, check_pred_gt, check_pred_kind

ALIGN_MODES: tuple[str, ...] = ("none", "median", "lsq_disparity", "paper", "release")
"""Alignment modes and named protocols accepted by :func:`align` and ``evaluate``."""

NATIVE_KIND: dict[str, str] = {
    "none": "depth",
    "median": "depth",
    "lsq_disparity": "disparity",
    "paper": "disparity",
    "release": "disparity",
}
"""The kind of prediction each mode works on; other kinds are converted by 1/x (≤ 0 → 0)."""

CLAMP_MIN_DEPTH = 0.1
"""Lower clamp (metres) of predictions and GT in the ``paper`` and ``release`` protocols."""

RELEASE_CROP_ROWS = 68
"""Rows cropped at the top and at the bottom by the release protocol, at a height of 512."""


def release_crop_rows(height: int) -> int:
    """Rows the ``release`` protocol ignores at the top and at the bottom of an image.

    The release crops 68 rows of 512×1024 panoramas; for other heights the crop scales with
    the height, ``68/512 · H`` rounded half up (H = 1024 → 136, 256 → 34, 64 → 9; below
    H = 4 nothing is cropped).

    Args:
        height: image height H in pixels.

    Returns:
        The number of rows cropped at each end.

    Example:
        >>> release_crop_rows(512), release_crop_rows(1024)
        (68, 136)
    """
    if isinstance(height, bool) or not isinstance(height, int) or height <= 0:
        raise ValueError(f"height must be a positive integer, got {height!r}")
    return (RELEASE_CROP_ROWS * height + 256) // 512  # ≈ 0.13·H, always < H/2


def release_row_mask(height: int, width: int, device: torch.device | None = None) -> Tensor:
    """(H, W) bool mask, False on the rows cropped by the ``release`` protocol."""
    crop = release_crop_rows(height)
    rows = torch.zeros(height, width, dtype=torch.bool, device=device)
    rows[crop : height - crop] = True
    return rows


def reciprocal(x: Tensor) -> Tensor:
    """``1/x`` where ``x > 0``, 0 elsewhere (depth ⇄ disparity; 0 = no value)."""
    ok = x > 0
    return torch.where(ok, torch.where(ok, x, torch.ones_like(x)).reciprocal(), torch.zeros_like(x))


def median_scale(pred: Tensor, gt: Tensor, valid: Tensor) -> Tensor:
    """Scale each image of ``pred`` by ``median(gt) / median(pred)`` over its valid pixels.

    Args:
        pred: (B, H, W) predicted depth.
        gt: (B, H, W) GT depth.
        valid: (B, H, W) bool.

    Returns:
        (B, H, W) scaled prediction (factor 1 where the prediction's median is ≤ 0).
    """
    med_pred = masked_median(pred, valid)
    med_gt = masked_median(gt, valid)
    ok = med_pred > 0
    factor = torch.where(ok, med_gt / torch.where(ok, med_pred, torch.ones_like(med_pred)), 1.0)
    return pred * factor[:, None, None]


def lsq_scale_shift(pred: Tensor, target: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
    """Least-squares ``scale, shift`` minimising Σ (scale·pred + shift − target)² per image.

    Solved in closed form on centred values (numerically stable):
    ``scale = cov(pred, target) / var(pred)``, ``shift = mean(target) − scale·mean(pred)``.
    A (numerically) constant prediction (var ≤ 1e-12 · mean(pred²)) gets scale 0 and shift
    mean(target), the best constant fit.

    Args:
        pred: (B, H, W) prediction (e.g. disparity).
        target: (B, H, W) target (e.g. 1/GT).
        valid: (B, H, W) bool.

    Returns:
        ``(scale, shift)``, each (B,).
    """
    mean_p = masked_mean(pred, valid)
    mean_t = masked_mean(target, valid)
    cp = pred - mean_p[:, None, None]
    ct = target - mean_t[:, None, None]
    var = masked_mean(cp * cp, valid)
    cov = masked_mean(cp * ct, valid)
    ok = var > 1e-12 * masked_mean(pred * pred, valid)
    scale = torch.where(ok, cov / torch.where(ok, var, torch.ones_like(var)), 0.0)
    return scale, mean_t - scale * mean_p


def align(
    pred: Tensor,
    gt: Tensor,
    valid: Tensor,
    mode: str,
    *,
    pred_kind: str | None = None,
    max_depth: float = 10.0,
) -> Tensor:
    """Align a prediction to GT depth with an explicit mode; see the module table.

    Args:
        pred: (B, 1, H, W) or (B, H, W) prediction: depth for ``none``/``median``,
            disparity for ``lsq_disparity``/``paper``/``release`` — unless ``pred_kind``
            says otherwise, in which case it is converted by 1/x (≤ 0 → 0) first.
        gt: GT depth in metres, same shape.
        valid: bool mask of the same (or a broadcastable) shape: the pixels the fits use
            (for ``release`` further restricted to the rows kept by the crop).
        mode: one of :data:`ALIGN_MODES`.
        pred_kind: ``"depth"`` or ``"disparity"``; None = the mode's native kind.
        max_depth: upper depth bound of ``lsq_disparity``, ``paper`` and ``release``.

    Returns:
        Aligned predicted depth in metres, float64, of ``pred``'s shape.

    Example:
        >>> gt = torch.tensor([[[1.0, 2.0, 4.0]]])
        >>> align(3.0 * gt, gt, gt > 0, "median")
        tensor([[[1., 2., 4.]]], dtype=torch.float64)
    """
    if mode not in ALIGN_MODES:
        raise ValueError(f"mode must be one of {ALIGN_MODES}, got {mode!r}")
    native = NATIVE_KIND[mode]
    pred_kind = native if pred_kind is None else check_pred_kind(pred_kind)
    max_depth = check_max_depth(max_depth)
    p, g = check_pred_gt(pred, gt)
    shape = pred.shape
    valid = check_bool_mask(valid, torch.Size((g.shape[0], *g.shape[-2:])), "valid")
    p, g = p.double(), g.double()
    if pred_kind != native:
        p = reciprocal(p)

    if mode == "none":
        out = p
    elif mode == "median":
        out = median_scale(p, g, valid)
    elif mode == "lsq_disparity":
        scale, shift = lsq_scale_shift(p, reciprocal(g), valid)
        disparity = scale[:, None, None] * p + shift[:, None, None]
        out = disparity.clamp_min(1.0 / max_depth).reciprocal()
    elif mode == "paper":
        out = median_scale(reciprocal(p), g, valid).clamp(CLAMP_MIN_DEPTH, max_depth)
    else:  # release
        valid = valid & release_row_mask(g.shape[-2], g.shape[-1], g.device)
        scale, shift = lsq_scale_shift(p, reciprocal(g), valid)
        depth = reciprocal(scale[:, None, None] * p + shift[:, None, None]).clamp(0.0, max_depth)
        out = median_scale(depth, g, valid).clamp(CLAMP_MIN_DEPTH, max_depth)
    return out.reshape(shape)
