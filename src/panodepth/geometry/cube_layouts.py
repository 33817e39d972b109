"""Converters between the stacked cube (B, 6, C, S, S) and py360convert's layouts.

Layouts (faces keep their orientation from :mod:`panodepth.geometry.cube` in all of them):
    * ``horizon``: (B, C, S, 6·S), faces side by side in F, R, B, L, U, D order;
    * ``dice``: (B, C, 3·S, 4·S) cross, zeros outside the faces::

              U
          L   F   R   B
              D

    * ``list``: six (B, C, S, S) tensors in F, R, B, L, U, D order;
    * ``dict``: ``{"F": ..., "R": ..., "B": ..., "L": ..., "U": ..., "D": ...}``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..checks import (
    ArgumentError,
    ShapeError,
    check_finite,
    check_tensor,
    debug_checks_enabled,
)
from .cube import FACE_NAMES, _check_cube

# (column, row) of each face in the dice, in F, R, B, L, U, D order
_DICE_CELLS = ((1, 1), (2, 1), (3, 1), (0, 1), (1, 0), (1, 2))


def _check_layout(x: object, name: str) -> Tensor:
    x = check_tensor(x, name, ndim=4)
    if debug_checks_enabled():
        check_finite(x, name)
    return x


def cube_to_horizon(faces: Tensor) -> Tensor:
    """(B, 6, C, S, S) → (B, C, S, 6·S)."""
    b, _, c, s, _ = _check_cube(faces).shape
    return faces.permute(0, 2, 3, 1, 4).reshape(b, c, s, 6 * s)


def horizon_to_cube(horizon: Tensor) -> Tensor:
    """(B, C, S, 6·S) → (B, 6, C, S, S)."""
    horizon = _check_layout(horizon, "horizon")
    b, c, s, w = horizon.shape
    if w != 6 * s:
        raise ShapeError(f"horizon must have shape (B, C, S, 6·S), got {tuple(horizon.shape)}")
    return horizon.reshape(b, c, s, 6, s).permute(0, 3, 1, 2, 4)


def cube_to_dice(faces: Tensor) -> Tensor:
    """(B, 6, C, S, S) → (B, C, 3·S, 4·S) cross layout."""
    b, _, c, s, _ = _check_cube(faces).shape
    dice = faces.new_zeros(b, c, 3 * s, 4 * s)
    for k, (col, row) in enumerate(_DICE_CELLS):
        dice[:, :, row * s : (row + 1) * s, col * s : (col + 1) * s] = faces[:, k]
    return dice


def dice_to_cube(dice: Tensor) -> Tensor:
    """(B, C, 3·S, 4·S) cross layout → (B, 6, C, S, S)."""
    dice = _check_layout(dice, "dice")
    h, w = dice.shape[-2:]
    if h % 3 or w != 4 * (h // 3):
        raise ShapeError(f"dice must have shape (B, C, 3·S, 4·S), got {tuple(dice.shape)}")
    s = h // 3
    return torch.stack(
        [dice[:, :, r * s : (r + 1) * s, c * s : (c + 1) * s] for c, r in _DICE_CELLS], 1
    )


def cube_to_list(faces: Tensor) -> list[Tensor]:
    """(B, 6, C, S, S) → six (B, C, S, S) tensors."""
    return list(_check_cube(faces).unbind(1))


def list_to_cube(faces: list[Tensor]) -> Tensor:
    """Six (B, C, S, S) tensors → (B, 6, C, S, S)."""
    if len(faces) != 6:
        raise ArgumentError(f"a cube needs 6 faces, got {len(faces)}")
    shapes = {tuple(f.shape) for f in faces}
    if len(shapes) != 1:
        raise ShapeError(f"all faces must have the same shape, got {sorted(shapes)}")
    return _check_cube(torch.stack(faces, 1))


def cube_to_dict(faces: Tensor) -> dict[str, Tensor]:
    """(B, 6, C, S, S) → ``{"F": (B, C, S, S), ...}``."""
    return dict(zip(FACE_NAMES, cube_to_list(faces), strict=True))


def dict_to_cube(faces: dict[str, Tensor]) -> Tensor:
    """``{"F": ..., ...}`` → (B, 6, C, S, S)."""
    missing = [k for k in FACE_NAMES if k not in faces]
    if missing:
        raise ArgumentError(f"cube dict is missing faces {missing}; expected keys {FACE_NAMES}")
    return list_to_cube([faces[k] for k in FACE_NAMES])
