"""Predicting depth for panorama batches: working size, rotation ensembles, depth from disparity.

This module owns the tensor side of inference (files are :mod:`.api`'s and :mod:`.outputs`'
job). Its conventions:

* A *disparity network* maps (B, 3, H, 2H) RGB in [0, 1] to (B, 1, H, 2H) disparity ≥ 0,
  0 = invalid. Students with a ``"disparity"`` head and the stitched teacher
  (:class:`~.teacher_stitch.TeacherStitcher`) return **relative** disparity (one unknown
  scale, and for students an unknown shift too); students with a ``"depth"`` head are
  wrapped by :class:`StudentDisparity` as 1/metres (**metric**).
* :class:`Predictor` runs a disparity network at a working height (students need
  H % 32 == 0), optionally as a rotation ensemble, and resizes the disparity back to the
  input size bilinearly (in disparity).
* Depth is range along the ray (:mod:`panodepth.geometry.sphere`). For relative predictions
  :func:`depth_from_disparity` returns 1/disparity normalised to a median of 1 (or of
  ``median_depth`` metres when the caller knows it): the numbers are *not* metres.

Rotation ensembles (:func:`ensemble_rotations`, :func:`ensemble_disparity`): copy 0 is the
unrotated panorama; copy k is the panorama rotated by ``R_k`` (``rotate_equirect``), its
prediction is rotated back by ``R_kᵀ`` into the original frame, relative copies are aligned
to copy 0 by a least-squares scale and shift in disparity, and the copies are averaged in
disparity where each is valid, each with a weight that rises smoothly from 0 at the border of
its valid region to 1 about 2·:data:`FEATHER_DEG` inside it (:func:`feather_weights`). A
copy that is invalid somewhere (a stitched teacher's disparity ≤ 0, a pixel whose
back-rotation touched one) thus fades out instead of dropping out: a hard switch from K to
K − 1 copies would jump by (that copy − the others' mean)/K in one pixel, a hard-edged
patch wherever the copies disagree. Rotation choice:

* ``"yaw"`` (students' default): evenly spaced yaws ``k·360°/K`` plus small random pitch and
  roll (±``max_tilt_deg``, default 5°). Students are trained on upright panoramas with yaw
  augmentation, so large tilts would be out of distribution; yaw moves the image seam.
* ``"full"`` (teacher mode default): random 3-D rotations, each Euler angle in ±45° (the
  Depth Anywhere augmentation): the cube seams, corners and poles land in different places
  in every copy, so averaging removes their artefacts.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panodepth import checks
from panodepth import geometry as geo
from panodepth.losses import masked_median
from panodepth.metrics import lsq_scale_shift

EnsembleMode = Literal["yaw", "full"]
DisparityFn = Callable[[Tensor], Tensor]


class StudentDisparity(nn.Module):
    """A student as a disparity network: ``"disparity"`` heads as they are, ``"depth"`` heads
    as 1/metres (0 where the depth is ≤ 0)."""

    def __init__(self, student: nn.Module) -> None:
        super().__init__()
        self.student = student
        self.metric = getattr(student, "output", "disparity") == "depth"

    def forward(self, images: Tensor) -> Tensor:
        out = self.student(images)
        return geo.depth_to_disparity(out) if self.metric else out


def working_height(height: int, multiple: int = 32) -> int:
    """``height`` rounded down to a multiple of ``multiple``; raises if that is < ``multiple``."""
    if isinstance(height, bool) or not isinstance(height, int):
        raise TypeError(f"height must be an int, got {height!r}")
    rounded = height // multiple * multiple
    if rounded < multiple:
        raise ValueError(
            f"height must be at least {multiple} (rounded to a multiple), got {height}"
        )
    return rounded


def ensemble_rotations(
    count: int,
    mode: EnsembleMode = "yaw",
    max_tilt_deg: float = 5.0,
    max_deg: float = 45.0,
    seed: int = 0,
) -> Tensor:
    """Rotations of a K-copy ensemble, (K, 3, 3) float32, the first one the identity.

    Args:
        count: K ≥ 1.
        mode: ``"yaw"``: yaw k·360°/K with pitch and roll uniform in ±``max_tilt_deg``;
            ``"full"``: every Euler angle uniform in ±``max_deg`` (see the module docstring).
        seed: the random angles depend only on (count, mode, bounds, seed).
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"ensemble count must be a positive int, got {count!r}")
    if mode not in ("yaw", "full"):
        raise ValueError(f"ensemble mode must be 'yaw' or 'full', got {mode!r}")
    gen = torch.Generator().manual_seed(seed)
    rots = [torch.eye(3)]
    if count > 1:
        u = torch.rand(count - 1, 3, generator=gen, dtype=torch.float64) * 2 - 1
        if mode == "yaw":
            yaw = torch.arange(1, count, dtype=torch.float64) * (2 * math.pi / count)
            tilt = u[:, 1:] * math.radians(max_tilt_deg)
            angles = torch.stack((yaw, tilt[:, 0], tilt[:, 1]), -1)
        else:
            angles = u * math.radians(max_deg)
        rots += list(geo.rotation_matrix(*angles.unbind(-1)).float().unbind(0))
    return torch.stack(rots)


