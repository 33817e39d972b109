"""Face projections for distillation: the cube (default) or icosahedral tangent images.

A :class:`FaceProjection` says which pinhole views the teacher sees: the six 90° cube faces
(Depth Anywhere's choice) or the 20·4^level tangent images (the paper's Table 8 alternative).
Both the teacher side (:func:`panorama_to_faces`) and the student side
(:func:`student_to_faces`) go through the same views, so labels and predictions line up
pixel for pixel.

Conventions (:mod:`panodepth.geometry`): rotations are camera-to-world, B×3×3, one per
sample; the views of sample b look along ``R[b] @ view_rotation[k]``; face tensors are
(B, N, C, S, S); disparities are relative, ≥ 0, with 0 = invalid.

A training step samples several maps of the same panoramas under the same rotations (the
teacher's RGB, the region masks, the student's prediction): :func:`face_grid` builds their
sampling grid once (:class:`~panodepth.geometry.ViewGrid`) and both functions below take it.

Checks (:mod:`panodepth.checks`): shapes, dtypes and arguments on every call; the values
only with the debug switch on (these functions run inside every training step).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from panodepth.checks import ArgumentError, check_rotation, check_tensor
from panodepth.geometry import (
    ViewGrid,
    depth_to_disparity,
    disparity_to_depth,
    face_rotations,
    range_to_planar,
    sample_views,
    tangent_fov,
    tangent_rotations,
    view_sampling_grid,
)


@dataclass(frozen=True)
class FaceProjection:
    """Which views the teacher sees.

    Args:
        kind: ``"cube"`` (six 90° faces, F R B L U D) or ``"tangent"`` (icosahedron faces).
        face_size: side S of each view; ``None`` = H/2 for the cube (Depth Anywhere), H/4 for
            tangent images.
        level: tangent images' icosahedron subdivision level (0 → 20 views).
        fov_deg: tangent images' field of view (default: covers each face's triangle).
    """

    kind: str = "cube"
    face_size: int | None = None
    level: int = 0
    fov_deg: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("cube", "tangent"):
            raise ArgumentError(f"projection kind must be 'cube' or 'tangent', got {self.kind!r}")
        if self.face_size is not None and self.face_size <= 0:
            raise ArgumentError(f"face_size must be positive, got {self.face_size}")

    @property
    def fov(self) -> float:
        if self.kind == "cube":
            return 90.0
        return self.fov_deg if self.fov_deg is not None else tangent_fov(self.level)

    def size_for(self, height: int) -> int:
        if self.face_size is not None:
            return self.face_size
        return max(1, height // 2 if self.kind == "cube" else height // 4)

    def view_rotations(self, device: torch.device | str | None = None) -> Tensor:
        """(N, 3, 3) float32 rotations of the views in an unrotated panorama."""
        if self.kind == "cube":
            return face_rotations(device, torch.float32)
        return tangent_rotations(self.level).to(device, torch.float32)

    def rotations(self, rotation: Tensor) -> Tensor:
        """(B, N, 3, 3) view rotations of each sample, rotated by ``rotation`` (B, 3, 3)."""
        return rotation.float().unsqueeze(1) @ self.view_rotations(rotation.device)


def face_grid(
    rotation: Tensor, projection: FaceProjection, height: int, width: int, size: int | None = None
) -> ViewGrid:
    """The sampling grid of ``projection``'s views under per-sample ``rotation`` (B, 3, 3) on
    ``height × width`` panoramas (face side ``size``, default ``projection.size_for(height)``)."""
    size = projection.size_for(height) if size is None else size
    return view_sampling_grid(projection.rotations(rotation), projection.fov, size, height, width)


def panorama_to_faces(
    panorama: Tensor,
    rotation: Tensor,
    projection: FaceProjection,
    mode: str = "bilinear",
    grid: ViewGrid | None = None,
) -> Tensor:
    """The views a teacher sees of (B, C, H, W) panoramas under per-sample ``rotation``.

    ``grid``: the :func:`face_grid` of these rotations and this panorama size, if already
    built (it is then used as it is).

    Returns:
        (B, N, C, S, S) views (what ``rotate_equirect`` + ``equirect_to_cube`` would give).
    """
    panorama = check_tensor(panorama, "panorama", ["B", "C", "H", "W"])
    check_rotation(rotation, panorama.shape[0])
    if grid is None:
        grid = face_grid(rotation.to(panorama.device), projection, *panorama.shape[-2:])
    return sample_views(panorama, grid, mode)


def student_to_faces(
    disparity: Tensor,
    rotation: Tensor,
    projection: FaceProjection | None = None,
    face_size: int | None = None,
    min_disparity: float = 1e-6,
    grid: ViewGrid | None = None,
) -> Tensor:
    """Map a student's equirect disparity to each view's **planar** disparity.

    The chain of Depth Anywhere §3.1: disparity → range → 3-D points → rotate by ``R`` →
    project onto each view → planar (z) depth of that view → disparity. Sampling the range map
    along each view pixel's ray and multiplying by cos(angle to the view axis) is exactly
    that chain (up to bilinear interpolation of the range). Differentiable w.r.t.
    ``disparity``.

    Args:
        disparity: (B, 1, H, W) predicted relative disparity (> 0; values below
            ``min_disparity`` are clamped so that the range stays finite).
        rotation: (B, 3, 3) the rotations the teacher's views were taken with.
        projection: the teacher's views (default: the cube).
        face_size: overrides ``projection.face_size``.
        grid: the :func:`face_grid` of these rotations, if already built.

    Returns:
        (B, N, 1, S, S) planar disparity of every view pixel.
    """
    disparity = check_tensor(disparity, "disparity", ["B", "1", "H", "W"])
    projection = projection or FaceProjection()
    if face_size is not None:
        projection = FaceProjection(
            projection.kind, face_size, projection.level, projection.fov_deg
        )
    range_map = disparity_to_depth(disparity.clamp_min(min_disparity))
    views = panorama_to_faces(range_map, rotation, projection, grid=grid)  # (B, N, 1, S, S)
    planar = range_to_planar(views, projection.fov)
    return depth_to_disparity(planar)
