"""Variants of the tiny Depth Anything for the teacher tests, saved once per session.

The plain tiny checkpoint is the shared ``teacher_dir`` (``tests/conftest.py``); here are a
metric one and one with its own preprocessor config. No weights are downloaded: each is built
from a config, saved with ``save_pretrained`` and loaded back through the public teacher API,
with the network cut (the offline guard of ``tests/conftest.py``).
"""

from __future__ import annotations

import shutil
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


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same torch RNG state (random images are reproducible)."""
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def tiny_metric_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A metric checkpoint (depth in metres, max 20 m)."""
    return save_tiny(
        tmp_path_factory.mktemp("tiny_da_metric"), depth_estimation_type="metric", max_depth=20
    )


@pytest.fixture(scope="session")
def tiny_processor_dir(tmp_path_factory: pytest.TempPathFactory, teacher_dir: Path) -> Path:
    """The shared relative checkpoint plus a preprocessor config with non-default mean/std."""
    path = shutil.copytree(teacher_dir, tmp_path_factory.mktemp("tiny_da") / "processor")
    DPTImageProcessor(
        image_mean=list(CUSTOM_MEAN),
        image_std=list(CUSTOM_STD),
        keep_aspect_ratio=True,
        ensure_multiple_of=14,
        size={"height": 518, "width": 518},
    ).save_pretrained(path)
    return path


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread) -> None:
    """These tests run on small tensors: one intra-op thread (see ``one_thread``)."""