def align_affine(src: Tensor, ref: Tensor, mask: Tensor, weight: Tensor | None = None) -> Tensor:
    """``s·src + t`` with (s, t) per sample fitted to ``ref`` by least squares on ``mask``
    (:func:`panodepth.metrics.lsq_scale_shift`, in float64).

    Args:
        src, ref: (B, 1, H, W); mask: (B, 1, H, W) bool; weight: optional (1, 1, H, W) pixel
            weights (e.g. cos(latitude) for equal-area fits on equirect maps).

    Returns:
        (B, 1, H, W) aligned ``src``; samples with fewer than 2 common pixels, or a constant
        ``src`` there, are returned unchanged.
    """
    x, y = src.double()[:, 0], ref.double()[:, 0]
    w = None if weight is None else weight.double()[:, 0]
    scale, shift = lsq_scale_shift(x, y, mask[:, 0], w)
    ok = (mask.flatten(1).sum(1) >= 2) & (scale != 0)  # scale 0: a constant src (no fit)
    s = torch.where(ok, scale, torch.ones_like(scale))
    t = torch.where(ok, shift, torch.zeros_like(shift))
    return (s.view(-1, 1, 1, 1) * src.double() + t.view(-1, 1, 1, 1)).to(src.dtype)


def _latitude_weight(height: int, width: int, ref: Tensor) -> Tensor:
    lat = geo.equirect_lonlat(height, width, device=ref.device, dtype=torch.float64)[1]
    return torch.cos(lat).clamp_min(0)[None, None]


FEATHER_DEG = 5.0
"""Half the width (degrees) of the band inside each ensemble copy's valid region over which
its weight rises from 0 to 1 (:func:`feather_weights`)."""


def feather_weights(valid: Tensor, radius: int, floor: float = 1e-3) -> Tensor:
    """Blending weights of a (B, 1, H, W) equirect validity mask: 0 where invalid, rising
    linearly from the border of the valid region to 1 at ``2·radius + 1`` pixels inside it
    (the mask eroded by ``radius`` pixels, then box-averaged over the same radius; the seam
    wraps and the poles are crossed), never below ``floor`` on a valid pixel (slivers
    narrower than the ramp). Masks without an invalid pixel weigh 1 everywhere."""
    weight = valid.float()
    if radius < 1 or bool(valid.all()):
        return weight
    eroded = 1 - _square_pool(1 - weight, radius, F.max_pool2d)  # 0 within radius of invalid
    ramp = _square_pool(eroded, radius, F.avg_pool2d)
    return torch.where(valid, ramp.clamp_min(floor), torch.zeros_like(ramp))


