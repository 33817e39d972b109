"""Input validation shared by the loss functions.

Every public loss validates its inputs first and raises ``ValueError`` (``TypeError`` for a
non-tensor) whose message names the argument, what was expected and what was given. The
checks look at shapes and dtypes only: they never read tensor values, so they cost no
device synchronisation inside a training step.
"""

from __future__ import annotations

import torch
from torch import Tensor

REDUCTIONS = ("mean", "sum", "none")


def check_map(x: object, name: str) -> Tensor:
    """Check a floating tensor of shape (..., H, W) (at least 2 dimensions, not empty)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (..., H, W), got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    return x


def check_pair(pred: object, target: object) -> tuple[Tensor, Tensor]:
    """Check ``pred`` and ``target``: floating (..., H, W) tensors of the same shape."""
    pred = check_map(pred, "pred")
    target = check_map(target, "target")
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape, got pred {tuple(pred.shape)} "
            f"and target {tuple(target.shape)}"
        )
    return pred, target


def check_mask(mask: object, like: Tensor, name: str = "mask") -> Tensor:
    """Check a bool mask broadcastable to ``like``; return it expanded to ``like.shape``.

    ``None`` gives an all-True mask. Non-bool masks are refused rather than cast: a float or
    uint8 "mask" is the usual sign of an arithmetic slip such as ``depth > 0 & mask``.
    """
    if mask is None:
        return torch.ones(like.shape, dtype=torch.bool, device=like.device)
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a bool torch.Tensor or None, got {type(mask).__name__}")
    if mask.dtype != torch.bool:
        raise ValueError(f"{name} must be a bool tensor, got dtype {mask.dtype}")
    try:
        fits = torch.broadcast_shapes(mask.shape, like.shape) == like.shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(
            f"{name} of shape {tuple(mask.shape)} does not broadcast to {tuple(like.shape)}"
        )
    return mask.expand(like.shape)


def at_least_float32(x: Tensor) -> Tensor:
    """Cast float16/bfloat16 to float32 (sums over 10⁵ pixels overflow or lose all precision
    in half precision, e.g. under autocast); other dtypes pass through. Differentiable."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def check_positive(value: float, name: str, allow_zero: bool = False) -> float:
    """Check a finite positive (or non-negative) Python number."""
    v = float(value)
    ok = v >= 0.0 if allow_zero else v > 0.0
    if not ok or v != v or v == float("inf"):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return v
