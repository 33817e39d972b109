"""Depth maps in memory as the depth writers take them: float32 (H, W) NumPy arrays."""

from __future__ import annotations

import numpy as np
import torch


def as_depth_map(depth: np.ndarray | torch.Tensor) -> np.ndarray:
    """A map given as (H, W), (1, H, W), … (NumPy or torch, any device) as float32 (H, W)."""
    arr = depth.detach().float().cpu().numpy() if isinstance(depth, torch.Tensor) else depth
    arr = np.asarray(arr, dtype=np.float32)
    return arr.reshape(arr.shape[-2:])
