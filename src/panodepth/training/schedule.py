"""The learning-rate schedule shared by the student recipe and the teacher-training loop.

:func:`lr_factor` multiplies the peak learning rate: a linear warm-up, then a cosine decay to
1 % of the peak. :class:`~panodepth.training.module.DepthAnywhere` uses it with no warm-up
(``lr_schedule="cosine"``); :mod:`panodepth.training.teacher` with ``TrainConfig.warmup``.
"""

from __future__ import annotations

import math

FINAL_FACTOR = 0.01
"""The multiplier the cosine decay ends at."""


def lr_factor(step: int, steps: int, warmup: int) -> float:
    """Learning-rate multiplier: linear warm-up over ``warmup`` steps, cosine decay to 0.01."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return FINAL_FACTOR + (1 - FINAL_FACTOR) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
