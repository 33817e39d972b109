"""Tangent images: pinhole views centred on the faces of a subdivided icosahedron.

The paper's alternative to the cube projection (Depth Anywhere, Table 8). Level 0 has the
20 faces of the icosahedron, each further level splits every face into 4 (20·4^level views).

Conventions:
    * view k looks at the (normalised) centre of face k; its "down" vector is the world's
      down (+y) made orthogonal to the view axis, so tangent images are upright;
    * the default field of view of a level covers the whole spherical triangle of every face
      (2 × the largest centre-to-vertex angle) plus ``margin``; with it, stitching back
      (nearest face centre wins) covers every equirect pixel;
    * shapes: (B, N, C, S, S) for N views of size S, in the order of :func:`icosahedron`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
from torch import Tensor

from ..checks import (
    ArgumentError,
    ShapeError,
    check_choice,
    check_equirect,
    check_equirect_size,
    check_fov,
    check_positive_int,
)
from .perspective import _check_views, _equirect_to_views, _rotations_key, _views_to_equirect
from .sampling import SAMPLING_MODES

_PHI = (1 + math.sqrt(5)) / 2
_ICO_VERTICES = [
    (-1, _PHI, 0), (1, _PHI, 0), (-1, -_PHI, 0), (1, -_PHI, 0),
    (0, -1, _PHI), (0, 1, _PHI), (0, -1, -_PHI), (0, 1, -_PHI),
    (_PHI, 0, -1), (_PHI, 0, 1), (-_PHI, 0, -1), (-_PHI, 0, 1),
]  # fmt: skip
_ICO_FACES = [
    (0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11),
    (1, 5, 9), (5, 11, 4), (11, 10, 2), (10, 7, 6), (7, 1, 8),
    (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8), (3, 8, 9),
    (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1),
]  # fmt: skip


def _check_level(level: int) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 4:
        raise ArgumentError(f"level must be an integer in [0, 4], got {level!r}")
    return level


def icosahedron(level: int = 0) -> tuple[Tensor, Tensor]:
    """Unit vertices (V, 3) float64 and faces (F, 3) int64 of a subdivided icosahedron."""
    verts, faces = _cached_icosahedron(_check_level(level))
    return verts.clone(), faces.clone()


@lru_cache(maxsize=8)
def _cached_icosahedron(level: int) -> tuple[Tensor, Tensor]:
    verts = [tuple(v / math.sqrt(1 + _PHI**2) for v in p) for p in _ICO_VERTICES]
    faces = list(_ICO_FACES)
    for _ in range(level):
        midpoint: dict[tuple[int, int], int] = {}
        new_faces = []
        for a, b, c in faces:
            ab, bc, ca = (_midpoint(verts, midpoint, i, j) for i, j in ((a, b), (b, c), (c, a)))
            new_faces += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = new_faces
    return torch.tensor(verts, dtype=torch.float64), torch.tensor(faces, dtype=torch.int64)


def _midpoint(verts: list, cache: dict[tuple[int, int], int], a: int, b: int) -> int:
    """Index of the (normalised) midpoint of edge ab, appended to ``verts`` on first use."""
    key = (min(a, b), max(a, b))
    if key not in cache:
        p = [(x + y) / 2 for x, y in zip(verts[a], verts[b], strict=True)]
        n = math.sqrt(sum(x * x for x in p))
        verts.append(tuple(x / n for x in p))
        cache[key] = len(verts) - 1
    return cache[key]


def tangent_rotations(level: int = 0) -> Tensor:
    """Camera-to-world rotations (N, 3, 3) of the tangent views, float64."""
    verts, faces = _cached_icosahedron(_check_level(level))
    forward = torch.nn.functional.normalize(verts[faces].mean(1), dim=-1)
    down_ref = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64).expand_as(forward)
    near_pole = forward[:, 1].abs() > 0.999
    down_ref = torch.where(near_pole[:, None], torch.tensor([0.0, 0.0, 1.0]).double(), down_ref)
    right = torch.nn.functional.normalize(torch.linalg.cross(down_ref, forward), dim=-1)
    down = torch.linalg.cross(forward, right)
    return torch.stack((right, down, forward), -1)


def tangent_fov(level: int = 0, margin: float = 0.05) -> float:
    """Field of view (degrees) that covers every face's spherical triangle, plus ``margin``."""
    theta = _max_centre_angle(_check_level(level))
    return min(math.degrees(2 * theta) * (1 + margin), 179.0)


@lru_cache(maxsize=8)
def _max_centre_angle(level: int) -> float:
    """Largest angle (radians) between a face centre and one of its vertices (CPU, once)."""
    verts, faces = _cached_icosahedron(level)
    centres = torch.nn.functional.normalize(verts[faces].mean(1), dim=-1)
    cos = (verts[faces] * centres[:, None]).sum(-1).clamp(-1, 1)
    return torch.arccos(cos).max().item()


def equirect_to_tangent(
    img: Tensor,
    level: int = 0,
    face_size: int = 128,
    fov_deg: float | None = None,
    mode: str = "bilinear",
) -> Tensor:
    """Tangent images of an equirect image.

    Args:
        img: (B, C, H, W) equirect image, W = 2·H.
        level: icosahedron subdivision level (0 → 20 views, 1 → 80, ...).
        face_size: side S of each tangent image.
        fov_deg: field of view of each view; default :func:`tangent_fov` of the level.

    Returns:
        (B, 20·4^level, C, S, S) tangent images.
    """
    img = check_equirect(img)
    check_choice(mode, SAMPLING_MODES, "mode")
    check_positive_int(face_size, "face_size")
    fov = check_fov(tangent_fov(_check_level(level)) if fov_deg is None else fov_deg)
    rotations = _cached_tangent_rotations(level, img.device).unsqueeze(0)
    return _equirect_to_views(img, rotations, fov, (face_size, face_size), mode, _key(level))


def tangent_to_equirect(
    tangents: Tensor,
    height: int,
    width: int,
    level: int = 0,
    fov_deg: float | None = None,
    mode: str = "bilinear",
) -> Tensor:
    """Stitch tangent images back into an equirect image (nearest face centre wins).

    Args:
        tangents: (B, N, C, S, S) with N = 20·4^level, as made by :func:`equirect_to_tangent`.
        height, width: output size, width = 2·height.

    Returns:
        (B, C, H, W) equirect image.
    """
    tangents = _check_views(tangents, "tangents")
    check_choice(mode, SAMPLING_MODES, "mode")
    height, width = check_equirect_size(height, width)
    n = 20 * 4 ** _check_level(level)
    if tangents.shape[1] != n:
        raise ShapeError(
            f"level {level} has {n} tangent images, got {tangents.shape[1]} (shape "
            f"{tuple(tangents.shape)})"
        )
    fov = check_fov(tangent_fov(level) if fov_deg is None else fov_deg)
    rotations = _cached_tangent_rotations(level, tangents.device).unsqueeze(0)
    img, _ = _views_to_equirect(tangents, rotations, fov, height, width, mode, _key(level))
    return img


@lru_cache(maxsize=8)
def _cached_tangent_rotations(level: int, device: torch.device) -> Tensor:
    return tangent_rotations(level).to(device, torch.float32)


@lru_cache(maxsize=8)
def _key(level: int) -> tuple[float, ...]:
    """Grid-cache key of a level's views, computed once from the CPU rotations."""
    return _rotations_key(tangent_rotations(level).float())
