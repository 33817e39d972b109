"""A *simulated* teacher: ground truth made to look like a foundation model's face output.

**This is a controlled stand-in, not a model.** It exists to check the mechanics of the
Depth Anywhere recipe (rotations, per-face labels, masks, the per-face loss, caching) on
synthetic panoramas whose ground truth is known, without training or downloading a real
perspective teacher. Results obtained with it say how well the *recipe* transfers a given
label quality to a 360° student; they say nothing about any real teacher.

What it returns for a batch of panoramas with ground-truth range depth:

1. the **true planar disparity** of every view (cube face by default) under the sample's
   rotation — exactly the student-to-face chain of :func:`~.projection.student_to_faces`
   applied to the GT disparity 1/range, so a perfect student would match it pixel for pixel;
2. **validity** from the GT: the GT validity (range > 0, optionally AND a region mask, e.g.
   the synthetic watermark labels) is sampled into the views bilinearly and a view pixel is
   valid only where that share is ≥ ``min_coverage`` (default 0.999) — sky becomes invalid
   in the labels, as a sky masker would make it;
3. degraded, in this order, by
     * a **Gaussian blur** of ``blur_sigma`` face pixels (validity-normalised: invalid pixels
       do not bleed into valid ones) — the teacher's limited resolution / smooth edges,
     * **multiplicative noise** ``d · (1 + noise · ε)`` and **additive noise**
       ``additive_noise · median(d) · ε'`` (ε, ε' ~ N(0, 1) per pixel, the additive part in
       units of each face's median disparity),
     * a **random per-face affine** ``scale · d + shift · median(d)`` with
       ``log scale ~ U(−log s, log s)`` for ``scale_range = s`` and ``shift ~ U(0, shift_max)``
       — the unknown per-face scale and shift of a relative-depth teacher.

Where the difficulty comes from: the per-face affine is **invisible to the median/MAD
affine-invariant loss** (it normalises every face on its own, so any positive scale and
shift cancel exactly), so it does not make the labels any harder for the recipe; it is there
to catch code that (wrongly) stitches faces or compares them across faces without per-face
alignment. The labels' difficulty for training comes from the blur and the noise only
(``blur_sigma=0, noise=0, additive_noise=0`` gives labels the loss cannot tell from GT).
For scale: :func:`~.pseudo_labels.pseudo_label_loss` of the exact GT disparity against these
labels (±45° rotations, 64×128 panoramas of the synthetic domains) is 0 for clean labels,
≈ 0.03–0.05 with ``blur_sigma=1`` alone, ≈ 0.14–0.21 with the defaults (blur 1, noise 0.05)
and ≈ 0.29–0.39 with blur 2, noise 0.1.

Disparities stay ≥ 0 (noisy values are clamped to a small positive floor on valid pixels);
invalid pixels hold 0, as in :class:`~.pseudo_labels.PseudoLabels`. Randomness comes only
from the ``torch.Generator`` passed in (same generator state → same labels).

The degradations are one record, :class:`SimulationParams`, shared by
:func:`simulated_pseudo_labels`, the cache and the demo's configuration.
:class:`SimulatedSource` is the simulated teacher as a :class:`~.pseudo_labels.LabelSource`:
:func:`~.cache.precompute_pseudo_labels` writes its labels of a labeled dataset in the cache
format, which :class:`~.cache.CachedPseudoLabels` reads for the same panoramas as an
unlabeled dataset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from .projection import FaceProjection, panorama_to_faces, student_to_faces
from .pseudo_labels import PseudoLabels

MIN_DISPARITY = 1e-6  # floor of noisy disparities on valid pixels (labels stay > 0 there)


@dataclass(frozen=True)
class SimulationParams:
    """The simulated teacher's degradations and validity rules (module docstring).

    Args:
        blur_sigma: Gaussian blur, standard deviation in face pixels (0 = none).
        noise: standard deviation of the multiplicative noise (0.05 = 5 % per pixel).
        additive_noise: standard deviation of the additive noise, in units of each face's
            median disparity.
        scale_range: per-face scale drawn log-uniformly in [1/scale_range, scale_range]
            (1 = no scaling).
        shift_max: per-face shift drawn uniformly in [0, shift_max] · median face disparity.
        min_coverage: a view pixel is valid where the bilinearly sampled GT validity is
            at least this (so no invalid GT pixel leaks into it).
        min_valid: ``keep`` is False for panoramas with a smaller share of valid view pixels
            (Depth Anywhere drops images with < 20 % valid pixels).
        use_region_mask: :class:`SimulatedSource` ANDs the samples' ``"region_valid"``
            (watermark / sky labels) into the validity, as a masker would.
    """

    blur_sigma: float = 1.0
    noise: float = 0.05
    additive_noise: float = 0.0
    scale_range: float = 2.0
    shift_max: float = 0.5
    min_coverage: float = 0.999
    min_valid: float = 0.2
    use_region_mask: bool = True

    def __post_init__(self) -> None:
        for name in ("blur_sigma", "noise", "additive_noise", "shift_max"):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"{name} must be ≥ 0, got {value!r}")
        if not self.scale_range >= 1:
            raise ValueError(f"scale_range must be ≥ 1, got {self.scale_range!r}")
        for name in ("min_coverage", "min_valid"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")

    @property
    def name(self) -> str:
        """The teacher name stored in cache metadata, e.g. ``"simulated(blur=1.0, noise=0.05)"``
        (other fields are listed when they differ from their defaults)."""
        extra = "".join(
            f", {f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if f.name not in ("blur_sigma", "noise") and getattr(self, f.name) != f.default
        )
        return f"simulated(blur={self.blur_sigma}, noise={self.noise}{extra})"


def simulated_pseudo_labels(
    depth: Tensor,
    rotation: Tensor,
    projection: FaceProjection | None = None,
    *,
    region_valid: Tensor | None = None,
    params: SimulationParams | None = None,
    generator: torch.Generator | None = None,
) -> PseudoLabels:
    """Simulated-teacher pseudo labels of panoramas with GT range depth (module docstring).

    Args:
        depth: (B, 1, H, W) GT range in metres, 0 (or non-finite) = invalid (e.g. sky).
        rotation: (B, 3, 3) camera-to-world rotation of each sample's views.
        projection: the views (default: the cube, face size H/2).
        region_valid: optional (B, 1, H, W) bool, False = masked (e.g. watermarks); ANDed
            with ``depth > 0``.
        params: the degradations (default :class:`SimulationParams`); ``use_region_mask`` is
            the caller's choice here (pass ``region_valid`` or not).
        generator: for the noise and the affine draws (on ``depth``'s device).

    Returns:
        :class:`PseudoLabels` with disparity / valid (B, N, 1, S, S), the given rotation,
        ``keep`` (B,) and ``projection``.

    Example:
        >>> depth = torch.full((1, 1, 32, 64), 2.0)
        >>> labels = simulated_pseudo_labels(depth, torch.eye(3)[None])
        >>> labels.disparity.shape, bool(labels.valid.all())
        (torch.Size([1, 6, 1, 16, 16]), True)
    """
    if depth.ndim != 4 or depth.shape[1] != 1 or not depth.is_floating_point():
        raise ValueError(f"depth must be a float (B, 1, H, W) tensor, got {tuple(depth.shape)}")
    if rotation.shape != (depth.shape[0], 3, 3):
        raise ValueError(f"rotation must be ({depth.shape[0]}, 3, 3), got {tuple(rotation.shape)}")
    p = params if params is not None else SimulationParams()
    projection = projection or FaceProjection()
    depth = depth.float()
    valid = torch.isfinite(depth) & (depth > 0)
    if region_valid is not None:
        valid = valid & region_valid.bool()

    # Invalid range is filled with the sample's largest valid range before sampling, so that
    # the few bilinear taps that reach across a validity border stay bounded (they are
    # invalidated below anyway).
    far = torch.where(valid, depth, torch.zeros_like(depth)).amax(dim=(1, 2, 3), keepdim=True)
    filled = torch.where(valid, depth, far.clamp_min(1.0).expand_as(depth))
    with torch.no_grad():
        true = student_to_faces(1.0 / filled, rotation, projection)  # (B, N, 1, S, S)
        coverage = panorama_to_faces(valid.float(), rotation, projection)
    face_valid = coverage >= p.min_coverage

    disparity = _masked_blur(true, face_valid, p.blur_sigma)
    median = _face_median(disparity, face_valid)  # (B, N, 1, 1, 1)
    if p.noise > 0:
        eps = torch.randn(disparity.shape, generator=generator, device=disparity.device)
        disparity = disparity * (1 + p.noise * eps)
    if p.additive_noise > 0:
        eps = torch.randn(disparity.shape, generator=generator, device=disparity.device)
        disparity = disparity + p.additive_noise * median * eps
    b, n = disparity.shape[:2]
    u = torch.rand(2, b, n, 1, 1, 1, generator=generator, device=disparity.device)
    scale = torch.exp((2 * u[0] - 1) * math.log(p.scale_range))
    disparity = scale * disparity + p.shift_max * u[1] * median
    disparity = torch.where(
        face_valid, disparity.clamp_min(MIN_DISPARITY), torch.zeros_like(disparity)
    )
    share = face_valid.flatten(1).float().mean(1)
    return PseudoLabels(
        disparity=disparity,
        valid=face_valid,
        rotation=rotation,
        keep=share >= p.min_valid,
        projection=projection,
    )


@dataclass(frozen=True)
class SimulatedSource:
    """The simulated teacher as a :class:`~.pseudo_labels.LabelSource`: labels from the GT
    depth (and ``"region_valid"`` when ``params.use_region_mask``) of a labeled dataset
    **without augmentation** (the cache holds labels of the un-augmented panorama).

    Example (train on the same files through an *unlabeled* reader wrapped in
    :class:`~.cache.CachedPseudoLabels`)::

        labeled = SyntheticPanoramas(root, labeled=True, height=64)
        precompute_pseudo_labels(SimulatedSource(), labeled, "labels/", rotations=8)
    """

    params: SimulationParams = field(default_factory=SimulationParams)
    projection: FaceProjection = field(default_factory=FaceProjection)
    needs_ground_truth: ClassVar[bool] = True

    @property
    def name(self) -> str:
        return self.params.name

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def __call__(
        self, batch: dict[str, Tensor], rotation: Tensor, generator: torch.Generator | None = None
    ) -> PseudoLabels:
        if "depth" not in batch:
            raise ValueError("the simulated teacher needs the GT 'depth': pass a labeled dataset")
        region = batch.get("region_valid") if self.params.use_region_mask else None
        return simulated_pseudo_labels(
            batch["depth"], rotation, self.projection, region_valid=region, params=self.params,
            generator=generator,
        )  # fmt: skip


def _masked_blur(x: Tensor, valid: Tensor, sigma: float) -> Tensor:
    """Validity-normalised separable Gaussian blur of (..., S, S) maps (sigma in pixels)."""
    if sigma <= 0:
        return torch.where(valid, x, torch.zeros_like(x))
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()
    shape = x.shape
    w = valid.to(x.dtype).reshape(-1, 1, *shape[-2:])
    xw = torch.where(valid, x, torch.zeros_like(x)).reshape(-1, 1, *shape[-2:])
    both = torch.cat([xw, w], 0)
    both = F.conv2d(F.pad(both, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
    both = F.conv2d(F.pad(both, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1))
    num, den = both.chunk(2, 0)
    out = (num / den.clamp_min(1e-6)).reshape(shape)
    return torch.where(valid, out, torch.zeros_like(out))


def _face_median(x: Tensor, valid: Tensor) -> Tensor:
    """(..., 1, 1, 1) lower median of each (..., 1, S, S) map's valid values (1 if none)."""
    flat = torch.where(valid, x, torch.full_like(x, float("nan"))).flatten(-3)
    median = flat.nanmedian(-1).values
    median = torch.where(torch.isfinite(median), median, torch.ones_like(median))
    return median[..., None, None, None]
