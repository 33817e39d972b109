"""Depth evaluation of panodepth: per-image metrics and explicit alignment protocols.

* :mod:`~panodepth.metrics.depth` — AbsRel, SqRel, RMSE, two named RMSElog variants, MAE,
  log10, δ1–δ3 on depth in metres, per image;
* :mod:`~panodepth.metrics.align` — ``none``, ``median``, ``lsq_disparity`` and the named
  protocols ``paper`` and ``release``, each stating whether it expects depth or disparity;
* :mod:`~panodepth.metrics.evaluate` — :func:`evaluate` for one batch and the
  :class:`DepthMetrics` accumulator (mean of per-image values over all images);
* :mod:`~panodepth.metrics.table` — :func:`format_table` (Markdown).

Metrics reuse the masked median of :mod:`panodepth.losses.stats` (same lower-median
convention as the losses) and the safe reciprocal of :mod:`panodepth.geometry.depth`.
Inputs are checked with :mod:`panodepth.checks` (shapes, dtypes, arguments); the metrics
read values back to the host only to return numbers, once per call.
"""

from .align import (
    ALIGN_MODES,
    CLAMP_MIN_DEPTH,
    align,
    lsq_scale_shift,
    median_scale,
    release_crop_rows,
)
from .depth import METRIC_LABELS, METRIC_NAMES, per_image_metrics
from .evaluate import DepthMetrics, evaluate, evaluate_per_image, evaluation_mask
from .table import format_table

__all__ = [
    "ALIGN_MODES",
    "CLAMP_MIN_DEPTH",
    "METRIC_LABELS",
    "METRIC_NAMES",
    "DepthMetrics",
    "align",
    "evaluate",
    "evaluate_per_image",
    "evaluation_mask",
    "format_table",
    "lsq_scale_shift",
    "median_scale",
    "per_image_metrics",
    "release_crop_rows",
]

from .seams import (
    CONTROL_ANGLES,
    control_rotations,
    cube_face_index,
    seam_measure,
    seam_statistics,
    seam_summary,
)

__all__ += [
    "CONTROL_ANGLES",
    "control_rotations",
    "cube_face_index",
    "seam_measure",
    "seam_statistics",
    "seam_summary",
]
