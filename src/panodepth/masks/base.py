"""The masker interface: RGB images in, a per-pixel validity mask out.

A masker marks the regions of an image whose depth cannot be trusted or has no meaning
(sky, watermarks, logos) so that a loss can ignore them. Maskers know nothing about training,
teachers or panoramas: they see a batch of ordinary images. The distillation step applies them
either to the six cube faces of the *rotated* panorama (so the mask lines up pixel for pixel
with the teacher's faces) or to whole equirect panoramas (masks cached once, offline); the
interface is the same in both cases.

Convention:
    images: ``(N, 3, H, W)`` float RGB in [0, 1], any device.
    mask:   ``(N, 1, H, W)`` bool on the images' device, **True = valid (keep)**,
            False = invalid region.
    ``keep(valid)`` drops whole images whose valid share is below ``min_valid`` (Depth
    Anywhere drops images with less than 20 % valid pixels).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch
from torch import Tensor, nn

DEFAULT_MIN_VALID = 0.2

# Slack for images in [0, 1] that went through a resampling step (bilinear overshoot).
_RANGE_SLACK = 1e-3


def check_images(images: object, name: str = "images") -> Tensor:
    """Check an ``(N, 3, H, W)`` floating RGB batch with values in [0, 1]."""
    if not isinstance(images, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(images).__name__}")
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"{name} must have shape (N, 3, H, W), got {tuple(images.shape)}")
    if not images.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point RGB tensor in [0, 1], got dtype {images.dtype}"
        )
    if images.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(images.shape)})")
    lo, hi = (float(v) for v in torch.aminmax(images.detach()))
    if not (lo >= -_RANGE_SLACK and hi <= 1 + _RANGE_SLACK):  # also catches NaN
        raise ValueError(
            f"{name} must hold RGB values in [0, 1], got values in [{lo:.4g}, {hi:.4g}] "
            "(divide 8-bit images by 255)"
        )
    return images


def check_mask(mask: object, name: str = "valid") -> Tensor:
    """Check an ``(N, 1, H, W)`` bool mask."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(mask).__name__}")
    if mask.ndim != 4 or mask.shape[1] != 1:
        raise ValueError(f"{name} must have shape (N, 1, H, W), got {tuple(mask.shape)}")
    if mask.dtype != torch.bool:
        raise ValueError(f"{name} must be a bool tensor (True = valid), got dtype {mask.dtype}")
    return mask


def valid_share(valid: Tensor) -> Tensor:
    """Share of valid pixels per image.

    Args:
        valid: ``(N, 1, H, W)`` bool mask, True = valid.

    Returns:
        ``(N,)`` float32 in [0, 1].
    """
    valid = check_mask(valid)
    return valid.flatten(1).float().mean(dim=1)


def combine_valid(depth: Tensor, mask: Tensor) -> Tensor:
    """Pixels that have a usable depth **and** are not masked out.

    Written as an explicit ``logical_and`` of two bool tensors: the Depth Anywhere release
    wrote ``depths > 0 & mask``, which Python parses as ``depths > (0 & mask)`` and so drops
    the mask entirely.

    Args:
        depth: ``(N, 1, H, W)`` depth or disparity; ``> 0`` and finite = has a value.
        mask: ``(N, 1, H, W)`` bool validity mask from a masker (True = valid); broadcasts.

    Returns:
        ``(N, 1, H, W)`` bool.
    """
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise ValueError(f"mask must be a bool tensor (True = valid), got {got}")
    has_depth = torch.logical_and(torch.isfinite(depth), depth > 0)
    return torch.logical_and(has_depth, mask)


class Masker(nn.Module, ABC):
    """Maps ``(N, 3, H, W)`` RGB in [0, 1] to an ``(N, 1, H, W)`` bool validity mask.

    True = valid (keep), False = invalid region. Maskers are frozen: their parameters do not
    require grad and ``train()`` leaves them in eval mode, so a masker can sit inside a
    training module without being trained or switching dropout on.

    Args:
        min_valid: smallest share of valid pixels for an image to be kept by :meth:`keep`.
    """

    min_valid: float

    def __init__(self, min_valid: float = DEFAULT_MIN_VALID) -> None:
        super().__init__()
        if isinstance(min_valid, bool) or not 0.0 <= float(min_valid) <= 1.0:
            raise ValueError(f"min_valid must be a share in [0, 1], got {min_valid!r}")
        self.min_valid = float(min_valid)
        self.training = False

    @abstractmethod
    def forward(self, images: Tensor) -> Tensor:
        """Return the ``(N, 1, H, W)`` bool validity mask of ``images`` (True = valid)."""

    def keep(self, valid: Tensor) -> Tensor:
        """Which images have enough valid pixels to be used.

        Args:
            valid: ``(N, 1, H, W)`` bool mask as returned by :meth:`forward`.

        Returns:
            ``(N,)`` bool, True where the valid share is ``>= min_valid``.
        """
        return valid_share(valid) >= self.min_valid

    def train(self, mode: bool = True) -> Masker:
        """Maskers are never trained: this keeps the masker and its models in eval mode."""
        return super().train(False)


class NoMask(Masker):
    """Everything is valid (the default when no masking is wanted)."""

    def forward(self, images: Tensor) -> Tensor:
        images = check_images(images)
        n, _, h, w = images.shape
        return torch.ones(n, 1, h, w, dtype=torch.bool, device=images.device)
