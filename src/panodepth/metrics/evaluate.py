"""Evaluation under a named protocol: valid pixels, alignment, metrics, averaging.

Conventions:
    * GT is depth (range) in metres; a pixel is valid where ``0 < gt ≤ max_depth`` and the
      optional ``mask`` is True. For ``release`` the rows of the top and bottom crop
      (:func:`~panodepth.metrics.release_crop_rows`) are invalid too — the crop is applied
      through the mask, which is equivalent to slicing since everything is per pixel.
    * The prediction is aligned with :func:`~panodepth.metrics.align` (``pred_kind`` says
      whether it is depth or disparity; the default, ``"disparity"``, is what the Depth
      Anywhere students predict). For ``paper``, ``release`` and ``release_val`` GT is then
      clamped to [0.1, max_depth] like the prediction, as the release code does.
    * Every metric is computed per image, then averaged over images (the mean of
      per-image means, not a mean pooled over all pixels). Images without a valid pixel
      are left out of the average; with none at all the values are NaN.
    * :func:`evaluate` and :meth:`DepthMetrics.update` read their numbers back to the host
      in one transfer per call; nothing else here reads tensor values.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..checks import (
    check_batch_mask,
    check_choice,
    check_depth_batch,
    check_positive,
    check_pred_gt,
)
from .align import ALIGN_MODES, CLAMP_MIN_DEPTH, PRED_KINDS, align, release_row_mask
from .depth import METRIC_NAMES, per_image_metrics

CLAMPED: tuple[str, ...] = ("paper", "release", "release_val")
"""Protocols that clamp GT (like the prediction) to [0.1, max_depth] before the metrics."""


def evaluation_mask(
    gt: Tensor, protocol: str, max_depth: float = 10.0, mask: Tensor | None = None
) -> Tensor:
    """The pixels a protocol evaluates: ``0 < gt ≤ max_depth``, ``mask``, release crop.

    Args:
        gt: (B, 1, H, W) or (B, H, W) GT depth in metres.
        protocol: one of :data:`~panodepth.metrics.ALIGN_MODES`.
        max_depth: GT farther than this is invalid.
        mask: optional bool mask (True = valid) of ``gt``'s (or a broadcastable) shape.

    Returns:
        (B, H, W) bool.
    """
    check_choice(protocol, ALIGN_MODES, "protocol")
    max_depth = check_positive(max_depth, "max_depth")
    g = check_depth_batch(gt, "gt")
    valid = (g > 0) & (g <= max_depth)  # NaN GT compares False: invalid
    if mask is not None:
        valid = valid & check_batch_mask(mask, g.shape, "mask")
    if protocol == "release":
        valid = valid & release_row_mask(g.shape[-2], g.shape[-1], g.device)
    return valid


def evaluate_per_image(
    pred: Tensor,
    gt: Tensor,
    protocol: str = "paper",
    pred_kind: str = "disparity",
    max_depth: float = 10.0,
    mask: Tensor | None = None,
) -> tuple[dict[str, Tensor], Tensor]:
    """Per-image metrics of a batch under a protocol.

    Args:
        pred: (B, 1, H, W) or (B, H, W) prediction, depth or disparity (``pred_kind``).
        gt: GT depth in metres, same shape; ≤ 0 or > ``max_depth`` = invalid.
        protocol: ``"paper"``, ``"release"``, ``"release_val"``, or a plain mode ``"none"``,
            ``"median"``,
            ``"lsq_disparity"`` (see :mod:`~panodepth.metrics.align`).
        pred_kind: ``"disparity"`` or ``"depth"``: what ``pred`` holds.
        max_depth: GT validity bound and the protocols' clamp (metres).
        mask: optional extra bool mask, True = evaluate the pixel.

    Returns:
        ``(metrics, has_valid)``: name → (B,) float64 values, and the (B,) bool of images
        with at least one valid pixel.
    """
    check_choice(pred_kind, PRED_KINDS, "pred_kind")
    p, g = check_pred_gt(pred, gt)
    valid = evaluation_mask(g, protocol, max_depth, mask)
    depth = align(p, g, valid, protocol, pred_kind=pred_kind, max_depth=max_depth)
    g = g.double()
    if protocol in CLAMPED:
        g = g.clamp(CLAMP_MIN_DEPTH, max_depth)
    return per_image_metrics(depth, g, valid)


def evaluate(
    pred: Tensor,
    gt: Tensor,
    protocol: str = "paper",
    pred_kind: str = "disparity",
    max_depth: float = 10.0,
    mask: Tensor | None = None,
) -> dict[str, float]:
    """Metrics of a batch under a protocol, averaged over its images.

    Args: as :func:`evaluate_per_image`.

    Returns:
        name → mean over the images with a valid pixel (NaN if there is none), for every
        name of :data:`~panodepth.metrics.METRIC_NAMES`.

    Example:
        >>> gt = torch.full((1, 1, 4, 8), 2.0)
        >>> evaluate(1.0 / (3.0 * gt), gt, "paper")["abs_rel"]  # disparity up to scale
        0.0
    """
    metrics, has_valid = evaluate_per_image(pred, gt, protocol, pred_kind, max_depth, mask)
    *sums, n = _sums(metrics, has_valid).tolist()  # the one host read
    if n == 0:
        return dict.fromkeys(METRIC_NAMES, math.nan)
    return {name: total / n for name, total in zip(METRIC_NAMES, sums, strict=True)}


def _sums(metrics: dict[str, Tensor], has_valid: Tensor) -> Tensor:
    """(len(METRIC_NAMES) + 1,) float64: each metric summed over the images with a valid
    pixel, then their count; on the metrics' device (no host read)."""
    values = torch.stack([metrics[name] for name in METRIC_NAMES])  # (M, B)
    sums = torch.where(has_valid, values, torch.zeros_like(values)).sum(-1)
    return torch.cat((sums, has_valid.sum().to(sums.dtype).reshape(1)))


