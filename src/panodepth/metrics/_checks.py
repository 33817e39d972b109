"""Input validation shared by the metric functions.

Metrics take depth batches of shape (B, 1, H, W) or (B, H, W) and bool masks of the same
shape; internally they work on (B, H, W). Every check raises ``ValueError`` (``TypeError``
for a non-tensor) naming the argument, what was expected and what was given.
"""

from __future__ import annotations

import torch
from torch import Tensor

PRED_KINDS = ("depth", "disparity")


def check_batch(x: object, name: str) -> Tensor:
    """Check a floating (B, 1, H, W) or (B, H, W) tensor; return it as (B, H, W)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[1] != 1):
        raise ValueError(f"{name} must have shape (B, 1, H, W) or (B, H, W), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    return x.reshape(x.shape[0], x.shape[-2], x.shape[-1])


def check_pred_gt(pred: object, gt: object) -> tuple[Tensor, Tensor]:
    """Check ``pred`` and ``gt`` (same shape); return both as (B, H, W)."""
    if isinstance(pred, Tensor) and isinstance(gt, Tensor) and pred.shape != gt.shape:
        raise ValueError(
            f"pred and gt must have the same shape, got pred {tuple(pred.shape)} "
            f"and gt {tuple(gt.shape)}"
        )
    return check_batch(pred, "pred"), check_batch(gt, "gt")


def check_bool_mask(mask: object, shape: torch.Size, name: str) -> Tensor:
    """Check a bool mask against a (B, H, W) ``shape``; return it expanded to (B, H, W).

    The mask may be (B, 1, H, W), (B, H, W) or anything broadcastable to (B, H, W).
    """
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a bool torch.Tensor, got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise ValueError(f"{name} must be a bool tensor, got dtype {mask.dtype}")
    given = tuple(mask.shape)
    if mask.ndim == 4 and mask.shape[1] == 1:
        mask = mask[:, 0]
    try:
        fits = torch.broadcast_shapes(mask.shape, shape) == shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(f"{name} of shape {given} does not match the batch {tuple(shape)}")
    return mask.expand(shape)


def check_pred_kind(pred_kind: str) -> str:
    if pred_kind not in PRED_KINDS:
        raise ValueError(f"pred_kind must be one of {PRED_KINDS}, got {pred_kind!r}")
    return pred_kind


def check_max_depth(max_depth: float) -> float:
    value = float(max_depth)
    if not 0.0 < value < float("inf"):
        raise ValueError(f"max_depth must be a finite number > 0, got {max_depth!r}")
    return value
