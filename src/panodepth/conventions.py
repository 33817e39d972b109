"""Vocabulary and constants that students, teachers and inference share (one place each).

* **Output kinds** — what a network's map means, in one vocabulary for students and teachers:
  ``"relative_disparity"`` (disparity up to an unknown scale, and for students an unknown
  shift too: the Depth Anywhere recipe, Depth Anything), ``"metric_disparity"`` (1 / metres)
  and ``"metric_depth"`` (metres: a student trained on metric ground truth). Predictions are
  metric iff their kind starts with ``"metric"`` (:func:`is_metric`).
* **ImageNet RGB statistics** — the normalisation of every ImageNet-pretrained network here:
  ``(x − IMAGENET_MEAN) / IMAGENET_STD`` for RGB in [0, 1].
* **Roles of the synthetic domains** in the paper's analog (``panodepth.demo``,
  ``panodepth train-teacher``): the teacher's broad world :data:`TEACHER_DOMAINS` and the
  validation domain :data:`VALIDATION_DOMAIN` (design choices; the test domain ``home`` is
  never seen). Kept here, free of torch, so that command-line defaults can read them.
"""

from __future__ import annotations

from typing import Literal

OutputKind = Literal["relative_disparity", "metric_disparity", "metric_depth"]
OUTPUT_KINDS: tuple[str, ...] = ("relative_disparity", "metric_disparity", "metric_depth")

IMAGENET_MEAN: tuple[float, float, float] = (0.485, 0.456, 0.406)
IMAGENET_STD: tuple[float, float, float] = (0.229, 0.224, 0.225)

TEACHER_DOMAINS: tuple[str, ...] = ("office", "hotel", "loft", "classroom", "outdoor")
VALIDATION_DOMAIN = "cabin"


def is_metric(kind: str) -> bool:
    """Whether maps of output kind ``kind`` are in metres (or 1/metres)."""
    if kind not in OUTPUT_KINDS:
        raise ValueError(f"output kind must be one of {OUTPUT_KINDS}, got {kind!r}")
    return kind.startswith("metric")
