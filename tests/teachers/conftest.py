"""Tiny randomly initialised Depth Anything checkpoints, saved once per session.

No weights are downloaded: the tests build the model from a config, save it with
``save_pretrained`` and load it back through the public teacher API, with the network cut.
"""

from __future__ import annotations

import math
import socket
from pathlib import Path

import pytest
import torch
from transformers import (
    DepthAnythingConfig,
    DepthAnythingForDepthEstimation,
    Dinov2Config,
    DPTImageProcessor,
)

CUSTOM_MEAN = (0.3, 0.4, 0.5)
CUSTOM_STD = (0.2, 0.25, 0.3)


def tiny_config(**overrides: object) -> DepthAnythingConfig:
    """The tiny Depth Anything of REFERENCE.md (56 × 56 input, patch 14)."""
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


def save_tiny(path: Path, seed: int = 0, **overrides: object) -> Path:
    """Build, re-initialise (seeded) and save a tiny model; returns ``path``.

    The default initialisation (std 0.02) makes the output ~1e-7 and nearly constant, which
    would make every comparison trivially pass; weights are redrawn with std 1/sqrt(fan_in)
    so that outputs are O(1) and depend on the input.
    """
    torch.manual_seed(seed)
    model = DepthAnythingForDepthEstimation(tiny_config(**overrides)).eval()
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.ndim > 1:
                param.normal_(0.0, 1.0 / math.sqrt(param[0].numel()), generator=generator)
            elif name.endswith("bias"):
                param.normal_(0.0, 0.1, generator=generator)
    model.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A relative-disparity checkpoint without a preprocessor config (ImageNet defaults)."""
    return save_tiny(tmp_path_factory.mktemp("tiny_da"))


@pytest.fixture(scope="session")
def tiny_metric_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A metric checkpoint (depth in metres, max 20 m)."""
    return save_tiny(
        tmp_path_factory.mktemp("tiny_da_metric"), depth_estimation_type="metric", max_depth=20
    )


@pytest.fixture(scope="session")
def tiny_processor_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The relative checkpoint plus a preprocessor config with non-default mean/std."""
    path = save_tiny(tmp_path_factory.mktemp("tiny_da_processor"))
    DPTImageProcessor(
        image_mean=list(CUSTOM_MEAN),
        image_std=list(CUSTOM_STD),
        keep_aspect_ratio=True,
        ensure_multiple_of=14,
        size={"height": 518, "width": 518},
    ).save_pretrained(path)
    return path


@pytest.fixture(autouse=True)
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Offline mode on and sockets cut for every test; returns the attempted addresses."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object, *args: object) -> None:
        attempts.append(address)
        raise OSError(f"network access attempted in a test: {address!r}")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    torch.manual_seed(0)
    return attempts
