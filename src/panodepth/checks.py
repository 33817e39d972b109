"""Input checks of panodepth: one validation policy, typed errors, a debug switch.

This module owns how panodepth validates its inputs. ``geometry``, ``losses``, ``metrics``,
``distill`` and the students' forward (``models.check_panorama_batch``) use it, and so can
the user-facing boundaries. It follows kornia's ``kornia/core/check.py``.

Policy:
    * **Shape, dtype and argument checks run always, everywhere.** They look at metadata
      only: the type, ``shape``, ``dtype`` and Python numbers. They never read a tensor's
      values, so they cost no device synchronisation inside a training step. Every public
      function checks its inputs first, one call per input.
    * **Value checks read tensor values.** :func:`check_finite`, :func:`check_non_negative`
      and :func:`check_in_range` read values back to the host, and on a GPU each read waits
      for all queued work. They therefore run in two places only:

      - at the user-facing boundaries (the CLI, ``inference.Predictor``, the dataset
        readers), which call them directly;
      - in hot paths (geometry, losses, distillation, the students' forward) only when the
        debug switch is on. Use ``if debug_checks_enabled(): check_finite(x, "x")``, or a
        composite such as :func:`check_equirect`, which does that for you.

    * **The debug switch** is off by default. The environment variable
      ``PANODEPTH_DEBUG_CHECKS`` (``1``/``true``/``yes``/``on``, read once at import) turns it
      on for a whole run, including subprocesses. :func:`set_debug_checks` and the
      :func:`debug_checks` context manager set it in code; the latter restores the previous
      state on exit. The switch is one process-wide flag, shared by all threads.
    * **Errors are typed.** Every failure raises a subclass of :class:`CheckError`, which
      is a ``ValueError``:

      - :class:`ShapeError`: rank, size or broadcasting;
      - :class:`DTypeError`: the dtype;
      - :class:`ValueCheckError`: the values (NaN/Inf, negative, out of range);
      - :class:`ArgumentError`: a Python argument (size, mode, field of view, weight).

      A non-tensor where a tensor is expected raises :class:`NotATensorError`, which is a
      ``TypeError``. Messages name the argument, what was expected and what was given.

What is checked where:

    ======================  ===================================  ===========================
    where                   always (metadata)                    debug switch only (values)
    ======================  ===================================  ===========================
    ``geometry``            tensor ranks and sizes (2:1 equirect  NaN/Inf in images, views,
                            images, 6 square faces), float        depth maps, rotations;
                            dtype, rotation shapes, sizes, mode,  negative depth
                            field of view
    ``losses``              (..., H, W) float maps of one shape,  NaN/Inf in ``pred`` and
                            bool masks that broadcast, weights    ``target`` at valid pixels
    ``distill``             the student's (B, 1, H, W)            as ``geometry``
                            disparity, rotations, then geometry
    students' forward       (B, 3, H, 2·H) float images           NaN/Inf in the images
    ``metrics``             shapes, dtypes, masks, protocol,      none: they read values
                            ``pred_kind``, ``max_depth``          once per call anyway, to
                                                                  return numbers
    CLI, ``Predictor``,     their own formats and arguments       not a switch: they call
    dataset readers                                               the value checks directly
    ======================  ===================================  ===========================

GT depth is never value-checked: NaN and values ≤ 0 mark invalid pixels by convention.

The module also holds the composite checks that several packages share. For geometry:
:func:`check_equirect`, :func:`check_rotation`, :func:`check_hw`, :func:`check_fov` and
:func:`check_equirect_size`. For the losses: :func:`check_map`, :func:`check_pair` and
:func:`check_mask`. For the metrics: :func:`check_depth_batch`, :func:`check_pred_gt` and
:func:`check_batch_mask`.

Shape patterns (:func:`check_shape`) are lists of dimension names, as in kornia's
``KORNIA_CHECK_SHAPE(x, ["B", "3", "H", "W"])``:

    * a digit string is an exact size (``"3"``);
    * any other name matches any size, and a name repeated in the same pattern must get
      the same size (``["B", "6", "C", "S", "S"]``: square faces);
    * a leading ``"*"`` matches any number of leading dimensions, including none
      (``["*", "H", "W"]``). Messages print it as ``...``.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
from collections.abc import Iterable, Iterator, Sequence

import torch
from torch import Tensor

__all__ = [
    "DEBUG_ENV",
    "ArgumentError",
    "CheckError",
    "DTypeError",
    "NotATensorError",
    "ShapeError",
    "ValueCheckError",
    "broadcasts",
    "check_batch_mask",
    "check_broadcastable",
    "check_choice",
    "check_depth_batch",
    "check_dtype",
    "check_equirect",
    "check_equirect_size",
    "check_finite",
    "check_floating",
    "check_fov",
    "check_hw",
    "check_in_range",
    "check_is_tensor",
    "check_map",
    "check_mask",
    "check_ndim",
    "check_non_negative",
    "check_not_empty",
    "check_pair",
    "check_positive",
    "check_positive_int",
    "check_pred_gt",
    "check_rotation",
    "check_same_shape",
    "check_shape",
    "check_tensor",
    "debug_checks",
    "debug_checks_enabled",
    "set_debug_checks",
]


# ------------------------------------------------------------------------------- errors


class CheckError(ValueError):
    """An input failed a panodepth check (base class of the typed errors below)."""


class ShapeError(CheckError):
    """A tensor has the wrong rank or size, or a mask does not broadcast."""


class DTypeError(CheckError):
    """A tensor has the wrong dtype."""


class ValueCheckError(CheckError):
    """A tensor's values are invalid (NaN/Inf, negative, out of range)."""


