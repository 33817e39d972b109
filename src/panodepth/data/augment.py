"""Student augmentations of equirect panoramas: yaw roll, horizontal flip, colour jitter.

This module owns the geometric augmentation convention that the training code relies on
to map a prediction back to the un-augmented panorama:

Convention:
    * **roll first, then flip.** ``apply_roll_flip(x, r, f)`` is
      ``torch.roll(x, shifts=r, dims=-1)`` (the panorama moves ``r`` pixels to the *right*,
      i.e. a change of yaw by ``-r/W · 2π``), followed, if ``f``, by ``torch.flip(x, [-1])``
      (left-right mirror). Output column ``u`` holds input column
      ``(W - 1 - u - r) mod W`` when flipped, ``(u - r) mod W`` otherwise.
    * ``undo_roll_flip`` is the exact inverse (flip, then roll by ``-r``); both are integer
      column permutations, so they are exact, differentiable and work on bool masks.
    * ``roll`` is in pixels of the width it was drawn at (the sample's width). For a map of
      another width pass ``width=`` and the shift is rescaled (it must stay an integer).
    * Colour jitter changes only the student's image (``"rgb"``); ``"rgb_teacher"`` gets the
      same roll and flip without jitter (REFERENCE: the teacher sees no colour jitter). When
      no jitter was drawn, ``"rgb_teacher"`` *is* the ``"rgb"`` tensor (no copy): do not
      modify sample tensors in place.

Randomness comes only from the ``torch.Generator`` passed in: the same generator state gives
the same augmentation, whatever process or DataLoader worker runs it (the dataset readers
seed one generator per sample from ``(seed, epoch, index)``, see
:mod:`panodepth.data.datasets.base`).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torchvision.transforms.v2.functional as TF
from torch import Tensor

# keys of a sample that move with the panorama (roll / flip); only "rgb" is colour-jittered
GEOMETRIC_KEYS = ("rgb", "rgb_teacher", "depth", "valid", "region_valid")


@dataclass(frozen=True)
class AugmentParams:
    """One draw of :class:`Augment`.

    Attributes:
        roll: pixels rolled to the right, in [0, W).
        flip: mirrored left-right (after the roll).
        jitter: ``None`` (no colour jitter) or the factors ``(brightness, contrast,
            saturation, hue)`` and ``order``, the order in which the four ops are applied
            (a permutation of 0..3, as in torchvision's ``ColorJitter``).
    """

    roll: int = 0
    flip: bool = False
    jitter: tuple[float, float, float, float] | None = None
    order: tuple[int, ...] = (0, 1, 2, 3)


@dataclass(frozen=True)
class Augment:
    """Random yaw roll, horizontal flip and colour jitter (REFERENCE "Student augmentations").

    Args:
        roll: draw a uniform yaw roll in [0, W) pixels (360° panoramas only).
        flip_p: probability of a left-right flip.
        jitter_p: probability of colour jitter (student image only).
        brightness, contrast, saturation: factor ranges ``(low, high)``, 1 = unchanged.
        hue: hue shift drawn from ``[-hue, hue]`` (fraction of the hue circle, ≤ 0.5).

    Call it with a sample dict and a ``torch.Generator``; it returns a new dict (the input is
    not modified) with the geometric keys rolled / flipped, ``"rgb"`` possibly jittered,
    ``"rgb_teacher"`` set, and ``"roll"`` (int64) / ``"flip"`` (bool) scalar tensors.
    """

    roll: bool = True
    flip_p: float = 0.5
    jitter_p: float = 0.5
    brightness: tuple[float, float] = (0.8, 1.2)
    contrast: tuple[float, float] = (0.8, 1.2)
    saturation: tuple[float, float] = (0.8, 1.2)
    hue: float = 0.1

    def __post_init__(self) -> None:
        for name in ("flip_p", "jitter_p"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"Augment.{name} must be in [0, 1], got {p}")
        for name in ("brightness", "contrast", "saturation"):
            lo, hi = getattr(self, name)
            if not 0.0 <= lo <= hi:
                raise ValueError(f"Augment.{name} must be a range 0 <= low <= high, got {(lo, hi)}")
        if not 0.0 <= self.hue <= 0.5:
            raise ValueError(f"Augment.hue must be in [0, 0.5], got {self.hue}")

    def draw(self, width: int, generator: torch.Generator) -> AugmentParams:
        """Draw the parameters for a panorama of ``width`` pixels.

        Always consumes the same numbers from ``generator`` (whatever the options), so
        switching one option off does not change the draws of the others.
        """
        u = torch.rand(8, generator=generator, dtype=torch.float64).tolist()
        order = tuple(torch.randperm(4, generator=generator).tolist())
        roll = min(int(u[0] * width), width - 1) if self.roll else 0
        flip = u[1] < self.flip_p
        jitter = None
        if u[2] < self.jitter_p:
            jitter = (
                _lerp(self.brightness, u[3]),
                _lerp(self.contrast, u[4]),
                _lerp(self.saturation, u[5]),
                (2 * u[6] - 1) * self.hue,
            )
        return AugmentParams(roll=roll, flip=flip, jitter=jitter, order=order)

    def __call__(self, sample: dict, generator: torch.Generator) -> dict:
        """Augment a sample (see the class docstring); ``sample["rgb"]`` must be 3×H×W."""
        params = self.draw(sample["rgb"].shape[-1], generator)
        return apply_params(sample, params)


def apply_params(sample: dict, params: AugmentParams) -> dict:
    """Apply drawn parameters to the geometric keys of a sample and jitter its ``"rgb"``."""
    out = dict(sample)
    for key in GEOMETRIC_KEYS:
        if key in out and key != "rgb_teacher":
            out[key] = _roll_flip_one(out[key], params.roll, params.flip)
    teacher = out["rgb"]
    out["rgb"] = color_jitter(teacher, params.jitter, params.order)
    out["rgb_teacher"] = teacher
    out["roll"] = torch.tensor(params.roll, dtype=torch.int64)
    out["flip"] = torch.tensor(params.flip, dtype=torch.bool)
    return out


def color_jitter(
    rgb: Tensor,
    factors: tuple[float, float, float, float] | None,
    order: tuple[int, ...] = (0, 1, 2, 3),
) -> Tensor:
    """Brightness, contrast, saturation and hue changes of a float RGB image in [0, 1].

    Args:
        rgb: (*, 3, H, W) float in [0, 1].
        factors: ``(brightness, contrast, saturation, hue)``; ``None`` returns ``rgb`` itself.
        order: order of the ops (indices into ``factors``); an op left out is skipped, e.g.
            ``(0, 1, 2)`` changes brightness, contrast and saturation and leaves the hue.

    Returns:
        (*, 3, H, W) float in [0, 1].
    """
    if factors is None:
        return rgb
    ops = (TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue)
    out = rgb
    for i in order:
        out = ops[i](out, factors[i])
    return out.clamp(0, 1)


def apply_roll_flip(
    x: Tensor, roll: Tensor | int, flip: Tensor | bool, width: int | None = None
) -> Tensor:
    """Roll each panorama of a batch ``roll`` pixels to the right, then flip it if ``flip``.

    Args:
        x: (B, C, H, W) maps (any dtype, bool included).
        roll: (B,) int shifts (a sample dict's ``"roll"`` collated) or one int for all.
        flip: (B,) bool or one bool for all.
        width: the width ``roll`` was measured at (default ``W``); shifts are rescaled
            by ``W / width`` and must then be whole pixels.

    Returns:
        (B, C, H, W), the augmented maps.
    """
    rolls, flips = _per_sample(x, roll, flip, width)
    return torch.stack(
        [_roll_flip_one(x[b], r, f) for b, (r, f) in enumerate(zip(rolls, flips, strict=True))]
    )


def undo_roll_flip(
    x: Tensor, roll: Tensor | int, flip: Tensor | bool, width: int | None = None
) -> Tensor:
    """Inverse of :func:`apply_roll_flip`: un-flip, then roll ``roll`` pixels to the left.

    Args, Returns: as :func:`apply_roll_flip`; ``undo_roll_flip(apply_roll_flip(x, r, f), r, f)``
    equals ``x`` exactly.
    """
    rolls, flips = _per_sample(x, roll, flip, width)
    out = []
    for b, (r, f) in enumerate(zip(rolls, flips, strict=True)):
        y = torch.flip(x[b], dims=[-1]) if f else x[b]
        out.append(torch.roll(y, shifts=-r, dims=-1) if r else y)
    return torch.stack(out)


def _roll_flip_one(x: Tensor, roll: int, flip: bool) -> Tensor:
    """Roll then flip one map (..., W)."""
    y = torch.roll(x, shifts=roll, dims=-1) if roll else x
    return torch.flip(y, dims=[-1]) if flip else y


def _per_sample(
    x: Tensor, roll: Tensor | int, flip: Tensor | bool, width: int | None
) -> tuple[list[int], list[bool]]:
    if x.ndim != 4:
        raise ValueError(f"expected (B, C, H, W) maps, got shape {tuple(x.shape)}")
    b, w = x.shape[0], x.shape[-1]
    rolls = torch.as_tensor(roll).reshape(-1).tolist()
    flips = torch.as_tensor(flip).reshape(-1).tolist()
    if len(rolls) == 1:
        rolls = rolls * b
    if len(flips) == 1:
        flips = flips * b
    if len(rolls) != b or len(flips) != b:
        raise ValueError(
            f"roll / flip must have one value per sample: batch {b}, got {len(rolls)} rolls "
            f"and {len(flips)} flips"
        )
    if width is not None and width != w:
        scaled = [r * w / width for r in rolls]
        if any(s != int(s) for s in scaled):
            raise ValueError(
                f"rolls {rolls} measured at width {width} are not whole pixels at width {w}"
            )
        rolls = [int(s) for s in scaled]
    return [int(r) % w for r in rolls], [bool(f) for f in flips]


def _lerp(bounds: tuple[float, float], t: float) -> float:
    return bounds[0] + (bounds[1] - bounds[0]) * t
