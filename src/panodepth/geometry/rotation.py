"""Rotations of the camera frame: Euler angles to matrices, random rotations.

Convention (frame of :mod:`panodepth.geometry.sphere`: x right, y down, z forward):
    A rotation ``R`` is camera-to-world: a camera rotated by ``R`` sees, along its own ray
    ``d``, the world direction ``R @ d``. Rotating a panorama by ``R``
    (:func:`~panodepth.geometry.equirect.rotate_equirect`) therefore samples the input at
    ``R @ d`` for every output ray ``d``; rotating by ``R`` and then by ``Rᵀ`` is the identity.

    ``rotation_matrix(yaw, pitch, roll) = R_y(yaw) @ R_x(pitch) @ R_z(roll)`` (radians):
      * yaw > 0 turns the view to the right (forward moves towards +x, longitude +yaw);
      * pitch > 0 tilts the view up (forward moves towards −y, latitude +pitch);
      * roll > 0 turns the view clockwise about the forward axis as seen by the camera
        (its right vector moves down).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..checks import ArgumentError, check_positive_int


def rotation_matrix(yaw: Tensor | float, pitch: Tensor | float, roll: Tensor | float) -> Tensor:
    """Rotation matrices from Euler angles in radians (see the module convention).

    Args:
        yaw, pitch, roll: (*) angles in radians, broadcast against each other; floats allowed.

    Returns:
        (*, 3, 3) rotation matrices, on the device/dtype of the first tensor argument.

    Example:
        >>> R = rotation_matrix(math.pi / 2, 0.0, 0.0)
        >>> (R @ torch.tensor([0.0, 0.0, 1.0])).round(decimals=6) + 0.0  # forward → right
        tensor([1., 0., 0.])
    """
    ref = next((a for a in (yaw, pitch, roll) if isinstance(a, Tensor)), None)
    kwargs = {"device": ref.device, "dtype": ref.dtype} if ref is not None else {}
    if ref is not None and not ref.is_floating_point():
        kwargs["dtype"] = torch.get_default_dtype()
    yaw, pitch, roll = torch.broadcast_tensors(
        *(torch.as_tensor(a, **kwargs) for a in (yaw, pitch, roll))
    )
    cy, sy = torch.cos(yaw), torch.sin(yaw)
    cp, sp = torch.cos(pitch), torch.sin(pitch)
    cr, sr = torch.cos(roll), torch.sin(roll)
    one, zero = torch.ones_like(yaw), torch.zeros_like(yaw)
    r_yaw = _stack3x3(cy, zero, sy, zero, one, zero, -sy, zero, cy)
    r_pitch = _stack3x3(one, zero, zero, zero, cp, -sp, zero, sp, cp)
    r_roll = _stack3x3(cr, -sr, zero, sr, cr, zero, zero, zero, one)
    return r_yaw @ r_pitch @ r_roll


def _stack3x3(*entries: Tensor) -> Tensor:
    return torch.stack(entries, -1).unflatten(-1, (3, 3))


def random_rotation(
    batch: int,
    max_deg: float = 45.0,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Random rotations with each Euler angle uniform in [−max_deg, max_deg) degrees.

    This is Depth Anywhere's augmentation for the teacher's view (±45° per axis).

    Args:
        batch: number of rotations.
        max_deg: bound of each angle, in degrees (0 gives identities).
        generator: optional ``torch.Generator`` for reproducibility (on ``device``).

    Returns:
        (batch, 3, 3) rotation matrices.
    """
    check_positive_int(batch, "batch")
    if not 0.0 <= float(max_deg) <= 180.0:
        raise ArgumentError(f"max_deg must be in [0, 180], got {max_deg!r}")
    dtype = dtype or torch.get_default_dtype()
    u = torch.rand(batch, 3, generator=generator, device=device, dtype=dtype)
    angles = (2 * u - 1) * math.radians(max_deg)
    return rotation_matrix(*angles.unbind(-1))
