"""Scoring a predictor on a labeled dataset: per-image metrics and their means.

The predictor's disparity (relative or 1/metres) is scored against the dataset's range
depth under an explicit protocol of :mod:`panodepth.metrics` (``paper``, ``release``,
``none``, ``median``, ``lsq_disparity``); GT is valid where the reader says so and in
(0, ``max_depth``] m. Means are over images (each image weighs the same).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from panodepth.metrics import METRIC_NAMES, DepthMetrics, evaluate_per_image

from .predictor import Predictor


@dataclass
class EvaluationReport:
    protocol: str
    model: str
    summary: dict[str, float]
    per_image: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        clean = {k: (None if math.isnan(v) else v) for k, v in self.summary.items()}
        return {"protocol": self.protocol, "model": self.model, "images": len(self.per_image),
                "metrics": clean, "per_image": self.per_image}  # fmt: skip


def evaluate_dataset(
    predictor: Predictor,
    dataset: Dataset,
    protocol: str = "paper",
    max_depth: float = 10.0,
    batch_size: int = 1,
    num_workers: int = 0,
    progress: bool = True,
) -> EvaluationReport:
    """Metrics of ``predictor`` on every panorama of a labeled ``dataset``."""
    acc = DepthMetrics(protocol, "disparity", max_depth)
    per_image: list[dict[str, Any]] = []
    loader = DataLoader(dataset, batch_size=batch_size, num_workers=num_workers)
    for batch in tqdm(loader, desc="eval", disable=not progress, unit="batch"):
        if "depth" not in batch:
            raise ValueError(f"{dataset!r} is not labeled: evaluation needs depth")
        disparity = predictor.disparity(batch["rgb"])
        gt, valid = batch["depth"], batch["valid"]
        metrics, has_valid = evaluate_per_image(disparity, gt, protocol, "disparity", max_depth,
                                                valid)  # fmt: skip
        acc.add(metrics, has_valid)  # scored once, for the means and the per-image rows
        for i, name in enumerate(batch["name"]):
            row = {k: float(metrics[k][i]) for k in METRIC_NAMES} if has_valid[i] else None
            per_image.append({"name": name, "metrics": row})
    return EvaluationReport(protocol, predictor.name, acc.compute(), per_image)


__all__ = ["EvaluationReport", "evaluate_dataset"]
