"""Cube seam measure: does a prediction jump across the borders of the cube faces?

A student trained on per-face pseudo labels without random rotations can learn the fixed
cube layout and leave visible seams where the faces meet. This module measures that, as
the error of the predicted log-depth *change* across the face borders of the un-rotated
cube, relative to the same error across borders that mean nothing to the student.

Definition (per image; pairs of equirect pixels p, q that are horizontal neighbours,
``(v, u)–(v, u+1 mod W)`` — the ±180° seam wraps — or vertical ones, ``(v, u)–(v+1, u)``):

    e(p, q) = |(log d̂_p − log d̂_q) − (log g_p − log g_q)|

with d̂ the prediction as depth (after :func:`~panodepth.metrics.align`, ``"median"`` by
default) and g the GT range; a pair counts when both pixels are valid (GT mask, d̂ > 0).

    seam     mean of e over pairs whose pixels lie on different faces of the un-rotated cube
             (face = argmax over the six face axes of ``axis · ray``, the axes of
             :func:`panodepth.geometry.face_rotations`, F R B L U D);
    control  mean of e over pairs straddling the face borders of a cube rotated by fixed
             off-axis rotations (default :data:`CONTROL_ANGLES`: four, the first yaw 45°,
             pitch 30°; a pair counts once) and *not* straddling an un-rotated border:
             places that are ordinary pixels to a student trained with the un-rotated cube;
    ratio    seam / control: ≈ 1 when the prediction is no worse at the face borders than
             at other, comparable places; > 1 means visible seams.

Conventions and choices:
    * Log differences make the measure invariant to a global scale, so ``"median"``
      alignment does not change it; it is there so that disparity predictions go through
      the project's explicit alignment (``pred_kind="disparity"``: depth = 1/d), and
      ``align_mode="lsq_disparity"`` removes an affine-invariant student's disparity shift.
    * Only pairs within ``|lat| ≤ max_lat_deg`` (default 50°, both pixels) count, for the
      seam and the control alike: every un-rotated border lies within |lat| ≤ 45°, while the
      rotated cube has borders near the poles, where horizontal neighbours are much closer
      on the sphere (cos lat) and a smooth error changes less between them. The band keeps
      the two pair sets comparable. Several control cubes (rather than one) sample more
      places, which lowers the variance of the control: over random smooth log-error
      fields the ratio averages 1.00 (per-image spread ± 0.2 at 64×128: the seam pairs are
      only a few hundred at fixed places, so judge it over a test set, not one image).
    * Statistics pool over pairs: :func:`seam_statistics` returns per-image sums and counts
      and :func:`seam_summary` pools any number of them (a dataset), so images with more
      valid pairs weigh more; an image or dataset without pairs gives NaN.

Everything is a pure tensor function, on the inputs' device.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor

from ..checks import check_batch_mask, check_choice, check_pred_gt
from ..geometry import equirect_lonlat, equirect_rays, face_rotations, rotation_matrix
from .align import ALIGN_MODES, PRED_KINDS, align

CONTROL_ANGLES: tuple[tuple[float, float, float], ...] = (
    (45.0, 30.0, 0.0),
    (20.0, -25.0, 40.0),
    (-30.0, 35.0, -20.0),
    (60.0, -40.0, 15.0),
)
"""(yaw, pitch, roll) in degrees of the control cubes (see :mod:`panodepth.geometry.rotation`)."""

STAT_NAMES: tuple[str, ...] = ("seam_sum", "seam_pairs", "control_sum", "control_pairs")
"""Columns of :func:`seam_statistics`."""


def control_rotations(
    device: torch.device | str | None = None, dtype: torch.dtype = torch.float64
) -> Tensor:
    """(M, 3, 3) rotations of the control cubes (:data:`CONTROL_ANGLES`)."""
    angles = torch.tensor(CONTROL_ANGLES, device=device, dtype=dtype).deg2rad()
    return rotation_matrix(*angles.unbind(-1))


def cube_face_index(
    height: int,
    width: int,
    rotation: Tensor | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    """Which cube face every equirect pixel centre's ray falls on.

    Args:
        height, width: equirect size (W = 2·H).
        rotation: optional (3, 3) camera-to-world rotation of the cube (as in
            :func:`~panodepth.geometry.equirect_to_cube`); ``None`` = the un-rotated cube.

    Returns:
        (H, W) int64 face indices, 0…5 = F, R, B, L, U, D.

    Example:
        >>> faces = cube_face_index(4, 8)
        >>> faces[2].tolist()  # the row just below the horizon: B L L F F R R B
        [2, 3, 3, 0, 0, 1, 1, 2]
    """
    rays = equirect_rays(height, width, device=device, dtype=torch.float64)  # (H, W, 3)
    axes = face_rotations(device, torch.float64)[:, :, 2]  # (6, 3) forward axis of each face
    if rotation is not None:
        axes = axes @ rotation.to(device=rays.device, dtype=torch.float64).T  # R @ axis
    return (rays @ axes.T).argmax(-1)


def border_pairs(faces: Tensor) -> tuple[Tensor, Tensor]:
    """Neighbour pairs that straddle a face border of a (H, W) face-index map.

    Returns:
        ``(horizontal, vertical)``: (H, W) bool, True where pixel (v, u) and (v, u+1 mod W)
        lie on different faces; (H−1, W) bool, the same for (v, u) and (v+1, u).
    """
    return faces != faces.roll(-1, -1), faces[1:] != faces[:-1]


def seam_statistics(
    pred: Tensor,
    gt: Tensor,
    valid: Tensor | None = None,
    *,
    pred_kind: str = "depth",
    align_mode: str = "median",
    control: Tensor | None = None,
    max_lat_deg: float = 50.0,
    max_depth: float = 10.0,
) -> Tensor:
    """Per-image sums and counts of the seam and control errors (module docstring).

    Args:
        pred: (B, 1, H, W) or (B, H, W) prediction, depth or disparity (``pred_kind``).
        gt: GT range in metres, same shape; ≤ 0 = invalid.
        valid: bool mask (broadcastable); default ``gt > 0``. ANDed with ``gt > 0``.
        pred_kind: ``"depth"`` or ``"disparity"`` (turned into depth by the alignment).
        align_mode: one of :data:`~panodepth.metrics.ALIGN_MODES`.
        control: (3, 3) or (M, 3, 3) rotations of the control cube(s); default
            :func:`control_rotations`.
        max_lat_deg: only pairs with both pixels within this latitude band count.
        max_depth: passed to :func:`~panodepth.metrics.align`.

    Returns:
        (B, 4) float64: columns :data:`STAT_NAMES` = seam error sum, seam pairs, control
        error sum, control pairs.
    """
    pred, gt = check_pred_gt(pred, gt)
    check_choice(pred_kind, PRED_KINDS, "pred_kind")
    check_choice(align_mode, ALIGN_MODES, "align_mode")
    _, h, w = gt.shape
    mask = gt > 0
    if valid is not None:
        mask = mask & check_batch_mask(valid, gt.shape, "valid")
    depth = align(pred, gt, mask, align_mode, pred_kind=pred_kind, max_depth=max_depth)
    mask = mask & (depth > 0) & torch.isfinite(depth)
    one = torch.ones((), dtype=torch.float64, device=gt.device)
    r = torch.where(mask, torch.log(torch.where(mask, depth, one)), 0 * one)
    g = torch.where(mask, torch.log(torch.where(mask, gt.double(), one)), 0 * one)
    diff = r - g  # log-ratio; e(p, q) = |diff_p − diff_q|
    err_h = (diff - diff.roll(-1, -1)).abs()
    err_v = (diff[:, 1:] - diff[:, :-1]).abs()
    ok_h = mask & mask.roll(-1, -1)
    ok_v = mask[:, 1:] & mask[:, :-1]

    _, lat = equirect_lonlat(h, w, device=gt.device, dtype=torch.float64)
    band = lat.abs() <= math.radians(max_lat_deg)  # (H, W)
    ok_h = ok_h & band  # a horizontal pair shares its row
    ok_v = ok_v & band[1:] & band[:-1]

    seam_h, seam_v = border_pairs(cube_face_index(h, w, device=gt.device))
    rots = control if control is not None else control_rotations(gt.device)
    ctrl_h, ctrl_v = torch.zeros_like(seam_h), torch.zeros_like(seam_v)
    for rot in rots.reshape(-1, 3, 3):
        h_pairs, v_pairs = border_pairs(cube_face_index(h, w, rot, device=gt.device))
        ctrl_h, ctrl_v = ctrl_h | h_pairs, ctrl_v | v_pairs
    ctrl_h, ctrl_v = ctrl_h & ~seam_h, ctrl_v & ~seam_v

    def pooled(sel_h: Tensor, sel_v: Tensor) -> tuple[Tensor, Tensor]:
        sel_h, sel_v = sel_h & ok_h, sel_v & ok_v
        total = (err_h * sel_h).sum((1, 2)) + (err_v * sel_v).sum((1, 2))
        count = sel_h.sum((1, 2)) + sel_v.sum((1, 2))
        return total, count.double()

    seam_sum, seam_n = pooled(seam_h, seam_v)
    ctrl_sum, ctrl_n = pooled(ctrl_h, ctrl_v)
    return torch.stack([seam_sum, seam_n, ctrl_sum, ctrl_n], -1)


def seam_summary(stats: Tensor) -> dict[str, float]:
    """Pool (N, 4) :func:`seam_statistics` rows (e.g. ``torch.cat`` over a test set).

    Returns:
        ``{"seam", "control", "ratio", "seam_pairs", "control_pairs"}``: mean errors over all
        pairs, their ratio (NaN without pairs), and the pair counts.
    """
    if stats.ndim != 2 or stats.shape[-1] != len(STAT_NAMES):
        raise ValueError(f"stats must have shape (N, 4), got {tuple(stats.shape)}")
    seam_sum, seam_n, ctrl_sum, ctrl_n = stats.double().sum(0).tolist()
    seam = seam_sum / seam_n if seam_n else math.nan
    ctrl = ctrl_sum / ctrl_n if ctrl_n else math.nan
    ratio = seam / ctrl if ctrl > 0 else math.nan
    return {
        "seam": seam,
        "control": ctrl,
        "ratio": ratio,
        "seam_pairs": seam_n,
        "control_pairs": ctrl_n,
    }


def seam_measure(
    pred: Tensor, gt: Tensor, valid: Tensor | None = None, **options: Any
) -> dict[str, float]:
    """:func:`seam_summary` of one batch's :func:`seam_statistics` (same arguments).

    Example:
        >>> gt = torch.rand(1, 1, 32, 64) + 1
        >>> seam_measure(2 * gt, gt)["seam"]  # a global scale is no seam
        0.0
    """
    return seam_summary(seam_statistics(pred, gt, valid, **options))
