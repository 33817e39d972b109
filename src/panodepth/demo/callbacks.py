"""Lightning callbacks and console hygiene of the demo's training runs.

The demo trains through a Lightning ``Trainer`` but shows its own console: one progress bar
per variant (:class:`StepBar`), no Lightning banners, tips or deprecation warnings
(:func:`quiet_lightning`). Lightning's own output stays for ``panodepth fit``.
:class:`Monitor` scores the student on held-out sets during training (the curve of a
variant: e.g. A-only's best step on the validation domain).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import lightning as L
from tqdm.auto import tqdm

_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric", "lightning_fabric")


@contextlib.contextmanager
def quiet_lightning() -> Iterator[None]:
    """Lightning's info lines ("GPU available", tips, "`Trainer.fit` stopped") and library
    warnings silenced for the block; errors still raise."""
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class StepBar(L.Callback):
    """One tqdm bar over the optimiser steps of a run, with the running loss."""

    def __init__(self, desc: str, steps: int, enabled: bool = True) -> None:
        self.desc, self.steps, self.enabled = desc, steps, enabled
        self.bar: tqdm | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.bar = tqdm(total=self.steps, desc=self.desc, unit="step", disable=not self.enabled)

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any
    ) -> None:
        if self.bar is None:
            return
        self.bar.update(trainer.global_step - self.bar.n)
        loss = trainer.callback_metrics.get("train/loss")
        if loss is not None and trainer.global_step % 10 == 0:
            self.bar.set_postfix(loss=f"{float(loss):.3f}", refresh=False)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Monitor(L.Callback):
    """Scores ``pl_module.student`` on each of ``sets`` every ``every`` steps and after step
    ``last``; appends ``(step, metrics)`` to ``curve[key]``.

    ``score(student, test)`` returns the metrics; it must not change the student (the demo's
    builds an inference copy).
    """

    def __init__(
        self,
        sets: dict[str, Any],
        every: int,
        last: int,
        score: Callable[[Any, Any], dict[str, float]],
        curve: dict[str, list[tuple[int, dict[str, float]]]],
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be ≥ 1, got {every}")
        self.sets, self.every, self.last, self.score, self.curve = sets, every, last, score, curve

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any
    ) -> None:
        step = trainer.global_step
        if step % self.every and step != self.last:
            return
        student = pl_module.student
        was_training = student.training
        for key, test in self.sets.items():
            self.curve.setdefault(key, []).append((step, self.score(student, test)))
        student.train(was_training)
