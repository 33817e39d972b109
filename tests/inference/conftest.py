"""Shared fixtures of the inference tests: tiny students, a tiny teacher, panorama files.

Students are real architectures (UniFuse without fusion, the cheapest) with seeded random
weights, saved through ``save_student`` so they load the way users' checkpoints do.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from panodepth.models import build_model
from panodepth.teachers.tiny import save_tiny_depth_anything


def save_pano(path: Path, h: int = 32, w: int = 64, seed: int = 0) -> Path:
    """A smooth random RGB panorama file (low-frequency, so bilinear resampling is gentle)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (4, 8, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((w, h), Image.BILINEAR)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


@pytest.fixture(scope="session")
def student_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A relative (disparity head) student checkpoint."""
    from panodepth.io.students import save_student

    torch.manual_seed(0)
    model = build_model("unifuse", fusion=False, output="disparity")
    return save_student(model, tmp_path_factory.mktemp("student") / "rel.safetensors")


@pytest.fixture(scope="session")
def metric_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A metric (depth head, max 10 m) student checkpoint."""
    from panodepth.io.students import save_student

    torch.manual_seed(1)
    model = build_model("unifuse", fusion=False, output="depth")
    return save_student(model, tmp_path_factory.mktemp("student") / "metric.safetensors")


@pytest.fixture(scope="session")
def teacher_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny randomly initialised Depth Anything folder."""
    return save_tiny_depth_anything(tmp_path_factory.mktemp("tiny_da"))
