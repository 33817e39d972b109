"""A tiny randomly initialised Depth Anything, for tests, smoke runs and benchmarks.

No weights can be downloaded on many machines (CI included). This builds the Depth Anything
architecture at toy size (4 DINOv2 layers of width 32, 137 k parameters, 56×56 input) from
its configuration and saves it with ``save_pretrained``, so that it loads through exactly the
path real checkpoints use (:class:`~panodepth.teachers.DepthAnythingTeacher` on a folder).
Its outputs are meaningless depth; they only exercise the plumbing.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import DepthAnythingConfig


def tiny_depth_anything_config(**overrides: object) -> DepthAnythingConfig:
    """The tiny Depth Anything configuration (REFERENCE.md), with optional overrides."""
    from transformers import DepthAnythingConfig, Dinov2Config

    backbone = Dinov2Config(
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=2,
        intermediate_size=64,
        image_size=56,
        patch_size=14,
        out_indices=[1, 2, 3, 4],
        reshape_hidden_states=False,
    )
    return DepthAnythingConfig(
        backbone_config=backbone,
        reassemble_hidden_size=32,
        neck_hidden_sizes=[8, 16, 32, 32],
        fusion_hidden_size=16,
        head_hidden_size=8,
        **overrides,
    )


def save_tiny_depth_anything(path: str | os.PathLike, seed: int = 0, **overrides: object) -> Path:
    """Build, initialise (seeded) and save a tiny Depth Anything into ``path``; return it.

    The default initialisation (std 0.02) makes the output ~1e-7 and nearly constant, so the
    weights are redrawn with std 1/sqrt(fan_in): outputs are O(1) and depend on the input.
    """
    import torch
    from transformers import DepthAnythingForDepthEstimation

    torch.manual_seed(seed)
    model = DepthAnythingForDepthEstimation(tiny_depth_anything_config(**overrides)).eval()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.ndim > 1:
                param.normal_(0.0, 1.0 / math.sqrt(param[0].numel()), generator=generator)
            elif name.endswith("bias"):
                param.normal_(0.0, 0.1, generator=generator)
    model.save_pretrained(path)
    return Path(path)
