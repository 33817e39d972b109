"""Helpers of the inference tests: panorama files.

The tiny student files (``student_ckpt``, ``metric_ckpt``) and the tiny teacher folder
(``teacher_dir``) are the shared session fixtures of ``tests/conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def save_pano(path: Path, h: int = 32, w: int = 64, seed: int = 0) -> Path:
    """A smooth random RGB panorama file (low-frequency, so bilinear resampling is gentle)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (4, 8, 3), dtype=np.uint8)
    img = Image.fromarray(small).resize((w, h), Image.BILINEAR)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread) -> None:
    """These tests run on small tensors: one intra-op thread (see ``one_thread``)."""
