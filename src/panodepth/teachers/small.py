"""A small perspective depth network, its teacher wrapper and its safetensors file format.

What this module owns:
    * :class:`SmallUNet` — a ≈1 M-parameter UNet (GroupNorm, four 2× downsamplings, so
      the network itself needs ``H`` and ``W`` divisible by 16). RGB in [0, 1] is normalised
      inside (ImageNet mean / std); the output is relative disparity ≥ 0 through a softplus.
    * :class:`SmallTeacher` — a frozen :class:`~panodepth.teachers.Teacher` around a
      :class:`SmallUNet` (``output_kind = "relative_disparity"``) that takes any input size
      (reflect-padded to a multiple of 16 and cropped back; views larger than the size
      the weights were trained at are first reduced to it, or resized to ``input_size``).
    * :func:`save_small_teacher` / :func:`load_small_teacher` — one ``.safetensors`` file
      holding the weights (float16 by default) and string metadata: the format tag
      :data:`FORMAT`, the architecture config (``arch``, JSON) and whatever the trainer
      records (the exact command, data, steps, metrics, …; every value JSON-encoded).
    * :class:`SmallTeacherWeights` — the weights shipped in the package:
      ``build_teacher("synthetic-small")`` loads ``teachers/weights/synthetic-small.safetensors``,
      trained by ``panodepth train-teacher`` on perspective renders of the synthetic
      ``office``, ``hotel``, ``loft``, ``classroom`` and ``outdoor`` domains (never ``cabin``,
      the validation domain, nor ``home``, the held-out test domain). Its metadata holds the
      exact command; :func:`read_metadata` prints it back.

Conventions: images (N, 3, H, W) float RGB in [0, 1]; disparity (N, 1, H, W), relative
(unknown scale and shift per image, like MiDaS / Depth Anything). The training targets were
``1 / planar depth`` (sky invalid), so the output is a perspective (z-) disparity.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panodepth.conventions import IMAGENET_MEAN, IMAGENET_STD
from panodepth.io import atomic_save

from .base import (
    Teacher,
    TeacherLoadError,
    TeacherWeights,
    WeightsEnum,
    predict_in_chunks,
    teacher_options,
)

FORMAT = "panodepth-small-teacher/1"
"""Format tag stored under the ``format`` metadata key of every file this module writes."""

MULTIPLE = 16
"""The network's input sides must be multiples of this (four 2× downsamplings)."""

SHIPPED_WEIGHTS = Path(__file__).parent / "weights" / "synthetic-small.safetensors"
"""The weights shipped in the package (``build_teacher("synthetic-small")``)."""


@dataclass(frozen=True)
class SmallUNetConfig:
    """Architecture of :class:`SmallUNet`.

    Attributes:
        widths: channels at each of the 5 resolutions (full, 1/2, 1/4, 1/8, 1/16).
        groups: GroupNorm groups (each width must be divisible by it).
    """

    widths: tuple[int, ...] = (16, 32, 48, 96, 160)
    groups: int = 8

    def __post_init__(self) -> None:
        widths = tuple(int(w) for w in self.widths)
        if len(widths) != 5 or any(w <= 0 or w % self.groups for w in widths):
            raise ValueError(
                f"widths must be 5 positive multiples of groups={self.groups}, got {widths}"
            )
        object.__setattr__(self, "widths", widths)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SmallUNetConfig:
        return cls(widths=tuple(data["widths"]), groups=int(data["groups"]))


class _Block(nn.Sequential):
    """Two (3×3 conv → GroupNorm → ReLU) layers."""

    def __init__(self, cin: int, cout: int, groups: int) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.GroupNorm(groups, cout),
            nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False),
            nn.GroupNorm(groups, cout),
            nn.ReLU(inplace=True),
        )


class SmallUNet(nn.Module):
    """A small UNet: RGB in [0, 1] → relative disparity ≥ 0 (softplus), same size.

    Args:
        config: the architecture (default :class:`SmallUNetConfig`).

    Shapes:
        (N, 3, H, W) → (N, 1, H, W), with ``H`` and ``W`` multiples of :data:`MULTIPLE`
        (use :class:`SmallTeacher` for other sizes).

    Example:
        >>> net = SmallUNet()
        >>> net(torch.rand(2, 3, 32, 48)).shape
        torch.Size([2, 1, 32, 48])
    """

    def __init__(self, config: SmallUNetConfig | None = None) -> None:
        super().__init__()
        self.config = config or SmallUNetConfig()
        w, g = self.config.widths, self.config.groups
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.enc = nn.ModuleList([_Block(3, w[0], g)])
        self.enc.extend(_Block(w[i], w[i + 1], g) for i in range(4))
        self.dec = nn.ModuleList(_Block(w[i + 1] + w[i], w[i], g) for i in reversed(range(4)))
        self.head = nn.Conv2d(w[0], 1, 1)

    def forward(self, images: Tensor) -> Tensor:
        h, w = images.shape[-2:]
        if h % MULTIPLE or w % MULTIPLE:
            raise ValueError(
                f"SmallUNet needs H and W divisible by {MULTIPLE}, got {h}×{w} "
                "(SmallTeacher pads any size)"
            )
        x = (images - self.mean) / self.std
        skips = []
        for i, block in enumerate(self.enc):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        skips.pop()
        for block in self.dec:
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat([x, skip], dim=1))
        return F.softplus(self.head(x))


