"""The demo's scoring: each model predicts every test panorama once, and the metrics, the seam
measure and the figure all read that one prediction.

This module owns :class:`TestSet` (a labeled test set read once into memory, shared by all
models), :func:`predict` (a predictor's disparity of every test panorama) and :func:`score`
(the metrics under the demo's protocol — per image, averaged over images, as
:func:`panodepth.inference.evaluate_dataset` computes them — and the cube seam measure of
:mod:`panodepth.metrics.seams`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor
from torch.utils.data import Dataset

from panodepth.inference import Predictor
from panodepth.metrics import DepthMetrics, evaluate_per_image
from panodepth.metrics.seams import seam_statistics, seam_summary

BATCH = 8  # panoramas per forward pass and per scoring step
MAX_DEPTH = 10.0  # GT valid in (0, 10] m, as evaluate_dataset's default


@dataclass(frozen=True)
class TestSet:
    """A labeled test set in memory: ``rgb`` (N, 3, H, W), GT range ``depth`` and ``valid``
    (N, 1, H, W), and the panoramas' ``names``."""

    names: list[str]
    rgb: Tensor
    depth: Tensor
    valid: Tensor

    @classmethod
    def read(cls, dataset: Dataset) -> TestSet:
        samples = [dataset[i] for i in range(len(dataset))]  # type: ignore[arg-type]
        if not samples:
            raise ValueError(f"{dataset!r}: the test set is empty")
        if "depth" not in samples[0]:
            raise ValueError(f"{dataset!r} is not labeled: evaluation needs depth")
        return cls(
            [s["name"] for s in samples],
            torch.stack([s["rgb"] for s in samples]),
            torch.stack([s["depth"] for s in samples]),
            torch.stack([s["valid"] for s in samples]),
        )

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class Scores:
    """A model's metrics on a test set (:data:`~panodepth.metrics.METRIC_NAMES`) and, if
    measured, its seam summary (:func:`~panodepth.metrics.seams.seam_summary`)."""

    metrics: dict[str, float]
    seam: dict[str, float] = field(default_factory=dict)


def predict(predictor: Predictor, test: TestSet) -> Tensor:
    """(N, 1, H, W) disparity of every test panorama, :data:`BATCH` at a time."""
    return torch.cat([predictor.disparity(rgb) for rgb in test.rgb.split(BATCH)])


def score(disparity: Tensor, test: TestSet, protocol: str, seams: bool = True) -> Scores:
    """Metrics of a prediction of ``test`` under ``protocol`` (and the seam measure)."""
    if disparity.shape != test.depth.shape:
        raise ValueError(
            f"prediction {tuple(disparity.shape)} does not match the test set "
            f"{tuple(test.depth.shape)}"
        )
    acc = DepthMetrics(protocol, "disparity", MAX_DEPTH)
    stats = []
    for pred, gt, valid in zip(
        disparity.split(BATCH), test.depth.split(BATCH), test.valid.split(BATCH), strict=True
    ):
        acc.add(*evaluate_per_image(pred, gt, protocol, "disparity", MAX_DEPTH, valid))
        if seams:
            stats.append(seam_statistics(pred, gt, valid, pred_kind="disparity"))
    return Scores(acc.compute(), seam_summary(torch.cat(stats)) if seams else {})