class ArgumentError(CheckError):
    """A non-tensor argument is invalid (a size, a mode, a field of view, a weight)."""


class NotATensorError(TypeError):
    """A tensor was expected and something else was given."""


# ------------------------------------------------------------------------- debug switch

DEBUG_ENV = "PANODEPTH_DEBUG_CHECKS"
"""Environment variable that turns the hot-path value checks on (``1``, ``true``, ...)."""

_TRUE = ("1", "true", "yes", "on")
_debug = os.environ.get(DEBUG_ENV, "").strip().lower() in _TRUE


def debug_checks_enabled() -> bool:
    """Whether hot paths run their value checks (see the module docstring)."""
    return _debug


def set_debug_checks(enabled: bool) -> bool:
    """Turn the hot-path value checks on or off; returns the previous state."""
    global _debug
    previous, _debug = _debug, bool(enabled)
    return previous


@contextlib.contextmanager
def debug_checks(enabled: bool = True) -> Iterator[None]:
    """Run a block with the hot-path value checks on (or off); restores the state after.

    Example:
        >>> from panodepth.geometry import equirect_to_cube
        >>> img = torch.full((1, 3, 8, 16), float("nan"))
        >>> with debug_checks():
        ...     equirect_to_cube(img, 4)
        Traceback (most recent call last):
        ...
        panodepth.checks.ValueCheckError: img contains NaN or Inf values; ...
    """
    previous = set_debug_checks(enabled)
    try:
        yield
    finally:
        set_debug_checks(previous)


# -------------------------------------------------------------- tensor checks (metadata)


def check_is_tensor(x: object, name: str) -> Tensor:
    """Check that ``x`` is a ``torch.Tensor``."""
    if not isinstance(x, Tensor):
        raise NotATensorError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    return x


def check_ndim(x: Tensor, ndim: int | Iterable[int], name: str) -> Tensor:
    """Check that ``x`` has one of the ranks ``ndim``."""
    ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ShapeError(f"{name} must have {want} dimensions, got shape {tuple(x.shape)}")
    return x


def _format_pattern(pattern: Sequence[str]) -> str:
    return "(" + ", ".join("..." if d == "*" else d for d in pattern) + ")"


def _matches(shape: torch.Size, pattern: Sequence[str]) -> bool:
    if pattern and pattern[0] == "*":
        pattern = pattern[1:]
        if len(shape) < len(pattern):
            return False
        shape = shape[len(shape) - len(pattern) :]
    elif len(shape) != len(pattern):
        return False
    bound: dict[str, int] = {}
    for size, dim in zip(shape, pattern, strict=True):
        if dim.isdigit():
            if size != int(dim):
                return False
        elif bound.setdefault(dim, size) != size:
            return False
    return True


