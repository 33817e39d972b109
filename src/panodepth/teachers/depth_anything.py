"""Depth Anything (V1, V2, metric V2) as a teacher, loaded through ``transformers``.

Papers: Depth Anything (Yang et al., CVPR 2024, https://arxiv.org/abs/2401.10891) and
Depth Anything V2 (Yang et al., NeurIPS 2024, https://arxiv.org/abs/2406.09414). Depth
Anywhere uses the V1 ViT-L teacher at 518 × 518.

Weights come from a hub id or a local directory, through
``transformers.AutoModelForDepthEstimation.from_pretrained``. Other depth checkpoints of that
auto class (DPT, …) load too, with a warning: their output is taken as relative disparity
unless the config says ``depth_estimation_type="metric"``, and their own input constraints
apply (DPT's ViT takes square inputs only).

On a machine without internet access, download the weights elsewhere and pass the
directory::

    hf download depth-anything/Depth-Anything-V2-Small-hf --local-dir DIR
    # (huggingface_hub < 1.0: huggingface-cli download ... --local-dir DIR)

then ``DepthAnythingTeacher("DIR")`` or ``build_teacher("DIR")``.

Preprocessing (and where it departs from ``transformers``' ``DPTImageProcessor``):
    * normalisation: ``(x - mean) / std`` with the checkpoint's ``image_mean`` / ``image_std``
      from ``preprocessor_config.json`` when the checkpoint has one, else the ImageNet values
      that every Depth Anything checkpoint uses; inputs are already in [0, 1] (no 1/255);
    * resize: bicubic with antialiasing (the processor's ``resample=3``), to the size of
      :meth:`DepthAnythingTeacher.inference_size`: the *short* side becomes ``input_size``
      rounded up to a multiple of the patch size (14), the long side keeps the aspect ratio,
      rounded to the nearest multiple. This is the original Depth Anything ``infer_image``
      rule (``keep_aspect_ratio``, ``ensure_multiple_of=14``, ``lower_bound``). The
      ``transformers`` processor instead "scales as little as possible", which differs for
      non-square images (its long side can end up at 518). Square images (cube faces) become
      518 × 518 (for ``input_size=518``) under both rules;
    * output: the prediction is resized back to the input size bilinearly (antialiased when
      shrinking), clamped at 0; non-finite values (e.g. a float16 overflow) become 0, the
      project's "invalid" value. Metric checkpoints (``depth_estimation_type == "metric"``)
      predict metres; they are turned into disparity 1/depth (0 where depth ≤ 0) at the
      model's resolution, before the resize back.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from panodepth.conventions import IMAGENET_MEAN, IMAGENET_STD
from panodepth.geometry import safe_reciprocal
from panodepth.io.hub import load_error_message, offline_reason

from .base import (
    Teacher,
    TeacherLoadError,
    TeacherWeights,
    WeightsEnum,
    check_images,
    predict_in_chunks,
    teacher_options,
)

DEFAULT_HUB_ID = "depth-anything/Depth-Anything-V2-Small-hf"

_PAPER_V1 = "https://arxiv.org/abs/2401.10891"
_PAPER_V2 = "https://arxiv.org/abs/2406.09414"
# Parameter counts of the three sizes (same architecture in V1 and V2); a test rebuilds them.
_N_SMALL, _N_BASE, _N_LARGE = 24_785_089, 97_470_785, 335_315_649


class DepthAnythingWeights(WeightsEnum):
    """Published Depth Anything checkpoints in the ``transformers`` format.

    Licences differ: V2 Base and Large are CC-BY-NC-4.0 (non-commercial); V2 Small and all
    V1 sizes are Apache-2.0.
    """

    V2_SMALL = TeacherWeights(
        "depth-anything/Depth-Anything-V2-Small-hf",
        _N_SMALL,
        "Apache-2.0",
        "relative_disparity",
        518,
        _PAPER_V2,
    )
    V2_BASE = TeacherWeights(
        "depth-anything/Depth-Anything-V2-Base-hf",
        _N_BASE,
        "CC-BY-NC-4.0",
        "relative_disparity",
        518,
        _PAPER_V2,
    )
    V2_LARGE = TeacherWeights(
        "depth-anything/Depth-Anything-V2-Large-hf",
        _N_LARGE,
        "CC-BY-NC-4.0",
        "relative_disparity",
        518,
        _PAPER_V2,
    )
    V1_SMALL = TeacherWeights(
        "LiheYoung/depth-anything-small-hf",
        _N_SMALL,
        "Apache-2.0",
        "relative_disparity",
        518,
        _PAPER_V1,
    )
    V1_BASE = TeacherWeights(
        "LiheYoung/depth-anything-base-hf",
        _N_BASE,
        "Apache-2.0",
        "relative_disparity",
        518,
        _PAPER_V1,
    )
    V1_LARGE = TeacherWeights(
        "LiheYoung/depth-anything-large-hf",
        _N_LARGE,
        "Apache-2.0",
        "relative_disparity",
        518,
        _PAPER_V1,
    )
    DEFAULT = V2_SMALL

    def build(
        self,
        *,
        input_size: int | None = None,
        chunk_size: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | str | None = None,
        local_files_only: bool | None = None,
    ) -> DepthAnythingTeacher:
        """``DepthAnythingTeacher(self.hub_id, ...)``; ``input_size`` defaults to the
        weights' own (518), the other options to the constructor's defaults."""
        if input_size is None:
            input_size = self.input_size
        options = teacher_options(input_size, chunk_size, device, dtype, local_files_only)
        return DepthAnythingTeacher(self.hub_id, **options)


class DepthAnythingTeacher(Teacher):
    """Depth Anything (or any ``AutoModelForDepthEstimation`` checkpoint) as a frozen teacher.

    Args:
        model: hub id or local directory of a ``transformers`` checkpoint.
        input_size: short side the images are resized to for the model, rounded up to a
            multiple of the patch size (518 for the published checkpoints).
        chunk_size: images per forward pass of the model; bounds peak memory, not the result.
        device: where the model lives (default CPU; the module also follows ``.to()``).
            Inputs on another device are moved chunk by chunk and outputs moved back.
        dtype: model weights' dtype: ``torch.float32`` (default), ``torch.bfloat16``, or
            ``torch.float16`` (GPU only: on CPU it falls back to float32 with a warning);
            strings such as ``"bf16"`` / ``"float16"`` are accepted. Pre- and
            post-processing run in float32.
        local_files_only: never touch the network. ``None`` reads ``HF_HUB_OFFLINE`` /
            ``TRANSFORMERS_OFFLINE`` at construction time.

    Attributes:
        output_kind: ``"relative_disparity"`` or, for metric checkpoints,
            ``"metric_disparity"`` (1 / metres).
        image_mean, image_std: the normalisation in use (see the module doc).
        patch_size: the multiple the model input is rounded to.

    Raises:
        TeacherLoadError: the weights cannot be loaded (message says why and what to do).

    Example:
        >>> teacher = DepthAnythingTeacher("/data/weights/da2-small")  # doctest: +SKIP
        >>> teacher(torch.rand(6, 3, 256, 256)).shape  # doctest: +SKIP
        torch.Size([6, 1, 256, 256])
    """

    def __init__(
        self,
        model: str | os.PathLike = DEFAULT_HUB_ID,
        input_size: int = 518,
        chunk_size: int = 16,
        device: torch.device | str | None = None,
        dtype: torch.dtype | str | None = None,
        local_files_only: bool | None = None,
    ) -> None:
        super().__init__()
        if isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < 1:
            raise ValueError(f"input_size must be a positive int, got {input_size!r}")
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
        source = os.fspath(model)
        device = torch.device("cpu" if device is None else device)
        dtype = _resolve_dtype(dtype, device)
        offline: bool | str | None = local_files_only
        if local_files_only is None:  # the environment, or a Hub that cannot be reached
            offline = offline_reason()
            local_files_only = offline is not None

        hf_model = _load_model(source, dtype, local_files_only, offline)
        hf_model.requires_grad_(False)
        self.model = hf_model.to(device=device, dtype=dtype).eval()

        config = hf_model.config
        if getattr(config, "model_type", None) != "depth_anything":
            warnings.warn(
                f"{source!r} is a {getattr(config, 'model_type', '?')!r} model, not Depth "
                "Anything; its output is taken as relative disparity (inverse depth) unless "
                "its config says depth_estimation_type='metric'",
                stacklevel=2,
            )
        self.source = source
        self.input_size = input_size
        self.chunk_size = chunk_size
        self.patch_size = _patch_size(config)
        self.is_metric = getattr(config, "depth_estimation_type", "relative") == "metric"
        self.output_kind = "metric_disparity" if self.is_metric else "relative_disparity"
        self.image_mean, self.image_std = _load_normalisation(source, local_files_only)
        self.eval()

    def extra_repr(self) -> str:
        return (
            f"source={self.source!r}, input_size={self.input_size}, "
            f"chunk_size={self.chunk_size}, output_kind={self.output_kind!r}"
        )

    def inference_size(self, height: int, width: int) -> tuple[int, int]:
        """(h, w) an image of ``height × width`` is resized to before the model sees it.

        The short side becomes ``input_size`` rounded up to a multiple of :attr:`patch_size`;
        the long side keeps the aspect ratio, rounded to the nearest multiple (never shorter
        than the short side). Square images give a square size: 256 × 256 → 518 × 518.
        """
        p = self.patch_size
        short = math.ceil(self.input_size / p) * p
        if height == width:
            return short, short
        scale = short / min(height, width)

        def fit(side: int) -> int:
            return max(short, round(side * scale / p) * p)

        return fit(height), fit(width)

    def forward(self, images: Tensor) -> Tensor:
        """Disparity ≥ 0 of each image, (N, 3, H, W) in [0, 1] → (N, 1, H, W) (see class doc)."""
        images = check_images(images)
        height, width = images.shape[-2:]
        param = next(self.model.parameters())
        size = self.inference_size(height, width)
        mean = torch.tensor(self.image_mean, device=param.device).view(1, 3, 1, 1)
        std = torch.tensor(self.image_std, device=param.device).view(1, 3, 1, 1)

        def predict(x: Tensor) -> Tensor:
            x = F.interpolate(x, size=size, mode="bicubic", align_corners=False, antialias=True)
            x = ((x - mean) / std).to(param.dtype)
            pred = self.model(pixel_values=x).predicted_depth  # (n, h', w')
            pred = pred.to(torch.float32).unsqueeze(1)
            if self.is_metric:
                pred = safe_reciprocal(pred)
            return F.interpolate(
                pred, size=(height, width), mode="bilinear", align_corners=False, antialias=True
            )

        return predict_in_chunks(images, self.chunk_size, param.device, predict)


def _patch_size(config: Any) -> int:
    """Patch size from a checkpoint config (top level, then backbone); 1 if it has none."""
    for cfg in (config, getattr(config, "backbone_config", None)):
        size = getattr(cfg, "patch_size", None)
        if size is not None:
            if isinstance(size, (list, tuple)):
                size = max(size)
            return int(size)
    return 1


_DTYPE_NAMES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "half": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}


def _resolve_dtype(dtype: torch.dtype | str | None, device: torch.device) -> torch.dtype:
    """Validate the model dtype; float16 on CPU falls back to float32 with a warning."""
    if dtype is None:
        return torch.float32
    if isinstance(dtype, str):
        name = dtype.lower().removeprefix("torch.")
        if name not in _DTYPE_NAMES:
            raise ValueError(f"unknown dtype {dtype!r}; use one of {sorted(_DTYPE_NAMES)}")
        dtype = _DTYPE_NAMES[name]
    if dtype not in (torch.float32, torch.float16, torch.bfloat16):
        raise ValueError(f"dtype must be float32, float16 or bfloat16, got {dtype}")
    if dtype == torch.float16 and device.type == "cpu":
        warnings.warn(
            "float16 inference is not supported on CPU; using float32 "
            "(use torch.bfloat16, or pass device='cuda' together with torch.float16)",
            stacklevel=3,
        )
        return torch.float32
    return dtype


def _load_model(
    source: str, dtype: torch.dtype, local_files_only: bool, offline: bool | str | None
) -> torch.nn.Module:
    """``AutoModelForDepthEstimation.from_pretrained`` with a short, actionable error."""
    from transformers import AutoModelForDepthEstimation
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # no "Loading weights" bar in the user's console
    try:
        return AutoModelForDepthEstimation.from_pretrained(  # safetensors only: no pickles
            source, dtype=dtype, local_files_only=local_files_only, use_safetensors=True
        )
    except (OSError, ValueError) as err:
        message = load_error_message(
            source,
            err,
            what="teacher weights",
            model="depth model",
            needs="config.json and model.safetensors, as written by save_pretrained or "
            "`hf download`",
            usage='DepthAnythingTeacher("DIR") or build_teacher("DIR")',
            example_id=DEFAULT_HUB_ID,
            local_files_only=offline,
        )
        raise TeacherLoadError(message, source) from None
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def _load_normalisation(
    source: str, local_files_only: bool
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(mean, std) from the checkpoint's preprocessor config, else the ImageNet values."""
    from transformers.image_processing_utils import ImageProcessingMixin

    try:
        config, _ = ImageProcessingMixin.get_image_processor_dict(
            source, local_files_only=local_files_only
        )
    except (OSError, ValueError):
        return IMAGENET_MEAN, IMAGENET_STD
    if not config.get("do_normalize", True):
        return (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    mean = config.get("image_mean", IMAGENET_MEAN)
    std = config.get("image_std", IMAGENET_STD)
    mean = tuple(float(v) for v in (mean if isinstance(mean, (list, tuple)) else [mean] * 3))
    std = tuple(float(v) for v in (std if isinstance(std, (list, tuple)) else [std] * 3))
    if len(mean) != 3 or len(std) != 3 or min(std) <= 0:
        raise TeacherLoadError(
            f"preprocessor config of {source!r} has an unusable image_mean/image_std "
            f"({mean}, {std}); expected three values each, std > 0",
            source,
        )
    return mean, std