def _square_pool(x: Tensor, radius: int, pool: Callable[..., Tensor]) -> Tensor:
    """``pool`` over (2·radius + 1)² windows of an equirect map (separable: rows, then
    columns), padded with its sphere neighbours: across the poles (the row above row 0 is
    row 0 on the opposite meridian) and across the seam (column −1 is column W − 1)."""
    width = x.shape[-1]
    radius = min(radius, x.shape[-2], width)
    top = x[..., :radius, :].flip(-2).roll(width // 2, -1)
    bottom = x[..., -radius:, :].flip(-2).roll(width // 2, -1)
    x = torch.cat((top, x, bottom), -2)
    x = torch.cat((x[..., -radius:], x, x[..., :radius]), -1)
    size = 2 * radius + 1
    return pool(pool(x, (1, size), stride=1), (size, 1), stride=1)


def ensemble_disparity(
    fn: DisparityFn,
    images: Tensor,
    rotations: Tensor,
    relative: bool = True,
    feather_deg: float = FEATHER_DEG,
) -> Tensor:
    """Average a disparity network over rotated copies of the panoramas.

    Args:
        fn: disparity network, (B, 3, H, W) → (B, 1, H, W) disparity ≥ 0 (0 = invalid).
        images: (B, 3, H, W) panoramas.
        rotations: (K, 3, 3) rotations, the first the identity (:func:`ensemble_rotations`).
        relative: align every copy to copy 0 by an affine fit in disparity (for relative
            predictions); metric copies are averaged as they are.
        feather_deg: each copy's weight rises from 0 at the border of its valid region to 1
            over about twice this many degrees (:func:`feather_weights`); 0 = hard 0/1
            weights.

    Returns:
        (B, 1, H, W) disparity in the frame of the input (0 where no copy is valid).
    """
    rotations = rotations.to(images.device)
    radius = max(1, round(images.shape[-2] * feather_deg / 180)) if feather_deg > 0 else 0
    first = fn(images).float()
    base_valid = first > 0
    weights = feather_weights(base_valid, radius)
    total = weights * torch.where(base_valid, first, torch.zeros_like(first))
    lat_weight = _latitude_weight(*images.shape[-2:], images) if relative else None
    for rot in rotations[1:]:
        rotated = geo.rotate_equirect(images, rot)
        disp = fn(rotated).float()
        ok = (disp > 0).float()
        back = geo.rotate_equirect(torch.cat((disp * ok, ok), 1), rot.T)
        valid = back[:, 1:] > 0.999  # no bilinear tap touched an invalid pixel
        disp = back[:, :1] / back[:, 1:].clamp_min(1e-6)
        if relative:
            disp = align_affine(disp, first, valid & base_valid, lat_weight)
        valid = valid & (disp > 0)
        feather = feather_weights(valid, radius)
        total = total + feather * torch.where(valid, disp, torch.zeros_like(disp))
        weights = weights + feather
    return torch.where(weights > 0, total / weights.clamp_min(1e-12), torch.zeros_like(total))


def depth_from_disparity(
    disparity: Tensor,
    metric: bool,
    median_depth: float | None = None,
    max_ratio: float = 100.0,
) -> tuple[Tensor, Tensor]:
    """Range depth and validity from a disparity map.

    Args:
        disparity: (B, 1, H, W) disparity, 0 = invalid.
        metric: the disparity is 1/metres; depth = 1/disparity in metres.
        median_depth: for relative disparity, the median of the valid depth (default 1, i.e.
            unit-less relative depth; a value in metres when the caller knows the scene).
            Ignored for metric predictions.
        max_ratio: relative only: pixels farther than ``max_ratio`` × the median (disparity
            below median/``max_ratio``) are invalid — a relative disparity cannot tell them
            from infinity (sky).

    Returns:
        ``(depth, valid)``: (B, 1, H, W) float32 depth (0 where invalid) and bool mask.
    """
    disp = disparity.float()
    valid = torch.isfinite(disp) & (disp > 0)
    if not metric:
        med = _median_of_valid(disp, valid)  # (B, 1, 1, 1), 1 where nothing is valid
        valid &= disp > med / max_ratio
        depth = disp / med  # the one full-size float buffer, then in place
    else:
        depth = disp.clone()
    depth.masked_fill_(~valid, 1.0).reciprocal_().masked_fill_(~valid, 0.0)
    if not metric and median_depth is not None:
        if not median_depth > 0:
            raise ValueError(f"median_depth must be positive, got {median_depth!r}")
        depth.mul_(float(median_depth))
    return depth, valid


MEDIAN_SAMPLES = 1 << 22
"""Maps with more pixels take their median from this many evenly spaced pixels (a sort of
every pixel of a 16384×8192 map needs ~1.6 GB; the subsample's median is within ~0.1 %)."""


def _median_of_valid(disp: Tensor, valid: Tensor) -> Tensor:
    """(B, 1, 1, 1) lower median of each map's valid values (1 where none is valid)."""
    b = disp.shape[0]
    flat, ok = disp.reshape(b, -1), valid.reshape(b, -1)
    if flat.shape[1] > MEDIAN_SAMPLES:
        from panodepth.viz import evenly_spaced

        keep = evenly_spaced(flat.shape[1], MEDIAN_SAMPLES)
        flat, ok = flat[:, keep], ok[:, keep]
    med = masked_median(flat, ok)  # (B,), 0 if none valid
    return torch.where(med > 0, med, torch.ones_like(med)).view(-1, 1, 1, 1)


class Predictor:
    """A disparity network with its inference settings; call it on panorama batches.

    Args:
        network: disparity network (see the module docstring), e.g.
            ``StudentDisparity(load_student(path))`` or ``TeacherStitcher(teacher)``.
        metric: whether ``network`` returns 1/metres (True) or relative disparity.
        height: working height; panoramas are resized to height × 2·height for the network.
        multiple: the working height is rounded down to a multiple of this (32 for students).
        ensemble: number of rotated copies (1 = plain prediction).
        ensemble_mode: ``"yaw"`` or ``"full"`` (see :func:`ensemble_rotations`).
        batch_size: panoramas per forward pass (bounds memory, not the result).
        device: where the network runs; inputs are moved there and results come back on the
            inputs' device.
        seed: seed of the ensemble rotations.
        name: what the predictor is (written to sidecars), e.g. the checkpoint path.
        mode: ``"student"``, ``"teacher"`` or anything descriptive (written to sidecars).

    Example:
        >>> predictor = Predictor.from_student("unifuse.safetensors", height=512)  # doctest: +SKIP
        >>> depth = predictor(panoramas)  # (B, 3, H, 2H) → (B, 1, H, 2H)  # doctest: +SKIP
    """

    def __init__(
        self,
        network: nn.Module,
        metric: bool,
        height: int = 512,
        multiple: int = 32,
        ensemble: int = 1,
        ensemble_mode: EnsembleMode = "yaw",
        batch_size: int = 1,
        device: torch.device | str = "cpu",
        seed: int = 0,
        name: str = "",
        max_tilt_deg: float = 5.0,
        mode: str = "custom",
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.device = torch.device(device)
        self.network = network.to(self.device).eval()
        self.metric = bool(metric)
        self.height = working_height(height, multiple)
        self.ensemble = ensemble
        self.ensemble_mode = ensemble_mode
        self.batch_size = batch_size
        self.name = name
        self.mode = mode
        self.rotations = ensemble_rotations(ensemble, ensemble_mode, max_tilt_deg, seed=seed)

    @classmethod
    def from_student(cls, student: nn.Module | str, **kwargs: object) -> Predictor:
        """A predictor for a student module or a student checkpoint path (``load_student``:
        student files, pretrained folders and hub ids, Lightning checkpoints, released ``.pth``
        files and names). It runs an
        inference copy of the student (:func:`~panodepth.models.inference.prepare_for_inference`:
        BatchNorm folded, channels-last weights; the caller's module is left as it is)."""
        from panodepth.models.inference import prepare_for_inference

        name = ""
        if not isinstance(student, nn.Module):
            from panodepth.io.students import load_student  # no Lightning on this path

            name = str(student)
            student = prepare_for_inference(load_student(student), copy=False)
        else:
            student = prepare_for_inference(student)
        kwargs.setdefault("name", name or type(student).__name__)
        kwargs.setdefault("mode", "student")
        network = StudentDisparity(student)
        predictor = cls(network, metric=network.metric, **kwargs)  # type: ignore[arg-type]
        low = getattr(student, "min_height", 32)
        if predictor.height < low:
            raise ValueError(f"{predictor.name} runs at a height of at least {low}, got "
                             f"{predictor.height} (set a larger height)")  # fmt: skip
        return predictor

    @classmethod
    def from_teacher(
        cls,
        teacher: nn.Module | str,
        fov_deg: float = 110.0,
        face_size: int | None = None,
        teacher_options: dict | None = None,
        **kwargs: object,
    ) -> Predictor:
        """A teacher-mode predictor (relative): ``teacher`` is a Teacher or a name/hub id/dir
        for :func:`~panodepth.teachers.build_teacher`; ensembles default to ``"full"``."""
        from .teacher_stitch import TeacherStitcher

        name = ""
        if not isinstance(teacher, nn.Module):
            from panodepth.teachers import build_teacher

            name = str(teacher)
            options = {"device": kwargs.get("device", "cpu"), **(teacher_options or {})}
            teacher = build_teacher(teacher, **options)
        kwargs.setdefault("name", name or type(teacher).__name__)
        kwargs.setdefault("ensemble_mode", "full")
        kwargs.setdefault("multiple", 1)
        kwargs.setdefault("mode", "teacher")
        network = TeacherStitcher(teacher, fov_deg=fov_deg, face_size=face_size)
        return cls(network, metric=False, **kwargs)  # type: ignore[arg-type]

    @property
    def kind(self) -> str:
        """``"metric"`` or ``"relative"``."""
        return "metric" if self.metric else "relative"

    def disparity(self, images: Tensor) -> Tensor:
        """(B, 3, H, W) panoramas (W = 2·H, RGB in [0, 1]) → (B, 1, H, W) disparity at the input
        size (1/metres when :attr:`metric`, else relative), 0 = invalid."""
        if images.ndim != 4 or images.shape[1] != 3 or images.shape[-1] != 2 * images.shape[-2]:
            raise ValueError(f"images must have shape (B, 3, H, 2·H), got {tuple(images.shape)}")
        # a user-facing boundary: the values are checked here, once per call
        checks.check_in_range(images, 0.0, 1.0, "images (RGB in [0, 1])")
        out_device, (height, width) = images.device, images.shape[-2:]
        chunks = []
        with torch.inference_mode():
            for chunk in images.split(self.batch_size):
                x = chunk.to(self.device, torch.float32)
                if x.shape[-2] != self.height:
                    x = F.interpolate(
                        x, size=(self.height, 2 * self.height), mode="bilinear",
                        antialias=True, align_corners=False,
                    ).clamp_(0, 1)  # fmt: skip
                if self.ensemble > 1:
                    disp = ensemble_disparity(self.network, x, self.rotations, not self.metric)
                else:
                    disp = self.network(x).float()
                disp = torch.where(torch.isfinite(disp) & (disp > 0), disp, torch.zeros_like(disp))
                chunks.append(resize_disparity(disp, height, width).to(out_device))
        return torch.cat(chunks)

    def __call__(self, images: Tensor, median_depth: float | None = None) -> Tensor:
        """(B, 3, H, W) panoramas → (B, 1, H, W) range depth: metres for metric predictors,
        else relative depth with median 1 (or ``median_depth``); 0 = invalid."""
        return depth_from_disparity(self.disparity(images), self.metric, median_depth)[0]


def resize_disparity(disparity: Tensor, height: int, width: int) -> Tensor:
    """Bilinear resize of a (B, 1, h, w) disparity map that keeps invalid (0) pixels out.

    Values are averaged over valid neighbours only; pixels with less than half of their
    bilinear weight on valid pixels become invalid (0).
    """
    if disparity.shape[-2:] == (height, width):
        return disparity
    ok = (disparity > 0).float()
    size = (height, width)
    num = F.interpolate(disparity * ok, size=size, mode="bilinear", align_corners=False)
    den = F.interpolate(ok, size=size, mode="bilinear", align_corners=False)
    # in place: at 16384×8192 each full-size temporary is 0.5 GB
    low = den <= 0.5
    num.div_(den.clamp_min_(1e-6))
    del den
    return num.masked_fill_(low, 0.0)
