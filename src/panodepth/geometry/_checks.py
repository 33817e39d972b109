"""Input validation for the geometry functions.

Every public geometry function validates its inputs first, one call per input, and raises
``ValueError`` (or ``TypeError`` for a non-tensor) whose message names the argument, what was
expected and what was given — never a traceback from deep inside torch.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

SAMPLING_MODES = ("bilinear", "nearest")


def check_tensor(x: object, name: str, ndim: int | Sequence[int]) -> Tensor:
    """Check that ``x`` is a floating tensor of the given rank(s) and contains no NaN/Inf."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ValueError(f"{name} must have {want} dimensions, got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)})")
    # One min/max reduction instead of an elementwise isnan (NaN propagates, ±Inf shows)
    if not all(bool(torch.isfinite(v)) for v in torch.aminmax(x.detach())):
        raise ValueError(
            f"{name} contains NaN or Inf values; mark invalid pixels with 0 (and a mask) instead"
        )
    return x


def check_equirect(img: object, name: str = "img") -> Tensor:
    """Check a B×C×H×W equirectangular image with W == 2·H."""
    img = check_tensor(img, name, 4)
    h, w = img.shape[-2:]
    if w != 2 * h:
        raise ValueError(
            f"{name} must be an equirectangular image with width == 2 × height, "
            f"got H×W = {h}×{w} (shape {tuple(img.shape)}); resize or pad it to 2:1 first"
        )
    return img


def check_size(value: object, name: str) -> int:
    """Check a positive integer size (face size, height, ...)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def check_hw(size: int | Sequence[int], name: str = "size") -> tuple[int, int]:
    """Normalise ``size`` (an int or an (h, w) pair) to a checked (h, w) tuple."""
    if isinstance(size, int) and not isinstance(size, bool):
        return check_size(size, name), size
    if isinstance(size, Sequence) and len(size) == 2:
        return check_size(size[0], f"{name}[0]"), check_size(size[1], f"{name}[1]")
    raise ValueError(f"{name} must be an int or an (height, width) pair, got {size!r}")


def check_equirect_size(height: int, width: int) -> tuple[int, int]:
    """Check an output equirect size: positive integers with width == 2·height."""
    check_size(height, "height")
    check_size(width, "width")
    if width != 2 * height:
        raise ValueError(f"equirect output must be 2:1, got height={height}, width={width}")
    return height, width


def check_mode(mode: str) -> str:
    if mode not in SAMPLING_MODES:
        raise ValueError(f"mode must be one of {SAMPLING_MODES}, got {mode!r}")
    return mode


def check_fov(fov_deg: float, name: str = "fov_deg") -> float:
    fov = float(fov_deg)
    if not 0.0 < fov < 180.0:
        raise ValueError(f"{name} must be in (0, 180) degrees, got {fov_deg!r}")
    return fov


def check_rotation(rotation: object, batch: int, name: str = "rotation") -> Tensor:
    """Check a rotation: 3×3 (shared) or B×3×3 (per sample); returns B'×3×3 (B' ∈ {1, B})."""
    if not isinstance(rotation, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (3, 3) or (B, 3, 3)")
    if rotation.shape == (3, 3):
        rotation = rotation.unsqueeze(0)
    if rotation.ndim != 3 or rotation.shape[-2:] != (3, 3):
        raise ValueError(f"{name} must have shape (3, 3) or (B, 3, 3), got {tuple(rotation.shape)}")
    if rotation.shape[0] not in (1, batch):
        raise ValueError(
            f"{name} has {rotation.shape[0]} matrices but the batch has {batch} samples"
        )
    if not rotation.is_floating_point() or not bool(torch.isfinite(rotation).all()):
        raise ValueError(f"{name} must be a finite floating-point tensor")
    return rotation