def check_shape(x: Tensor, *patterns: Sequence[str], name: str = "x") -> Tensor:
    """Check that ``x``'s shape matches one of the patterns (see the module docstring).

    Args:
        x: a tensor.
        *patterns: one or more patterns such as ``["B", "3", "H", "W"]`` or ``["*", "3"]``.
        name: the argument's name, for the message.

    Returns:
        ``x`` unchanged.

    Raises:
        ShapeError: naming the expected pattern(s) and the actual shape. A single pattern
            without ``"*"`` and a wrong rank give ``"x must have 4 dimensions, ..."``.

    Example:
        >>> check_shape(torch.zeros(2, 6, 3, 4, 4), ["B", "6", "C", "S", "S"], name="faces").shape
        torch.Size([2, 6, 3, 4, 4])
        >>> check_shape(torch.zeros(2, 6, 3, 4, 5), ["B", "6", "C", "S", "S"], name="faces")
        Traceback (most recent call last):
        ...
        panodepth.checks.ShapeError: faces must have shape (B, 6, C, S, S), got (2, 6, 3, 4, 5)
    """
    if not patterns:
        raise TypeError("check_shape needs at least one pattern")
    if any(_matches(x.shape, p) for p in patterns):
        return x
    shape = tuple(x.shape)
    if len(patterns) == 1 and "*" not in patterns[0] and len(shape) != len(patterns[0]):
        raise ShapeError(
            f"{name} must have {len(patterns[0])} dimensions, got shape {shape}; "
            f"expected {_format_pattern(patterns[0])}"
        )
    want = " or ".join(_format_pattern(p) for p in patterns)
    raise ShapeError(f"{name} must have shape {want}, got {shape}")


def check_floating(x: Tensor, name: str) -> Tensor:
    """Check that ``x`` is a floating-point tensor."""
    if not x.is_floating_point():
        raise DTypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    return x


def check_dtype(x: Tensor, dtype: torch.dtype, name: str) -> Tensor:
    """Check that ``x`` has exactly ``dtype`` (e.g. ``torch.bool`` for masks)."""
    if x.dtype != dtype:
        kind = str(dtype).removeprefix("torch.")
        raise DTypeError(f"{name} must be a {kind} tensor, got dtype {x.dtype}")
    return x


def check_not_empty(x: Tensor, name: str) -> Tensor:
    """Check that ``x`` has at least one element."""
    if x.numel() == 0:
        raise ShapeError(f"{name} is empty (shape {tuple(x.shape)})")
    return x


def check_same_shape(a: Tensor, b: Tensor, name_a: str, name_b: str) -> None:
    """Check that two tensors have the same shape."""
    if a.shape != b.shape:
        raise ShapeError(
            f"{name_a} and {name_b} must have the same shape, got {name_a} {tuple(a.shape)} "
            f"and {name_b} {tuple(b.shape)}"
        )


def check_broadcastable(x: Tensor, shape: Sequence[int], name: str) -> Tensor:
    """Check that ``x`` broadcasts to ``shape`` without growing it."""
    if not broadcasts(x.shape, shape):
        raise ShapeError(f"{name} of shape {tuple(x.shape)} does not broadcast to {tuple(shape)}")
    return x


def broadcasts(shape: Sequence[int], to: Sequence[int]) -> bool:
    """Whether ``shape`` broadcasts to ``to`` without growing it (metadata only)."""
    try:
        return torch.broadcast_shapes(shape, to) == torch.Size(to)
    except RuntimeError:
        return False


def check_tensor(
    x: object, name: str, *patterns: Sequence[str], ndim: int | Iterable[int] | None = None
) -> Tensor:
    """Check a non-empty floating-point tensor, optionally its shape or rank.

    In order: a tensor (:class:`NotATensorError`), the shape patterns or the rank ``ndim``
    (:class:`ShapeError`), floating point (:class:`DTypeError`), not empty
    (:class:`ShapeError`). Values are not read.
    """
    x = check_is_tensor(x, name)
    if patterns:
        check_shape(x, *patterns, name=name)
    if ndim is not None:
        check_ndim(x, ndim, name)
    check_floating(x, name)
    return check_not_empty(x, name)


def check_mask(mask: object, like: Tensor, name: str = "mask") -> Tensor:
    """Check a bool mask that broadcasts to ``like``; return it expanded to ``like.shape``.

    ``None`` gives an all-True mask. A mask that is not bool is refused, not cast. A float
    or uint8 "mask" usually means an arithmetic slip such as ``depth > 0 & mask``.
    """
    if mask is None:
        return torch.ones(like.shape, dtype=torch.bool, device=like.device)
    if not isinstance(mask, Tensor):
        raise NotATensorError(
            f"{name} must be a bool torch.Tensor or None, got {type(mask).__name__}"
        )
    check_dtype(mask, torch.bool, name)
    check_broadcastable(mask, like.shape, name)
    return mask.expand(like.shape)


# -------------------------------------------------------------- value checks (read values)


def _all_finite(x: Tensor, mask: Tensor | None = None) -> bool:
    """One host read: no NaN/±Inf in ``x`` (where ``mask``)."""
    if not x.is_floating_point() and not x.is_complex():
        return True
    x = x.detach()
    if mask is not None:
        x = torch.where(mask, x, torch.zeros((), dtype=x.dtype, device=x.device))
    if x.numel() == 0:
        return True
    # min and max instead of an elementwise isnan: NaN propagates to both, ±Inf shows in one
    return bool(torch.isfinite(torch.stack(torch.aminmax(x))).all())


