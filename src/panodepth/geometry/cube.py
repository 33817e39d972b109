"""Equirect ⇄ cube map (six 90° pinhole faces), with optional per-sample 3-D rotation.

Convention — faces, in py360convert's order and orientation (tested against py360convert):
    index 0..5 = F, R, B, L, U, D. Each face is a 90° pinhole view (see
    :mod:`panodepth.geometry.perspective`) with rotation columns (right, down, forward):

    ====  ===========  ===========  ===========  ===============================
    face  right        down         forward      looks at
    ====  ===========  ===========  ===========  ===============================
    F     +x           +y           +z           the image centre (lon 0)
    R     −z           +y           +x           lon +90°
    B     −x           +y           −z           lon ±180° (the seam)
    L     +z           +y           −x           lon −90°
    U     +x           +z           −y           up; its bottom edge touches F's top edge
    D     +x           −z           +y           down; its top edge touches F's bottom edge
    ====  ===========  ===========  ===========  ===============================

    Face pixel centres sit at (i + 0.5)/S of the face (py360convert puts them on the face
    edges instead, which is why its e2c → c2e round trip is not exact).

Shapes: cube maps are stacked as (B, 6, C, S, S). ``rotation`` (3×3 or B×3×3,
camera-to-world) rotates the whole cube: face k of sample b then looks along
``rotation[b] @ face_rotations()[k]``, which is exactly the cube of
``rotate_equirect(img, rotation)``.
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import Tensor

from ..checks import (
    check_choice,
    check_equirect,
    check_equirect_size,
    check_positive_int,
    check_rotation,
)
from .perspective import _check_views, _equirect_to_views, _rotations_key, _views_to_equirect
from .sampling import SAMPLING_MODES

FACE_NAMES: tuple[str, ...] = ("F", "R", "B", "L", "U", "D")

# columns (right, down, forward) of each face's camera-to-world rotation
_FACE_AXES = (
    ((1, 0, 0), (0, 1, 0), (0, 0, 1)),  # F
    ((0, 0, -1), (0, 1, 0), (1, 0, 0)),  # R
    ((-1, 0, 0), (0, 1, 0), (0, 0, -1)),  # B
    ((0, 0, 1), (0, 1, 0), (-1, 0, 0)),  # L
    ((1, 0, 0), (0, 0, 1), (0, -1, 0)),  # U
    ((1, 0, 0), (0, 0, -1), (0, 1, 0)),  # D
)


def face_rotations(
    device: torch.device | str | None = None, dtype: torch.dtype | None = None
) -> Tensor:
    """Camera-to-world rotations of the six faces, (6, 3, 3), in F, R, B, L, U, D order."""
    return _cached_face_rotations(torch.device(device or "cpu"), dtype).clone()


@lru_cache(maxsize=8)
def _cached_face_rotations(device: torch.device, dtype: torch.dtype | None) -> Tensor:
    axes = torch.tensor(_FACE_AXES, dtype=dtype or torch.get_default_dtype(), device=device)
    return axes.transpose(1, 2)  # rows were the columns


@lru_cache(maxsize=1)
def _cube_key() -> tuple[float, ...]:
    """Grid-cache key of the un-rotated cube, computed once from the CPU constants."""
    return _rotations_key(_cached_face_rotations(torch.device("cpu"), torch.float32))


def _cube_rotations(rotation: Tensor | None, ref: Tensor) -> Tensor:
    """(6, 3, 3) face rotations, or (B, 6, 3, 3) when a rotation is given."""
    faces = _cached_face_rotations(ref.device, torch.float32)
    if rotation is None:
        return faces
    rotation = check_rotation(rotation, ref.shape[0]).to(faces.dtype)
    return rotation.unsqueeze(1) @ faces


def equirect_to_cube(
    img: Tensor, face_size: int, rotation: Tensor | None = None, mode: str = "bilinear"
) -> Tensor:
    """Project an equirect image onto the six faces of a cube.

    Args:
        img: (B, C, H, W) equirect image, W = 2·H.
        face_size: S, the side of each face in pixels (Depth Anywhere uses H/2).
        rotation: optional (3, 3) or (B, 3, 3) rotation of the cube (per sample).
        mode: ``"bilinear"`` or ``"nearest"``.

    Returns:
        (B, 6, C, S, S) faces in F, R, B, L, U, D order (possibly a non-contiguous view).

    Example:
        >>> faces = equirect_to_cube(torch.rand(1, 3, 64, 128), 32)
        >>> faces.shape
        torch.Size([1, 6, 3, 32, 32])
    """
    img = check_equirect(img)
    check_positive_int(face_size, "face_size")
    check_choice(mode, SAMPLING_MODES, "mode")
    rotations = _cube_rotations(rotation, img)
    if rotations.ndim == 3:
        rotations = rotations.unsqueeze(0)
    key = _cube_key() if rotation is None else None
    return _equirect_to_views(img, rotations, 90.0, (face_size, face_size), mode, key)


def cube_to_equirect(
    faces: Tensor,
    height: int,
    width: int,
    mode: str = "bilinear",
    rotation: Tensor | None = None,
) -> Tensor:
    """Stitch six cube faces back into an equirect image (inverse of :func:`equirect_to_cube`).

    Bilinear samples next to a face border use the neighbouring face's pixels, so the seams
    between faces do not show.

    Args:
        faces: (B, 6, C, S, S) faces in F, R, B, L, U, D order.
        height, width: output size, width = 2·height.
        mode: ``"bilinear"`` or ``"nearest"``.
        rotation: the rotation the faces were taken with (as in :func:`equirect_to_cube`).

    Returns:
        (B, C, H, W) equirect image.
    """
    faces = _check_cube(faces)
    check_choice(mode, SAMPLING_MODES, "mode")
    height, width = check_equirect_size(height, width)
    rotations = _cube_rotations(rotation, faces)
    if rotations.ndim == 3:
        rotations = rotations.unsqueeze(0)
    key = _cube_key() if rotation is None else None
    img, _ = _views_to_equirect(faces, rotations, 90.0, height, width, mode, key)
    return img


def _check_cube(faces: object, name: str = "faces") -> Tensor:
    """Check a stacked cube (B, 6, C, S, S) of floating faces. Debug checks only: finite."""
    return _check_views(faces, name, ("B", "6", "C", "S", "S"))
