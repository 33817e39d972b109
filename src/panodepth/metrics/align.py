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
    ``release`` (expects disparity) — the release's zero-shot *test* evaluator
        ``valid`` restricted to the rows kept by the crop (:func:`release_crop_rows`);
        least squares in disparity against 1/g; depth = 1/(s·d + t) where positive, else 0;
        clip to [0, max_depth]; median scaling; clamp to [0.1, max_depth].
    ``release_val`` (expects disparity) — the release's *validation* evaluator
        the same steps without the crop.

The Depth Anywhere release scores validation with ``release_val`` and the zero-shot test
with ``release`` (its ``Affine_Inv_Evaluator``, with and without the crop); the paper
configs (``configs/paper/*.yaml``) use that pair. Three differences from the release's
code are kept on purpose: (1) the release pools the medians and the pixel means over a
batch; we compute them per image (its configs evaluate with batch size 1, where the two
agree); (2) it crops a fixed 68 rows at any height; we scale the crop with the height
(68 rows at 512, the release's evaluation size, where the two agree); (3) its fit returns
NaN for a constant prediction; we return the best constant fit (finite metrics, so one
degenerate image does not turn a whole mean into NaN).

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
shift mean(1/g). Computation is in float64. ``1/x`` is :func:`panodepth.geometry.safe_reciprocal`
(x ≤ 0 → 0); the medians are :func:`panodepth.losses.masked_median`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..checks import (
    ArgumentError,
    check_batch_mask,
    check_choice,
    check_positive,
    check_pred_gt,
)
from ..geometry.depth import safe_reciprocal
from ..losses.stats import masked_mean, masked_median

ALIGN_MODES: tuple[str, ...] = (
    "none", "median", "lsq_disparity", "paper", "release", "release_val",
)  # fmt: skip
"""Alignment modes and named protocols accepted by :func:`align` and ``evaluate``."""

NATIVE_KIND: dict[str, str] = {
    "none": "depth",
    "median": "depth",
    "lsq_disparity": "disparity",
    "paper": "disparity",
    "release": "disparity",
    "release_val": "disparity",
}
"""The kind of prediction each mode works on; other kinds are converted by 1/x (≤ 0 → 0)."""

PRED_KINDS: tuple[str, ...] = ("depth", "disparity")
"""What a prediction holds."""

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
        raise ArgumentError(f"height must be a positive integer, got {height!r}")
    return (RELEASE_CROP_ROWS * height + 256) // 512  # ≈ 0.13·H, always < H/2


def release_row_mask(height: int, width: int, device: torch.device | None = None) -> Tensor:
    """(H, W) bool mask, False on the rows cropped by the ``release`` protocol."""
    crop = release_crop_rows(height)
    rows = torch.zeros(height, width, dtype=torch.bool, device=device)
    rows[crop : height - crop] = True
    return rows


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


def lsq_scale_shift(
    pred: Tensor, target: Tensor, valid: Tensor, weight: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Least-squares ``scale, shift`` minimising Σ w·(scale·pred + shift − target)² per map.

    The one least-squares scale-and-shift fit of panodepth. Solved in closed form on centred
    values (numerically stable): ``scale = cov(pred, target) / var(pred)``,
    ``shift = mean(target) − scale·mean(pred)``, with (weighted) means over the valid pixels.
    A (numerically) constant prediction (var ≤ 1e-12 · mean(pred²)) gets scale 0 and shift
    mean(target), the best constant fit; a map without valid pixels gets (0, 0). Values at
    invalid pixels are ignored, even NaN.

    Args:
        pred: (..., H, W) prediction (e.g. disparity); (B, H, W) in :func:`align`.
        target: (..., H, W) target (e.g. 1/GT).
        valid: (..., H, W) bool.
        weight: optional per-pixel weights ≥ 0 broadcastable to ``pred`` (e.g. cos(latitude)
            for an equal-area fit on equirect maps); None = all 1.

    Returns:
        ``(scale, shift)``, each of the leading shape (...).

    Example:
        >>> pred = torch.tensor([[[1.0, 2.0, 3.0]]])
        >>> lsq_scale_shift(pred, 2 * pred - 1, torch.ones(1, 1, 3, dtype=torch.bool))
        (tensor([2.]), tensor([-1.]))
    """
    if weight is None:
        mean = masked_mean
    else:
        w = torch.where(valid, weight.to(pred.dtype), 0.0)
        total = w.flatten(-2).sum(-1)
        ok_total = total > 0

        def mean(x: Tensor, mask: Tensor) -> Tensor:
            s = torch.where(mask, w * x, 0.0).flatten(-2).sum(-1)
            return torch.where(ok_total, s / torch.where(ok_total, total, 1.0), 0.0)

    mean_p = mean(pred, valid)
    mean_t = mean(target, valid)
    cp = pred - mean_p[..., None, None]
    ct = target - mean_t[..., None, None]
    var = mean(cp * cp, valid)
    cov = mean(cp * ct, valid)
    ok = var > 1e-12 * mean(pred * pred, valid)
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
        max_depth: upper depth bound of ``lsq_disparity``, ``paper``, ``release`` and
            ``release_val``.

    Returns:
        Aligned predicted depth in metres, float64, of ``pred``'s shape.

    Example:
        >>> gt = torch.tensor([[[1.0, 2.0, 4.0]]])
        >>> align(3.0 * gt, gt, gt > 0, "median")
        tensor([[[1., 2., 4.]]], dtype=torch.float64)
    """
    check_choice(mode, ALIGN_MODES, "mode")
    native = NATIVE_KIND[mode]
    if pred_kind is not None:
        check_choice(pred_kind, PRED_KINDS, "pred_kind")
    max_depth = check_positive(max_depth, "max_depth")
    p, g = check_pred_gt(pred, gt)
    shape = pred.shape
    valid = check_batch_mask(valid, g.shape, "valid")
    p, g = p.double(), g.double()
    if pred_kind not in (None, native):
        p = safe_reciprocal(p)

    if mode == "none":
        out = p
    elif mode == "median":
        out = median_scale(p, g, valid)
    elif mode == "lsq_disparity":
        scale, shift = lsq_scale_shift(p, safe_reciprocal(g), valid)
        disparity = scale[:, None, None] * p + shift[:, None, None]
        out = disparity.clamp_min(1.0 / max_depth).reciprocal()
    elif mode == "paper":
        out = median_scale(safe_reciprocal(p), g, valid).clamp(CLAMP_MIN_DEPTH, max_depth)
    else:  # release (the zero-shot test: with the crop) and release_val (without)
        if mode == "release":
            valid = valid & release_row_mask(g.shape[-2], g.shape[-1], g.device)
        scale, shift = lsq_scale_shift(p, safe_reciprocal(g), valid)
        depth = safe_reciprocal(scale[:, None, None] * p + shift[:, None, None])
        depth = depth.clamp(0.0, max_depth)
        out = median_scale(depth, g, valid).clamp(CLAMP_MIN_DEPTH, max_depth)
    return out.reshape(shape)
