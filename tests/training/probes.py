"""Lightning callbacks the training tests load by class path (``--trainer.callbacks+=...``).

They record what each rank saw, or end a run the hard way, so that subprocess runs of
``panodepth fit`` can be checked from the outside.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import lightning as L
import torch


class RecordBatches(L.Callback):
    """Write, per rank, the names in every training batch, the rank's own loss and the logged
    (rank-averaged) loss of each step, and a checksum of the weights at the end of fit."""

    def __init__(self, out: str) -> None:
        self.out = Path(out)
        self.steps: list[dict[str, Any]] = []

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, _: int
    ) -> None:
        parts = [batch[key] for key in ("labeled", "unlabeled") if batch.get(key)]
        names = [name for part in parts for name in part["name"]]
        logged = trainer.callback_metrics.get("train/loss")
        self.steps.append(
            {
                "step": trainer.global_step,
                "names": names,
                "local_loss": float(outputs["loss"]),
                "logged_loss": None if logged is None else float(logged),
            }
        )

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        with torch.no_grad():
            checksum = sum(float(p.double().sum()) for p in pl_module.student.parameters())
        record = {"rank": trainer.global_rank, "world": trainer.world_size,
                  "steps": self.steps, "checksum": checksum}  # fmt: skip
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / f"rank{trainer.global_rank}.json").write_text(json.dumps(record))


class KillAtEpoch(L.Callback):
    """End the process abruptly (``os._exit``, no clean-up) when ``epoch`` starts — after the
    previous epoch's checkpoint was written, as a crash or a pre-empted job would."""

    def __init__(self, epoch: int = 1) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch == self.epoch:
            os._exit(3)