def save_small_teacher(
    net: SmallUNet,
    path: str | os.PathLike,
    metadata: Mapping[str, Any] | None = None,
    dtype: torch.dtype = torch.float16,
) -> Path:
    """Write ``net``'s weights and ``metadata`` to a ``.safetensors`` file.

    Args:
        net: the network.
        path: output file (parent folders are created); written atomically.
        metadata: extra JSON-serialisable values (the command, data, metrics, …); the keys
            ``format`` and ``arch`` are reserved.
        dtype: storage dtype of the floating-point weights (float16 halves the file;
            :func:`load_small_teacher` always returns float32 weights).

    Returns:
        The path written.
    """
    from safetensors.torch import save

    extra = dict(metadata or {})
    reserved = {"format", "arch"} & set(extra)
    if reserved:
        raise ValueError(f"metadata keys {sorted(reserved)} are reserved")
    meta = {"format": FORMAT, "arch": json.dumps(asdict(net.config))}
    meta.update({str(k): json.dumps(v) for k, v in extra.items()})
    tensors = {
        k: (v.detach().to(dtype) if v.is_floating_point() else v.detach()).cpu().contiguous()
        for k, v in net.state_dict().items()
    }
    data = save(tensors, metadata=meta)
    path = Path(path)
    atomic_save(path, lambda f: f.write(data))
    return path


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The metadata of a small-teacher file, JSON values decoded (``format`` stays a string).

    Raises:
        TeacherLoadError: the file is missing, not safetensors, or not of :data:`FORMAT`.
    """
    from safetensors import safe_open

    source = os.fspath(path)
    if not os.path.isfile(source):
        raise TeacherLoadError(f"teacher weights file {source!r} does not exist", source)
    try:
        with safe_open(source, framework="pt") as f:
            raw = f.metadata() or {}
    except Exception as err:  # safetensors raises its own error types for corrupt files
        raise TeacherLoadError(
            f"{source!r} is not a readable safetensors file ({err})", source
        ) from err
    if raw.get("format") != FORMAT:
        raise TeacherLoadError(
            f"{source!r} is not a panodepth small-teacher file (format {raw.get('format')!r}, "
            f"expected {FORMAT!r})",
            source,
        )
    return {k: v if k == "format" else _json_or_str(v) for k, v in raw.items()}


def load_small_teacher(path: str | os.PathLike) -> tuple[SmallUNet, dict[str, Any]]:
    """Load a file written by :func:`save_small_teacher`: ``(network in float32, metadata)``.

    Loading is strict: missing or unexpected keys and shape mismatches raise.

    Raises:
        TeacherLoadError: missing, corrupt or incompatible file (the message names it).
    """
    from safetensors.torch import load_file

    source = os.fspath(path)
    meta = read_metadata(source)
    try:
        net = SmallUNet(SmallUNetConfig.from_dict(meta["arch"]))
        state = load_file(source)
        net.load_state_dict({k: v.to(torch.float32) for k, v in state.items()}, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise TeacherLoadError(
            f"cannot load small-teacher weights {source!r}: {err}", source
        ) from err
    return net, meta


def _json_or_str(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


class SmallTeacher(Teacher):
    """A frozen :class:`SmallUNet` as a teacher: any image size in, relative disparity out.

    Args:
        model: a ``.safetensors`` file written by :func:`save_small_teacher` (e.g.
            :data:`SHIPPED_WEIGHTS`), or a :class:`SmallUNet` instance (used as is, frozen).
        input_size: the short side (pixels) images are resized to (bilinear, antialiased)
            before the network; the output is resized back. ``"auto"`` (default): views
            larger than the size the weights were trained at (the file's ``spec.size``, 64
            for the shipped weights) are reduced to it, smaller ones run at their own size
            (the network is fully convolutional; the shipped weights saw 32–64 px); an int:
            always that size; ``None``: always the input's own size.
        chunk_size: images per forward pass (bounds peak memory, not the result).
        device: where the network lives (default CPU; the module also follows ``.to()``).
        dtype: network dtype (float32 default; bfloat16 works on CPU and GPU).
        local_files_only: accepted for :func:`~panodepth.teachers.build_teacher`
            compatibility and ignored (the weights are a local file).

    Attributes:
        metadata: the file's metadata (empty for a module).
        source: the file path, or ``"<module>"``.

    Raises:
        TeacherLoadError: a missing, corrupt or incompatible weights file (names the file).

    Example:
        >>> teacher = SmallTeacher(SmallUNet())
        >>> teacher(torch.rand(6, 3, 40, 40)).shape
        torch.Size([6, 1, 40, 40])
    """

    output_kind = "relative_disparity"

    def __init__(
        self,
        model: str | os.PathLike | SmallUNet = SHIPPED_WEIGHTS,
        input_size: int | Literal["auto"] | None = "auto",
        chunk_size: int = 64,
        device: torch.device | str | None = None,
        dtype: torch.dtype | str | None = None,
        local_files_only: bool | None = None,
    ) -> None:
        super().__init__()
        del local_files_only  # the weights are always a local file
        if input_size not in (None, "auto") and (
            isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < 1
        ):
            raise ValueError(
                f"input_size must be a positive int, 'auto' or None, got {input_size!r}"
            )
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
        if isinstance(model, SmallUNet):
            net, self.metadata, self.source = model, {}, "<module>"
        elif isinstance(model, (str, os.PathLike)):
            net, self.metadata = load_small_teacher(model)
            self.source = os.fspath(model)
        else:
            raise TypeError(f"model must be a path or a SmallUNet, got {type(model).__name__}")
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype.replace("bf16", "bfloat16").replace("fp", "float"))
        net.requires_grad_(False)
        self.net = net.to(device=torch.device(device or "cpu"), dtype=dtype or torch.float32)
        self.input_size = input_size
        self.trained_size = _trained_size(self.metadata)
        self.chunk_size = chunk_size
        self.eval()

    def extra_repr(self) -> str:
        return f"source={self.source!r}, input_size={self.input_size}"

    def forward(self, images: Tensor) -> Tensor:
        """Disparity ≥ 0 of each image, (N, 3, H, W) in [0, 1] → (N, 1, H, W) (see class doc)."""
        param = next(self.net.parameters())
        return predict_in_chunks(
            images, self.chunk_size, param.device, lambda x: self._predict(x, param.dtype)
        )

    def _predict(self, x: Tensor, dtype: torch.dtype) -> Tensor:
        """Resize (optional) → pad to a multiple of 16 → network → crop → resize back."""
        height, width = x.shape[-2:]
        target = self.input_size
        if target == "auto":
            short = min(height, width)
            target = min(short, self.trained_size) if self.trained_size else None
        if target is not None:
            scale = target / min(height, width)
            size = (max(1, round(height * scale)), max(1, round(width * scale)))
            if size != (height, width):
                x = F.interpolate(x, size=size, mode="bilinear", antialias=True)
        h, w = x.shape[-2:]
        ph, pw = -h % MULTIPLE, -w % MULTIPLE
        if ph or pw:
            # reflect needs pad < side; replicate covers tiny images
            mode = "reflect" if ph < h and pw < w else "replicate"
            x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode=mode)
        pred = self.net(x.to(dtype)).to(torch.float32)
        pred = pred[..., ph // 2 : ph // 2 + h, pw // 2 : pw // 2 + w]
        if (h, w) != (height, width):
            pred = F.interpolate(
                pred, size=(height, width), mode="bilinear", antialias=h > height or w > width
            )
        return pred


def _trained_size(metadata: dict[str, Any]) -> int | None:
    """The view size the weights were trained at (``spec.size`` of the file), if recorded."""
    spec = metadata.get("spec")
    size = spec.get("size") if isinstance(spec, dict) else None
    return int(size) if isinstance(size, int) and size > 0 else None


def num_params(net: nn.Module) -> int:
    """Number of parameters of ``net``."""
    return sum(p.numel() for p in net.parameters())


_SHIPPED_NUM_PARAMS = num_params(SmallUNet())  # architecture of the shipped file (default)


class SmallTeacherWeights(WeightsEnum):
    """Small teachers shipped in the package (``hub_id`` holds the local file's path).

    ``SYNTHETIC_SMALL`` (``"synthetic-small"``, the demo's default teacher): trained on
    perspective renders of the synthetic ``office``, ``hotel``, ``loft``, ``classroom`` and
    ``outdoor`` domains (the validation domain ``cabin`` picked its weights; the held-out
    test domain ``home`` is never seen); the exact command, data, steps and its
    metrics are in the file's metadata (:func:`read_metadata`) and in the README.
    """

    SYNTHETIC_SMALL = TeacherWeights(
        str(SHIPPED_WEIGHTS),
        _SHIPPED_NUM_PARAMS,
        "Apache-2.0",
        "relative_disparity",
        64,
        "https://arxiv.org/abs/1907.01341",  # the MiDaS affine-invariant training objective
    )
    DEFAULT = SYNTHETIC_SMALL

    def build(
        self,
        *,
        input_size: int | None = None,
        chunk_size: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | str | None = None,
        local_files_only: bool | None = None,
    ) -> SmallTeacher:
        """``SmallTeacher(<shipped file>, ...)`` (``input_size="auto"`` by default: views over
        the 64 px it was trained at are reduced to 64)."""
        options = teacher_options(input_size, chunk_size, device, dtype, local_files_only)
        return SmallTeacher(self.hub_id, **options)