def check_finite(
    x: Tensor,
    name: str,
    *,
    mask: Tensor | None = None,
    hint: str = "mark invalid pixels with 0 (and a mask) instead",
) -> Tensor:
    """Check that ``x`` has no NaN or ±Inf (at the pixels of ``mask``, if given).

    This is a value check: it reads values back to the host once. Call it at user-facing
    boundaries; in hot paths, call it only under :func:`debug_checks_enabled`.
    """
    if not _all_finite(x, mask):
        where = "" if mask is None else " at valid pixels"
        raise ValueCheckError(f"{name} contains NaN or Inf values{where}; {hint}")
    return x


def check_non_negative(x: Tensor, name: str, *, hint: str = "") -> Tensor:
    """Check that ``x`` has no negative value. A value check: one host read."""
    if x.numel() and bool((x.detach() < 0).any()):
        raise ValueCheckError(f"{name} has negative values" + (f"; {hint}" if hint else ""))
    return x


def check_in_range(x: Tensor, low: float, high: float, name: str) -> Tensor:
    """Check that every value of ``x`` is in [low, high] (NaN fails). One host read.

    Example:
        >>> check_in_range(torch.tensor([0.0, 1.5]), 0, 1, "rgb")
        Traceback (most recent call last):
        ...
        panodepth.checks.ValueCheckError: rgb must have values in [0, 1], got [0.0, 1.5]
    """
    if x.numel() == 0:
        return x
    lo, hi = torch.stack(torch.aminmax(x.detach())).tolist()
    if not (lo >= low and hi <= high):  # written so that NaN fails
        raise ValueCheckError(f"{name} must have values in [{low}, {high}], got [{lo}, {hi}]")
    return x


# ------------------------------------------------------------ argument checks (Python)


