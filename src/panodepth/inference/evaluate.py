"""Scoring a predictor on a labeled dataset: per-image metrics and their means.

The predictor's disparity (relative or 1/metres) is scored against the dataset's range
depth under an explicit protocol of :mod:`panodepth.metrics` (``paper``, ``release``,
``none``, ``median``, ``lsq_disparity``); GT is valid where the reader says so and in
(0, ``max_depth``] m. Means are over images (each image weighs the same).

Pixels the model predicts as invalid (disparity 0 or not finite: sky in teacher mode, the
border of a resize) are not scored as depth 0 or infinity: they are left out, and counted —
``coverage`` is the share of the scored GT pixels that have a valid prediction, per image
and overall. An image without any valid GT pixel (or without any valid prediction) is not
scored, with a warning naming it; when no image can be scored there is no result, and
:func:`evaluate_dataset` raises a :class:`ValueError` rather than return means of nothing.
Batches of panoramas of different sizes are resized to the first one's size (bilinear RGB,
nearest depth and masks). The JSON form is standard JSON (no NaN or Infinity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, default_collate
from tqdm.auto import tqdm

from panodepth.metrics import METRIC_NAMES, DepthMetrics, evaluate_per_image
from panodepth.metrics.evaluate import evaluation_mask

from .predictor import Predictor


@dataclass
class EvaluationReport:
    protocol: str
    model: str
    summary: dict[str, float]
    per_image: list[dict[str, Any]] = field(default_factory=list)
    coverage: float = 1.0  # share of scored GT pixels with a valid prediction (all images)
    warnings: list[str] = field(default_factory=list)

    @property
    def scored(self) -> int:
        """Images in the means (the others were skipped, each with a warning)."""
        return sum(row["metrics"] is not None for row in self.per_image)

    @property
    def skipped(self) -> int:
        """Images not scored: no valid GT pixel, or no valid prediction on one."""
        return len(self.per_image) - self.scored

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "model": self.model, "images": len(self.per_image),
                "scored": self.scored, "metrics": _finite(self.summary), "coverage": self.coverage,
                "warnings": self.warnings, "per_image": self.per_image}  # fmt: skip


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    """``values`` with NaN and ±inf as None (standard JSON)."""
    return {k: (v if math.isfinite(v) else None) for k, v in values.items()}


def collate_same_size(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """``default_collate`` after resizing every sample to the first one's size (RGB
    bilinear, depth and masks nearest), so datasets of mixed sizes batch."""
    h, w = samples[0]["rgb"].shape[-2:]
    out = []
    for sample in samples:
        if sample["rgb"].shape[-2:] != (h, w):
            sample = dict(sample)
            for key, value in sample.items():
                if isinstance(value, torch.Tensor) and value.ndim == 3:
                    x = value[None].float()
                    if key == "rgb":
                        x = F.interpolate(x, size=(h, w), mode="bilinear", antialias=True)
                    else:
                        x = F.interpolate(x, size=(h, w), mode="nearest")
                    sample[key] = x[0].to(value.dtype)
        out.append(sample)
    return default_collate(out)


def evaluate_dataset(
    predictor: Predictor,
    dataset: Dataset,
    protocol: str = "paper",
    max_depth: float = 10.0,
    batch_size: int = 1,
    num_workers: int = 0,
    progress: bool = True,
) -> EvaluationReport:
    """Metrics of ``predictor`` on every panorama of a labeled ``dataset``.

    Raises:
        ValueError: the dataset is not labeled, a file of it cannot be read, or no panorama
            can be scored (no valid GT pixel, or no valid prediction, on every one).
    """
    acc = DepthMetrics(protocol, "disparity", max_depth)
    per_image: list[dict[str, Any]] = []
    notes: list[str] = []
    scored = covered = 0
    loader = DataLoader(
        dataset, batch_size=batch_size, num_workers=num_workers, collate_fn=collate_same_size
    )
    for batch in tqdm(loader, desc="eval", disable=not progress, unit="batch"):
        if "depth" not in batch:
            raise ValueError(f"{dataset!r} is not labeled: evaluation needs depth")
        disparity = predictor.disparity(batch["rgb"])
        gt, valid = batch["depth"], batch["valid"]
        predicted = torch.isfinite(disparity) & (disparity > 0)
        gt_ok = evaluation_mask(gt, protocol, max_depth, valid)
        counts = gt_ok.flatten(1).sum(1)
        hits = (gt_ok & predicted.reshape(gt_ok.shape)).flatten(1).sum(1)
        metrics, has_valid = evaluate_per_image(disparity, gt, protocol, "disparity", max_depth,
                                                valid & predicted)  # fmt: skip
        acc.add(metrics, has_valid)  # scored once, for the means and the per-image rows
        for i, name in enumerate(batch["name"]):
            n, k = int(counts[i]), int(hits[i])
            scored, covered = scored + n, covered + k
            if n == 0:
                notes.append(f"{name}: no valid ground-truth pixel (depth 0 or over "
                             f"{max_depth} m everywhere); not scored")  # fmt: skip
            elif k == 0:
                notes.append(f"{name}: the model predicts no valid pixel; not scored")
            row = _finite({m: float(metrics[m][i]) for m in METRIC_NAMES}) if has_valid[i] else None
            per_image.append({"name": name, "metrics": row, "coverage": k / n if n else None})
    coverage = covered / scored if scored else 0.0
    report = EvaluationReport(protocol, predictor.name, acc.compute(), per_image, coverage, notes)
    if report.scored == 0:
        raise ValueError(_nothing_scored(dataset, per_image, max_depth))
    return report


def _nothing_scored(dataset: Dataset, per_image: list[dict[str, Any]], max_depth: float) -> str:
    """The one-line error when no panorama of ``dataset`` could be scored."""
    source = getattr(dataset, "source", "") or type(dataset).__name__
    if not per_image:
        return f"{source}: no panoramas to evaluate"
    n = len(per_image)
    no_gt = sum(row["coverage"] is None for row in per_image)  # None: no valid GT pixel
    why = []
    if no_gt:
        why.append(f"{no_gt} of {n} without a valid ground-truth pixel (depth 0 or over "
                   f"{max_depth} m everywhere)")  # fmt: skip
    if n - no_gt:
        why.append(f"{n - no_gt} of {n} where the model predicts no valid pixel")
    return (f"{source}: no panorama can be scored, so there are no metrics: "
            f"{'; '.join(why)}; first: {per_image[0]['name']}")  # fmt: skip


__all__ = ["EvaluationReport", "evaluate_dataset"]
