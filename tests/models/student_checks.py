"""Checks every student's tests share: overfitting one panorama, checkpoint round trips, and
which students are too big for the fast loop."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from panodepth.models import Student360, documented_params
from panodepth.training import load_student, save_student

BIG_MB = 100.0
"""Students whose float32 weights exceed this (UniFuse 121 MB, HoHoNet 198 MB, BiFuse++
206 MB) take seconds to build, run and save on 2 CPU cores: their architecture-specific
checks are ``slow``; the contract test (``test_contract.py``) runs them in the fast loop."""


def weights_mb(name: str) -> float:
    """The size of the float32 weights of student ``name``, in MB (its student file's size)."""
    return documented_params(name) * 4 / 1e6


def slow_if_big(names, limit_mb: float = BIG_MB) -> list:
    """``names`` as ``pytest.param``s, the students bigger than ``limit_mb`` marked ``slow``."""
    slow = pytest.mark.slow
    return [pytest.param(n, marks=slow) if weights_mb(n) > limit_mb else n for n in names]


def overfit(
    model: Student360, rgb: torch.Tensor, target: torch.Tensor, valid: torch.Tensor,
    max_steps: int = 60, lr: float = 1e-3,
) -> list[float]:  # fmt: skip
    """Adam steps of L1 on the valid pixels until the loss is 10× lower (or ``max_steps``).

    No wall-clock cutoff, so a busy machine cannot make the check fail; returns the losses.
    """
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses: list[float] = []
    for _ in range(max_steps):
        opt.zero_grad(set_to_none=True)
        loss = (model(rgb) - target).abs()[valid].mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if losses[-1] * 10 <= losses[0]:
            break
    return losses


def round_trip(model: Student360, folder: Path, x: torch.Tensor) -> Student360:
    """Save and load ``model``; assert identical outputs and no projection grids as state."""
    model.eval()
    assert not [key for key in model.state_dict() if "grid" in key.lower()]
    again = load_student(save_student(model, folder / "student.safetensors")).eval()
    with torch.no_grad():
        assert torch.equal(model(x), again(x))
    return again
