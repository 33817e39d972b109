"""Face projections for distillation: the cube (default) or icosahedral tangent images.

A :class:`FaceProjection` says which pinhole views the teacher sees: the six 90° cube faces
(Depth Anywhere's choice) or the 20·4^level tangent images (the paper's Table 8 alternative).
Both the teacher side (:func:`panorama_to_faces`) and the student side
(:func:`student_to_faces`) go through the same views, so labels and predictions line up
pixel for pixel.

Conventions (:mod:`panodepth.geometry`): rotations are camera-to-world, B×3×3, one per
sample; the views of sample b look along ``R[b] @ view_rotation[k]``; face tensors are
(B, N, C, S, S); disparities are relative, ≥ 0, with 0 = invalid.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from panodepth.geometry import (
    depth_to_disparity,
    disparity_to_depth,
    equirect_to_views,
    face_rotations,
    range_to_planar,
    tangent_fov,
    tangent_rotations,
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
            raise ValueError(f"projection kind must be 'cube' or 'tangent', got {self.kind!r}")
        if self.face_size is not None and self.face_size <= 0:
            raise ValueError(f"face_size must be positive, got {self.face_size}")

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


def panorama_to_faces(
    panorama: Tensor, rotation: Tensor, projection: FaceProjection, mode: str = "bilinear"
) -> Tensor:
    """The views a teacher sees of (B, C, H, W) panoramas under per-sample ``rotation``.

    Returns:
        (B, N, C, S, S) views (what ``rotate_equirect`` + ``equirect_to_cube`` would give).
    """
    size = projection.size_for(panorama.shape[-2])
    return equirect_to_views(panorama, projection.rotations(rotation), projection.fov, size, mode)


def student_to_faces(
    disparity: Tensor,
    rotation: Tensor,
    projection: FaceProjection | None = None,
    face_size: int | None = None,
    min_disparity: float = 1e-6,
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

    Returns:
        (B, N, 1, S, S) planar disparity of every view pixel.
    """
    projection = projection or FaceProjection()
    if face_size is not None:
        projection = FaceProjection(
            projection.kind, face_size, projection.level, projection.fov_deg
        )
    range_map = disparity_to_depth(disparity.clamp_min(min_disparity))
    views = panorama_to_faces(range_map, rotation, projection)  # (B, N, 1, S, S) range
    planar = range_to_planar(views, projection.fov)
    return depth_to_disparity(planar)