def check_positive_int(value: object, name: str) -> int:
    """Check a positive Python integer (a size, a count); ``bool`` is refused."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ArgumentError(f"{name} must be a positive integer, got {value!r}")
    return value


def check_positive(value: float, name: str, allow_zero: bool = False) -> float:
    """Check a finite number > 0 (≥ 0 with ``allow_zero``); returns it as a float."""
    v = float(value)
    ok = v >= 0.0 if allow_zero else v > 0.0
    if not ok or not math.isfinite(v):
        bound = "≥ 0" if allow_zero else "> 0"
        raise ArgumentError(f"{name} must be a finite number {bound}, got {value!r}")
    return v


def did_you_mean(value: object, choices: Sequence[object]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices`` to a misspelt string ``value``,
    else ``""`` — the hint every "unknown name" message ends with."""
    if not isinstance(value, str):
        return ""
    names = [c for c in choices if isinstance(c, str)]
    close = difflib.get_close_matches(value.lower(), names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_choice(value: object, choices: Sequence[object], name: str) -> object:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        raise ArgumentError(
            f"{name} must be one of {tuple(choices)!r}, got {value!r}{did_you_mean(value, choices)}"
        )
    return value


def check_device(spec: str | torch.device, name: str = "device") -> torch.device:
    """A ``torch.device`` that exists here: ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, ….

    Raises :class:`ArgumentError` for a name torch does not know, and for a CUDA or MPS
    device this machine does not have (before any model is loaded).
    """
    try:
        device = torch.device(spec)
    except (RuntimeError, TypeError, ValueError):
        raise ArgumentError(
            f"{name} {spec!r} is not a device; use cpu, cuda, cuda:N or mps"
        ) from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ArgumentError(f"{name} {spec!r}: no CUDA GPU is available here; use cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            count = torch.cuda.device_count()
            raise ArgumentError(f"{name} {spec!r}: this machine has {count} CUDA device(s)")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ArgumentError(f"{name} {spec!r}: Apple's MPS is not available here; use cpu")
    return device


def check_hw(size: int | Sequence[int], name: str = "size") -> tuple[int, int]:
    """Normalise ``size`` (an int or an (h, w) pair) to a checked (h, w) tuple."""
    if isinstance(size, int) and not isinstance(size, bool):
        return check_positive_int(size, name), size
    if isinstance(size, Sequence) and len(size) == 2:
        return check_positive_int(size[0], f"{name}[0]"), check_positive_int(size[1], f"{name}[1]")
    raise ArgumentError(f"{name} must be an int or an (height, width) pair, got {size!r}")


def check_equirect_size(height: int, width: int) -> tuple[int, int]:
    """Check an output equirect size: positive integers with width == 2·height."""
    check_positive_int(height, "height")
    check_positive_int(width, "width")
    if width != 2 * height:
        raise ArgumentError(f"equirect output must be 2:1, got height={height}, width={width}")
    return height, width


def check_fov(fov_deg: float, name: str = "fov_deg") -> float:
    """Check a field of view in degrees, in (0, 180); returns it as a float."""
    fov = float(fov_deg)
    if not 0.0 < fov < 180.0:
        raise ArgumentError(f"{name} must be in (0, 180) degrees, got {fov_deg!r}")
    return fov


# --------------------------------------------------------- composite checks of panodepth


def check_equirect(img: object, name: str = "img") -> Tensor:
    """Check a (B, C, H, W) floating equirect image with W == 2·H.

    Debug checks only: no NaN/Inf.
    """
    img = check_tensor(img, name, ["B", "C", "H", "W"])
    h, w = img.shape[-2:]
    if w != 2 * h:
        raise ShapeError(
            f"{name} must be an equirectangular image with width == 2 × height, "
            f"got H×W = {h}×{w} (shape {tuple(img.shape)}); resize or pad it to 2:1 first"
        )
    if _debug:
        check_finite(img, name)
    return img


def check_rotation(rotation: object, batch: int, name: str = "rotation") -> Tensor:
    """Check a rotation: (3, 3) shared or (B, 3, 3) per sample; returns (B', 3, 3), B' ∈ {1, B}.

    Debug checks only: finite entries. Orthonormality is not checked.
    """
    if not isinstance(rotation, Tensor):
        raise NotATensorError(f"{name} must be a torch.Tensor of shape (3, 3) or (B, 3, 3)")
    check_shape(rotation, ["3", "3"], ["B", "3", "3"], name=name)
    if rotation.ndim == 2:
        rotation = rotation.unsqueeze(0)
    if rotation.shape[0] not in (1, batch):
        raise ShapeError(
            f"{name} has {rotation.shape[0]} matrices but the batch has {batch} samples"
        )
    if not rotation.is_floating_point():
        raise DTypeError(
            f"{name} must be a finite floating-point tensor, got dtype {rotation.dtype}"
        )
    if _debug and not _all_finite(rotation):
        raise ValueCheckError(f"{name} must be a finite floating-point tensor, got NaN or Inf")
    return rotation


def check_map(x: object, name: str) -> Tensor:
    """Check a non-empty floating tensor of maps, shape (..., H, W) (losses)."""
    return check_tensor(x, name, ["*", "H", "W"])


def check_pair(
    pred: object, target: object, names: tuple[str, str] = ("pred", "target")
) -> tuple[Tensor, Tensor]:
    """Check two floating (..., H, W) tensors of the same shape (a loss's inputs)."""
    pred, target = check_map(pred, names[0]), check_map(target, names[1])
    check_same_shape(pred, target, *names)
    return pred, target


def check_depth_batch(x: object, name: str) -> Tensor:
    """Check a floating (B, 1, H, W) or (B, H, W) tensor (metrics); return it as (B, H, W)."""
    x = check_tensor(x, name, ["B", "1", "H", "W"], ["B", "H", "W"])
    return x.reshape(x.shape[0], x.shape[-2], x.shape[-1])


def check_pred_gt(pred: object, gt: object) -> tuple[Tensor, Tensor]:
    """Check a prediction and its GT (same shape, :func:`check_depth_batch`); both (B, H, W)."""
    if isinstance(pred, Tensor) and isinstance(gt, Tensor):
        check_same_shape(pred, gt, "pred", "gt")
    return check_depth_batch(pred, "pred"), check_depth_batch(gt, "gt")


def check_batch_mask(mask: object, shape: Sequence[int], name: str) -> Tensor:
    """Check a bool mask against a (B, H, W) ``shape``; return it expanded to (B, H, W).

    The mask may be (B, 1, H, W), (B, H, W) or anything that broadcasts to (B, H, W).
    """
    if not isinstance(mask, Tensor):
        raise NotATensorError(f"{name} must be a bool torch.Tensor, got {type(mask).__name__}")
    check_dtype(mask, torch.bool, name)
    squeezed = mask[:, 0] if mask.ndim == 4 and mask.shape[1] == 1 else mask
    if not broadcasts(squeezed.shape, shape):
        raise ShapeError(
            f"{name} of shape {tuple(mask.shape)} does not match the batch {tuple(shape)}"
        )
    return squeezed.expand(shape)
