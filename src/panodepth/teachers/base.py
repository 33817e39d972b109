"""The teacher interface and the weights metadata every teacher family shares.

A *teacher* is a frozen perspective depth model. It knows nothing about panoramas: a cube
face, a perspective crop or a photo are all just images to it. :mod:`panodepth.distill` cuts
the faces and maps the student onto them; the teacher only labels images.

Contract of :meth:`Teacher.forward`:
    * input: ``(N, 3, H, W)`` float RGB in [0, 1], any ``H`` and ``W`` (square or not), on any
      device; ``N = 0`` is allowed;
    * output: ``(N, 1, H, W)`` disparity, finite and ≥ 0, at the input size, with the input's
      device and dtype, never requiring grad;
    * each image is labelled on its own: for ``output_kind == "relative_disparity"`` every
      output map has its own unknown scale and shift (compare with an affine-invariant loss);
      ``"metric_disparity"`` is 1 / metres (a relative disparity whose scale is known);
    * a teacher is always in eval mode and its parameters are frozen.

Named teachers (``"depth-anything-v2-small"``, …) are weights enum members, in the manner of
torchvision's ``ResNet50_Weights``: data (hub id, parameter count, licence, output kind,
input size) plus a ``build`` method. The names live in :mod:`.registry`, which sits above
the implementations; this module imports none of its siblings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from panodepth.conventions import OutputKind

if TYPE_CHECKING:
    from typing_extensions import Self


class TeacherLoadError(ValueError):
    """A teacher's weights could not be loaded (missing directory, unknown id, offline, …).

    Attributes:
        source: the hub id or directory that failed.
    """

    def __init__(self, message: str, source: str) -> None:
        super().__init__(message)
        self.source = source


class Teacher(nn.Module, ABC):
    """A frozen perspective depth model: RGB images in, disparity ≥ 0 out (see module doc).

    Subclasses implement :meth:`forward` and set :attr:`output_kind`. ``train()`` is a no-op:
    a teacher stays in eval mode even inside a module that is put into training mode.
    """

    output_kind: OutputKind = "relative_disparity"

    def __init__(self) -> None:
        super().__init__()
        self.training = False

    @abstractmethod
    def forward(self, images: Tensor) -> Tensor:
        """Disparity of each image.

        Args:
            images: (N, 3, H, W) float RGB in [0, 1].

        Returns:
            (N, 1, H, W) disparity ≥ 0 (relative or metric, see :attr:`output_kind`), same
            device and dtype as ``images``.
        """

    def train(self, mode: bool = True) -> Self:
        """Keep the teacher in eval mode whatever ``mode`` is (dropout and norms stay frozen)."""
        return super().train(False)


def predict_in_chunks(
    images: Tensor, chunk_size: int, device: torch.device, predict: Callable[[Tensor], Tensor]
) -> Tensor:
    """Run ``predict`` (float32 (n, 3, H, W) on ``device`` → (n, 1, H, W) disparity) over
    ``images`` ``chunk_size`` at a time under ``no_grad``; non-finite and negative outputs
    become 0; the result has the input's device and dtype.

    ``no_grad`` rather than ``inference_mode``: the labels are later used next to autograd
    ops (loss targets), and inference tensors may not be saved for backward.
    """
    images = check_images(images)
    n, _, height, width = images.shape
    out = images.new_empty((n, 1, height, width))
    with torch.no_grad():
        for start in range(0, n, chunk_size):
            x = images[start : start + chunk_size].to(device=device, dtype=torch.float32)
            pred = torch.nan_to_num(predict(x), nan=0.0, posinf=0.0).clamp_(min=0.0)
            out[start : start + chunk_size] = pred.to(device=out.device, dtype=out.dtype)
    return out


def check_images(images: Tensor) -> Tensor:
    """Validate a teacher's input: a (N, 3, H, W) floating-point tensor; returns it unchanged."""
    if not isinstance(images, Tensor):
        raise TypeError(f"images must be a torch.Tensor, got {type(images).__name__}")
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(
            f"images must have shape (N, 3, H, W) (RGB in [0, 1]), got {tuple(images.shape)}"
        )
    if not images.is_floating_point():
        raise ValueError(f"images must be float RGB in [0, 1], got dtype {images.dtype}")
    if images.shape[-2] < 1 or images.shape[-1] < 1:
        raise ValueError(f"images must have H, W ≥ 1, got {tuple(images.shape)}")
    return images


@dataclass(frozen=True)
class TeacherWeights:
    """Metadata of one set of published teacher weights.

    Attributes:
        hub_id: Hugging Face hub id of the ``transformers`` checkpoint.
        num_params: number of parameters of the model.
        license: SPDX identifier of the weights' licence (check it before commercial use).
        output_kind: what the teacher returns (after conversion), one of :data:`OUTPUT_KINDS`.
        input_size: side the model was trained at (short side of the resized input).
        paper: where the model is described.
    """

    hub_id: str
    num_params: int
    license: str
    output_kind: OutputKind
    input_size: int
    paper: str


class WeightsEnum(Enum):
    """Base of the per-family weights enums (members hold :class:`TeacherWeights`).

    Subclasses define members (and a ``DEFAULT`` alias) and implement :meth:`build`.
    """

    @classmethod
    def verify(cls, obj: Any) -> WeightsEnum:
        """Accept a member or its name (``"V2_SMALL"``, ``"DEFAULT"``); raise otherwise."""
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            try:
                return cls[obj]
            except KeyError:
                pass
        raise ValueError(
            f"{obj!r} is not a member of {cls.__name__}; choose one of {list(cls.__members__)}"
        )

    @property
    def hub_id(self) -> str:
        return self.value.hub_id

    @property
    def num_params(self) -> int:
        return self.value.num_params

    @property
    def license(self) -> str:
        return self.value.license

    @property
    def output_kind(self) -> OutputKind:
        return self.value.output_kind

    @property
    def input_size(self) -> int:
        return self.value.input_size

    def build(
        self,
        *,
        input_size: int | None = None,
        chunk_size: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | str | None = None,
        local_files_only: bool | None = None,
    ) -> Teacher:
        """The teacher with these weights; each option goes to the teacher's constructor
        (see :func:`teacher_options`; ``None`` keeps the constructor's default)."""
        raise NotImplementedError


def teacher_options(
    input_size: int | None,
    chunk_size: int | None,
    device: torch.device | str | None,
    dtype: torch.dtype | str | None,
    local_files_only: bool | None,
) -> dict[str, Any]:
    """The options every teacher constructor takes, keeping only those given (not ``None``).

    Args:
        input_size: side the images are resized to before the model (teacher-specific rule).
        chunk_size: images per forward pass (bounds peak memory, not the result).
        device: where the model lives.
        dtype: the model's dtype (a ``torch.dtype`` or a name such as ``"bf16"``).
        local_files_only: never touch the network (``None``: Depth Anything reads
            ``HF_HUB_OFFLINE``; the small teacher's weights are always a local file).
    """
    options = {
        "input_size": input_size,
        "chunk_size": chunk_size,
        "device": device,
        "dtype": dtype,
        "local_files_only": local_files_only,
    }
    return {k: v for k, v in options.items() if v is not None}
