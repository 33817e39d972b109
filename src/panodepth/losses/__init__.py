"""Depth losses of panodepth: affine-invariant (median / MAD), BerHu, gradient matching.

All losses are pure torch functions on maps of shape (..., H, W) — each leading index is
one map (one image of a (B, 1, H, W) batch, one face of a (B, 6, 1, S, S) cube) — with a
bool ``mask`` (True = valid). They run on CPU and GPU, never synchronise with the device,
and are differentiable with respect to ``pred``. Alignment is explicit: the affine-invariant
loss normalises every map by its own median and mean absolute deviation; BerHu compares raw
values.

Checks (:mod:`panodepth.checks`): every loss checks shapes, dtypes and arguments on every
call and never reads tensor values. With the debug switch on (``PANODEPTH_DEBUG_CHECKS=1``
or ``panodepth.checks.debug_checks()``) the losses also refuse NaN/Inf in ``pred`` and
``target`` at valid pixels.
"""

from .affine import affine_invariant_loss, affine_invariant_weights, affine_normalize
from .berhu import berhu_loss
from .gradient import gradient_matching_loss
from .stats import masked_mad, masked_mean, masked_median, valid_count
from .targets import gt_disparity_target, total_loss

__all__ = [
    "affine_invariant_loss",
    "affine_invariant_weights",
    "affine_normalize",
    "berhu_loss",
    "gradient_matching_loss",
    "gt_disparity_target",
    "masked_mad",
    "masked_mean",
    "masked_median",
    "total_loss",
    "valid_count",
]
