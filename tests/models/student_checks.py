"""Checks every student's tests share: overfitting one panorama, checkpoint round trips."""

from __future__ import annotations

from pathlib import Path

import torch

from panodepth.models import Student360
from panodepth.training import load_student, save_student


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