class DepthMetrics:
    """Accumulates per-image metrics over batches and reports their means.

    Sums the per-image values (float64, on the CPU) of every image with a valid pixel, so
    the result is the mean over all images seen, whatever the batch sizes. Usable from a
    Lightning loop: ``update`` in ``validation_step``, ``compute``/``reset`` at epoch end;
    ``merge`` combines accumulators of several processes or data loaders.

    Args:
        protocol: as :func:`evaluate` (``"paper"``, ``"release"``, ``"none"``,
            ``"median"``, ``"lsq_disparity"``).
        pred_kind: ``"disparity"`` or ``"depth"``.
        max_depth: as :func:`evaluate`.

    Example:
        >>> acc = DepthMetrics(protocol="median", pred_kind="depth")
        >>> gt = torch.rand(2, 1, 4, 8) + 1.0
        >>> acc.update(2.0 * gt, gt)
        >>> acc.count, round(acc.compute()["delta1"], 6)
        (2, 1.0)
    """

    def __init__(
        self, protocol: str = "paper", pred_kind: str = "disparity", max_depth: float = 10.0
    ) -> None:
        check_choice(protocol, ALIGN_MODES, "protocol")
        check_choice(pred_kind, PRED_KINDS, "pred_kind")
        self.protocol = protocol
        self.pred_kind = pred_kind
        self.max_depth = check_positive(max_depth, "max_depth")
        self.reset()

    def reset(self) -> None:
        """Forget every image seen so far."""
        self.sums: dict[str, float] = dict.fromkeys(METRIC_NAMES, 0.0)
        self.count: int = 0

    def update(self, pred: Tensor, gt: Tensor, mask: Tensor | None = None) -> None:
        """Add a batch: (B, 1, H, W) or (B, H, W) ``pred`` and ``gt``, optional bool ``mask``."""
        metrics, has_valid = evaluate_per_image(
            pred, gt, self.protocol, self.pred_kind, self.max_depth, mask
        )
        self.add(metrics, has_valid)

    def add(self, metrics: dict[str, Tensor], has_valid: Tensor) -> None:
        """Add per-image metrics already computed by :func:`evaluate_per_image` with this
        accumulator's protocol, kind and max depth (so a caller that also keeps the per-image
        rows scores each batch once)."""
        *sums, count = _sums(metrics, has_valid).tolist()  # the one host read
        for name, value in zip(METRIC_NAMES, sums, strict=True):
            self.sums[name] += value
        self.count += int(count)

    def merge(self, other: DepthMetrics) -> None:
        """Add the images accumulated by ``other`` (same protocol, kind and max depth)."""
        if (other.protocol, other.pred_kind, other.max_depth) != (
            self.protocol,
            self.pred_kind,
            self.max_depth,
        ):
            raise ValueError("other must use the same protocol, pred_kind and max_depth")
        for name in METRIC_NAMES:
            self.sums[name] += other.sums[name]
        self.count += other.count

    def compute(self) -> dict[str, float]:
        """Mean of every metric over the images seen (NaN before any valid image)."""
        if self.count == 0:
            return dict.fromkeys(METRIC_NAMES, math.nan)
        return {name: total / self.count for name, total in self.sums.items()}
