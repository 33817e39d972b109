"""The Depth Anywhere recipe as a LightningModule: a 360° student trained on GT and pseudo labels.

One training step (paper §3, REFERENCE.md "The recipe"):

* one forward pass of the student over the labeled and the unlabeled panoramas of the step
  (``batch["labeled"]``, ``batch["unlabeled"]`` from :class:`~panodepth.data.MixedDataset`);
* **GT term** on labeled panoramas: affine-invariant loss on disparity (GT valid in
  (0, ``max_depth``] m, inverted) — or BerHu on metric depth for a ``"depth"``-head student;
* **pseudo-label term** on unlabeled panoramas: the teacher's per-face disparity of the
  panorama under a per-sample random rotation (online teacher), or one of the K cached draws
  (:class:`~panodepth.distill.CachedPseudoLabels`: the batch's ``"pseudo_labels"``, the same
  :class:`~panodepth.distill.PseudoLabels` record the online teacher makes); the student's
  disparity is mapped to each face's planar disparity
  (:func:`~panodepth.distill.student_to_faces`) and compared per face with the
  affine-invariant loss; masked pixels (masker, ``region_valid``) do not count;
* ``loss = w_gt · GT term + w_pseudo · pseudo term`` (0.5 / 0.5 in the paper); a step with
  only one kind of data uses that term alone, weighted the same way.

Augmentation conventions (:mod:`panodepth.data.augment`): the student sees the rolled /
flipped / colour-jittered panorama; an online teacher sees the same roll and flip without the
jitter (``rgb_teacher``), so the student's prediction compares with it directly. Cached labels
were made from the un-augmented panorama, so the student's prediction is un-rolled /
un-flipped first (exact integer shifts, differentiable).

The teacher and masker are frozen helpers, not part of the student: they are kept out of the
state dict (checkpoints hold the student and the optimizer only) and out of DDP's gradient
synchronisation, and are moved to the student's device at the start of fit.

Validation / test: the student's prediction on labeled panoramas is scored with
:class:`~panodepth.metrics.DepthMetrics` under ``eval_protocol`` (metrics logged as
``val/abs_rel``, ... and ``test/...``); under DDP the per-image sums of all ranks are added
before the means are taken, so the figures are those of the whole set.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

import lightning as L
import torch
from torch import Tensor, nn

from panodepth.data.augment import undo_roll_flip
from panodepth.distill import (
    CachedPseudoLabels,
    FaceProjection,
    PseudoLabeler,
    PseudoLabels,
    pseudo_label_loss,
)
from panodepth.distill.projection import panorama_to_faces
from panodepth.losses import affine_invariant_loss, berhu_loss, gt_disparity_target, total_loss
from panodepth.metrics import METRIC_NAMES, DepthMetrics
from panodepth.models import Student360, build_model
from panodepth.training.schedule import lr_factor

from .checkpoint import load_student_weights

Protocol = Literal["paper", "release", "release_val", "none", "median", "lsq_disparity"]


class FrozenHelpers:
    """Holds the teacher / masker outside the module tree (not saved, not synchronised)."""

    def __init__(self, labeler: PseudoLabeler | None) -> None:
        self.labeler = labeler

    def to(self, device: torch.device) -> None:
        if self.labeler is not None:
            self.labeler.to(device).eval()


class DepthAnywhere(L.LightningModule):
    """Train a 360° student with GT and pseudo labels (Depth Anywhere).

    Args:
        student: registry name (``unifuse``, ``bifusepp``, ``hohonet``, ``egformer``).
        student_options: keyword options of :func:`~panodepth.models.build_model`
            (e.g. ``{"pretrained": true}`` for ImageNet backbones).
        output: the student's head: ``"disparity"`` (relative, the recipe's default) or
            ``"depth"`` (metric, ``max_depth · sigmoid``).
        max_depth: GT valid in (0, max_depth] m; the depth head's range.
        init_weights: start from a trained student's weights (``.safetensors`` from
            :func:`~panodepth.training.save_student` or a Lightning ``.ckpt`` of this module):
            fine-tuning, not resuming — optimizer state and step counters start fresh (use
            ``--ckpt_path`` to resume).
        gt_loss: ``"affine"`` (affine-invariant on disparity) or ``"berhu"`` (metric depth;
            needs ``output="depth"``).
        teacher: a perspective teacher for online pseudo labels (e.g.
            :class:`~panodepth.teachers.DepthAnythingTeacher`); ``None`` uses the cached labels
            in the batch, if any.
        masker: optional :class:`~panodepth.masks.Masker` for online labels.
        projection: ``"cube"`` (paper) or ``"tangent"``.
        max_deg: bound of each random Euler angle for online labels (0 = no rotation).
        w_gt, w_pseudo: loss weights (0.5 / 0.5 in the paper).
        optimizer: ``"adam"`` or ``"adamw"``; ``lr``, ``weight_decay`` as in REFERENCE.md.
        lr_schedule: ``"constant"`` (the released recipes) or ``"cosine"``: decay per step
            from ``lr`` to 1 % of it over the run's steps (the trainer's ``max_steps``, or
            ``max_epochs`` × batches) — the weights of a short fixed-budget run then settle
            instead of ending wherever the last constant-lr step left them.
        val_protocol, test_protocol: alignment protocols of the validation and the test
            metrics (:mod:`panodepth.metrics.align`); the defaults are the Depth Anywhere
            release's pair: ``release_val`` (least squares in disparity, median scaling,
            clamp; no crop) and ``release`` (the same with the zero-shot crop).
        eval_protocol: both at once (the single option of older configs and checkpoints);
            ignored for a stage whose own protocol is given.
        min_mad: faces / maps with a flatter target are left out of the affine loss.
    """

    def __init__(
        self,
        student: str = "unifuse",
        student_options: dict[str, Any] | None = None,
        output: Literal["disparity", "depth"] = "disparity",
        max_depth: float = 10.0,
        init_weights: str | None = None,
        gt_loss: Literal["affine", "berhu"] = "affine",
        teacher: nn.Module | None = None,
        masker: nn.Module | None = None,
        projection: Literal["cube", "tangent"] = "cube",
        max_deg: float = 45.0,
        w_gt: float = 0.5,
        w_pseudo: float = 0.5,
        optimizer: Literal["adam", "adamw"] = "adam",
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        lr_schedule: Literal["constant", "cosine"] = "constant",
        val_protocol: Protocol | None = None,
        test_protocol: Protocol | None = None,
        eval_protocol: Protocol | None = None,
        min_mad: float = 1e-6,
    ) -> None:
        super().__init__()
        if lr_schedule not in ("constant", "cosine"):
            raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got {lr_schedule!r}")
        if gt_loss == "berhu" and output != "depth":
            raise ValueError("gt_loss='berhu' trains metric depth: it needs output='depth'")
        self.protocols = {
            "val": val_protocol or eval_protocol or "release_val",
            "test": test_protocol or eval_protocol or "release",
        }
        self.save_hyperparameters(ignore=["teacher", "masker"])
        options = {**(student_options or {}), "output": output, "max_depth": max_depth}
        self.student: Student360 = build_model(student, **options)
        if init_weights is not None:
            load_student_weights(self.student, init_weights)
        labeler = None
        if teacher is not None:
            labeler = PseudoLabeler(teacher, masker, FaceProjection(projection), max_deg)
        elif masker is not None:
            raise ValueError("a masker needs an online teacher (cached labels carry their masks)")
        self.helpers = FrozenHelpers(labeler)
        self.metrics = {stage: self._new_metrics(stage) for stage in ("val", "test")}

    def _new_metrics(self, stage: str) -> DepthMetrics:
        hp = self.hparams
        return DepthMetrics(self.protocols[stage], hp.output, hp.max_depth)

    # ---------------------------------------------------------------- forward / helpers

    def forward(self, images: Tensor) -> Tensor:
        """(B, 3, H, W) panoramas in [0, 1] → (B, 1, H, W) disparity or depth (``output``)."""
        return self.student(images)

    def on_fit_start(self) -> None:
        self.helpers.to(self.device)

    # ---------------------------------------------------------------------- losses

    def gt_term(self, pred: Tensor, sample: dict[str, Tensor]) -> Tensor:
        depth, valid = sample["depth"], sample["valid"]
        hp = self.hparams
        if hp.gt_loss == "berhu":
            return berhu_loss(pred, depth, valid)
        target, mask = gt_disparity_target(depth, hp.max_depth, mask=valid)
        return affine_invariant_loss(
            self.student.to_disparity(pred), target, mask, min_mad=hp.min_mad
        )

    def pseudo_labels(self, sample: dict[str, Any]) -> tuple[PseudoLabels, bool]:
        """Labels of an unlabeled batch and whether they are in the augmented frame (online:
        yes; cached: no, they were made from the un-augmented panorama)."""
        labeler = self.helpers.labeler
        if labeler is not None:
            return labeler(sample["rgb_teacher"]), True
        labels = sample.get(CachedPseudoLabels.KEY)
        if labels is None:
            raise ValueError(
                "unlabeled panoramas need pseudo labels: give the module a teacher (online) "
                "or the data module a pseudo_labels cache folder (panodepth pseudo-label)"
            )
        if not isinstance(labels, PseudoLabels):
            raise TypeError(
                f"batch[{CachedPseudoLabels.KEY!r}] must be a PseudoLabels record, got "
                f"{type(labels).__name__}"
            )
        return labels, False

    def pseudo_term(self, pred: Tensor, sample: dict[str, Tensor]) -> Tensor:
        labels, augmented_frame = self.pseudo_labels(sample)
        disparity = self.student.to_disparity(pred)
        region = sample.get("region_valid")
        if not augmented_frame:
            disparity = undo_roll_flip(disparity, sample["roll"], sample["flip"])
            if region is not None:
                region = undo_roll_flip(region, sample["roll"], sample["flip"])
        if region is not None:  # a face pixel counts only if its whole footprint is valid
            grid = labels.face_grid(*region.shape[-2:])  # shared with the student's mapping
            faces = panorama_to_faces(region.float(), labels.rotation, labels.projection, grid=grid)
            labels = replace(labels, valid=labels.valid & (faces >= 0.999))  # the batch's stays
        return pseudo_label_loss(disparity, labels, min_mad=self.hparams.min_mad)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        parts = [(key, batch[key]) for key in ("labeled", "unlabeled") if batch.get(key)]
        images = torch.cat([sample["rgb"] for _, sample in parts])
        pred = self(images).float()
        terms = {"labeled": pred.new_zeros(()), "unlabeled": pred.new_zeros(())}
        start = 0
        for key, sample in parts:
            n = sample["rgb"].shape[0]
            part = pred[start : start + n]
            start += n
            if key == "labeled":
                term, name = self.gt_term(part, sample), "loss_gt"
            else:
                term, name = self.pseudo_term(part, sample), "loss_pseudo"
            self.log(f"train/{name}", term, batch_size=n, sync_dist=True)
            terms[key] = term
        hp = self.hparams
        loss = total_loss(terms["labeled"], terms["unlabeled"], hp.w_gt, hp.w_pseudo)
        self.log("train/loss", loss, prog_bar=True, batch_size=images.shape[0], sync_dist=True)
        return loss

    # ----------------------------------------------------------------- evaluation

    def _eval_step(self, stage: str, batch: dict[str, Any]) -> None:
        sample = batch.get("labeled", batch)
        pred = self(sample["rgb"]).float()
        self.metrics[stage].update(pred, sample["depth"], sample["valid"])

    def _eval_epoch_end(self, stage: str) -> None:
        acc = self.metrics[stage]
        sums = torch.tensor(
            [acc.sums[name] for name in METRIC_NAMES] + [acc.count],
            dtype=torch.float64,
            device=self.device,
        )
        if self.trainer.world_size > 1:
            sums = self.trainer.strategy.reduce(sums, reduce_op="sum")
        count = float(sums[-1])
        for name, total in zip(METRIC_NAMES, sums[:-1].tolist(), strict=True):
            value = total / count if count else float("nan")
            self.log(f"{stage}/{name}", value, prog_bar=name in ("abs_rel", "delta1"))
        self.log(f"{stage}/images", count)
        acc.reset()

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._eval_step("val", batch)

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._eval_step("test", batch)

    def on_test_epoch_end(self) -> None:
        self._eval_epoch_end("test")

    def predict_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        sample = batch.get("labeled", batch)
        return self(sample["rgb"])

    # ----------------------------------------------------------------- optimisation

    def configure_optimizers(self) -> Any:
        hp = self.hparams
        cls = torch.optim.AdamW if hp.optimizer == "adamw" else torch.optim.Adam
        optimizer = cls(self.student.parameters(), lr=hp.lr, weight_decay=hp.weight_decay)
        if hp.lr_schedule == "constant":
            return optimizer
        total = max(1, int(self.trainer.estimated_stepping_batches))
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: lr_factor(step, total, warmup=0)
        )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": schedule, "interval": "step"}}
