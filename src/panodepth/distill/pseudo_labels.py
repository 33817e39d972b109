"""Pseudo labels: the record, the online teacher, the label-source contract, the per-view loss.

This module owns :class:`PseudoLabels` (per-view labels of a batch, the one record that both
the online teacher and the cache hand to the loss), :class:`PseudoLabeler` (online: rotate →
project to views → teacher (+ masker) → face disparity), the :class:`LabelSource` contract
of whatever labels panoramas for the cache, its teacher implementation
:class:`TeacherSource` (the simulated one is :class:`~.simulated.SimulatedSource`), and
:func:`pseudo_label_loss`.

For a batch of unlabeled panoramas, :class:`PseudoLabeler` samples one random rotation per
sample (each Euler angle uniform in [−max_deg, max_deg), Depth Anywhere: 45°), renders the
teacher's views of the rotated panorama (the cube by default), and runs the teacher and the
masker on them. The result keeps everything the loss needs: per-view disparity, per-pixel
validity, the rotation, and which panoramas have enough valid pixels to be used at all.

The teacher never sees colour jitter (augment the student's copy only) and knows nothing
about panoramas; the loss is computed per view (:func:`pseudo_label_loss`), never on a
stitched equirect label (stitching without per-view alignment makes training fail, §3.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

import torch
from torch import Tensor, nn

from panodepth.geometry import ViewGrid, random_rotation
from panodepth.losses import affine_invariant_loss

from .projection import FaceProjection, face_grid, panorama_to_faces, student_to_faces


@dataclass
class PseudoLabels:
    """Per-view pseudo labels of a batch of panoramas, online or from the cache.

    ``grid`` is the views' sampling grid on the labelled panoramas (:func:`face_grid`), kept
    so that the region masks and the student's prediction of the same step reuse it; it is
    ``None`` for labels read from the cache (the step then builds it once).

    The cache reader (:func:`~.cache.load_pseudo_labels`) returns one draw as a batch of one;
    :meth:`collate` (called by :func:`panodepth.data.collate_mixed` for values that have it)
    stacks such records into the batch the training step uses.
    """

    disparity: Tensor  # (B, N, 1, S, S) teacher disparity per view (relative, ≥ 0)
    valid: Tensor  # (B, N, 1, S, S) bool: masker said keep, teacher output finite
    rotation: Tensor  # (B, 3, 3) rotation the views were taken with
    keep: Tensor  # (B,) bool: panoramas with at least the masker's min_valid share
    projection: FaceProjection
    grid: ViewGrid | None = None

    def to(self, device: torch.device | str) -> PseudoLabels:
        same = self.grid is not None and self.grid.grid.device == torch.device(device)
        return PseudoLabels(
            self.disparity.to(device),
            self.valid.to(device),
            self.rotation.to(device),
            self.keep.to(device),
            self.projection,
            self.grid if same else None,
        )

    @classmethod
    def collate(cls, records: Sequence[PseudoLabels]) -> PseudoLabels:
        """One batch of ``records`` (concatenated along the batch; one projection for all)."""
        if not records:
            raise ValueError("PseudoLabels.collate got no records")
        projection = records[0].projection
        for r in records[1:]:
            if r.projection != projection:
                raise ValueError(
                    f"cannot batch pseudo labels of different projections: {projection} vs "
                    f"{r.projection} (one cache folder per projection)"
                )
        return cls(
            disparity=torch.cat([r.disparity for r in records]),
            valid=torch.cat([r.valid for r in records]),
            rotation=torch.cat([r.rotation for r in records]),
            keep=torch.cat([r.keep for r in records]),
            projection=projection,
        )

    def face_grid(self, height: int, width: int) -> ViewGrid:
        """The views' sampling grid on ``height × width`` panoramas (kept, or built now and
        kept for the rest of the step)."""
        grid = self.grid
        if grid is None or grid.image != (height, width):
            size = self.disparity.shape[-1]
            grid = face_grid(self.rotation, self.projection, height, width, size)
            self.grid = grid
        return grid


class PseudoLabeler(nn.Module):
    """Make pseudo labels for unlabeled panoramas with a perspective teacher.

    Args:
        teacher: a :class:`panodepth.teachers.Teacher` (views → relative disparity), or any
            module with that contract.
        masker: a :class:`panodepth.masks.Masker` (views → bool validity); ``None`` keeps all.
        projection: the views (default: the cube, face size H/2).
        max_deg: bound of each random Euler angle (0 disables the rotation).
    """

    def __init__(
        self,
        teacher: nn.Module,
        masker: nn.Module | None = None,
        projection: FaceProjection | None = None,
        max_deg: float = 45.0,
    ) -> None:
        super().__init__()
        self.teacher = teacher
        self.masker = masker
        self.projection = projection or FaceProjection()
        self.max_deg = max_deg

    @torch.no_grad()
    def forward(
        self,
        panoramas: Tensor,
        rotation: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> PseudoLabels:
        """Pseudo labels for (B, 3, H, W) panoramas in [0, 1].

        Args:
            rotation: (B, 3, 3) rotations to use instead of random ones.
            generator: for reproducible random rotations (on the panoramas' device).
        """
        b = panoramas.shape[0]
        if rotation is None:
            rotation = random_rotation(
                b, self.max_deg, generator=generator, device=panoramas.device
            )
        grid = face_grid(rotation, self.projection, *panoramas.shape[-2:])
        faces = panorama_to_faces(panoramas, rotation, self.projection, grid=grid)  # (B,N,3,S,S)
        n, s = faces.shape[1], faces.shape[-1]
        flat = faces.reshape(b * n, 3, s, s)
        disparity = self.teacher(flat).float().reshape(b, n, 1, s, s)
        valid = torch.isfinite(disparity)
        keep = torch.ones(b, dtype=torch.bool, device=panoramas.device)
        if self.masker is not None:
            valid &= self.masker(flat).reshape(b, n, 1, s, s).bool()
            # the share of valid pixels is judged over all views of a panorama together
            keep = self.masker.keep(valid.reshape(b, 1, n * s, s))
        return PseudoLabels(
            disparity=torch.where(valid, disparity, torch.zeros_like(disparity)),
            valid=valid,
            rotation=rotation,
            keep=keep,
            projection=self.projection,
            grid=grid,
        )


@runtime_checkable
class LabelSource(Protocol):
    """What labels panoramas for the cache (:func:`~.cache.precompute_pseudo_labels`).

    A source labels a batch under rotations the caller draws: ``source(batch, rotation,
    generator)`` takes a dict of (K, C, H, W) tensors — ``"rgb"`` in [0, 1], and for sources
    with ``needs_ground_truth`` also ``"depth"`` (GT range) and optionally ``"region_valid"``
    — and (K, 3, 3) camera-to-world rotations, and returns :class:`PseudoLabels` of K
    panoramas. ``generator`` (on ``device``) is for any randomness of its own.

    Attributes:
        name: recorded in every cache file (metadata ``teacher``).
        needs_ground_truth: labels come from GT depth (a labeled dataset), not from images.
        projection: the views it labels.
        device: where its batches go (and the rotations' generator lives).
    """

    @property
    def name(self) -> str: ...

    @property
    def needs_ground_truth(self) -> bool: ...

    @property
    def projection(self) -> FaceProjection: ...

    @property
    def device(self) -> torch.device: ...

    def __call__(
        self, batch: dict[str, Tensor], rotation: Tensor, generator: torch.Generator | None = None
    ) -> PseudoLabels: ...


class TeacherSource:
    """A perspective teacher (+ optional masker) as a :class:`LabelSource`, through
    :class:`PseudoLabeler`: it sees the views of ``batch["rgb"]`` only.

    Args:
        teacher, masker, projection: as for :class:`PseudoLabeler`.
        name: recorded in the cache files (default: the teacher's class name).
    """

    needs_ground_truth: ClassVar[bool] = False

    def __init__(
        self,
        teacher: nn.Module,
        masker: nn.Module | None = None,
        projection: FaceProjection | None = None,
        name: str | None = None,
    ) -> None:
        # the cache driver draws the rotations: the labeler's own random ones are never used
        self.labeler = PseudoLabeler(teacher, masker, projection, max_deg=0.0)
        self.name = name if name is not None else type(teacher).__name__

    @property
    def teacher(self) -> nn.Module:
        return self.labeler.teacher

    @property
    def projection(self) -> FaceProjection:
        return self.labeler.projection

    @property
    def device(self) -> torch.device:
        return next((p.device for p in self.labeler.parameters()), torch.device("cpu"))

    def to(self, device: torch.device | str) -> TeacherSource:
        """Move the teacher and masker to ``device``; returns the source."""
        self.labeler.to(device)
        return self

    def __call__(
        self, batch: dict[str, Tensor], rotation: Tensor, generator: torch.Generator | None = None
    ) -> PseudoLabels:
        device = self.device
        return self.labeler(batch["rgb"].to(device), rotation=rotation.to(device))

    def __repr__(self) -> str:
        return f"TeacherSource({self.name!r}, projection={self.projection})"


def pseudo_label_loss(
    student_disparity: Tensor, labels: PseudoLabels, min_mad: float = 1e-6
) -> Tensor:
    """Affine-invariant loss of a student's equirect disparity against per-view pseudo labels.

    The student's (B, 1, H, W) disparity is mapped to each view's planar disparity under the
    labels' rotations (:func:`student_to_faces`) and compared **per view** (each view of the
    teacher has its own unknown scale and shift). Panoramas with ``keep == False`` and masked
    pixels do not count; views whose label is (nearly) constant are skipped (see
    :func:`panodepth.losses.affine_invariant_loss`).
    """
    size = labels.disparity.shape[-1]
    grid = labels.face_grid(*student_disparity.shape[-2:])
    pred = student_to_faces(student_disparity, labels.rotation, labels.projection, size, grid=grid)
    valid = labels.valid & labels.keep.view(-1, 1, 1, 1, 1)
    return affine_invariant_loss(pred, labels.disparity, valid, min_mad=min_mad)
