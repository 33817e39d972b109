"""Tiny randomly initialised Depth Anything checkpoints, saved once per session.

No weights are downloaded: the tests build the model from a config, save it with
``save_pretrained`` and load it back through the public teacher API, with the network cut.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import torch
from transformers import DPTImageProcessor

from panodepth.teachers.tiny import save_tiny_depth_anything

CUSTOM_MEAN = (0.3, 0.4, 0.5)
CUSTOM_STD = (0.2, 0.25, 0.3)


def save_tiny(path: Path, seed: int = 0, **overrides: object) -> Path:
    """A tiny checkpoint (see :mod:`panodepth.teachers.tiny`) saved into ``path``."""
    return save_tiny_depth_anything(path, seed, **overrides)


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
