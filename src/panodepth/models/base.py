"""The contract every 360° student follows, and what they share.

Forward contract (all students, any registry name):
    input  (B, 3, H, W) RGB in [0, 1], equirect with W = 2·H and H % 32 == 0
           (ImageNet normalisation happens inside the model);
    output (B, 1, H, W), whose meaning is chosen at construction by ``output``:
      * ``"disparity"``: relative disparity (unknown scale and shift; output kind
        ``"relative_disparity"``) — for the affine-invariant Depth Anywhere recipe, where only
        the shape of the map matters;
      * ``"depth"``: metric depth in metres (``"metric_depth"``) — for BerHu training on metric
        ground truth; :meth:`Student360.to_disparity` turns either into disparity;
    and whose last activation by ``head`` (default: the one that suits ``output``):
      * ``"softplus"`` (the default for ``"disparity"``): ≥ 0;
      * ``"sigmoid"`` (the default for ``"depth"``): ``max_depth · sigmoid``, in (0, max_depth);
      * ``"linear"``: the raw map, any sign — the head of the Depth Anywhere release's BiFuse++,
        HoHoNet and EGFormer (its UniFuse is ``"sigmoid"`` with ``max_depth`` 10, read as
        relative disparity: ``output="disparity", head="sigmoid"``).

On the Hub (:mod:`.hub`): ``student.save_pretrained(folder)``, ``student.push_to_hub(id)``
and ``Student360.from_pretrained(folder or id)``, which rebuilds whichever architecture the
folder names.

Projection grids used inside a network (e.g. a cube branch) come from
:mod:`panodepth.geometry` (one cube convention in the whole project) and are never
parameters: they are built on the input's device and cached there, so state dicts hold only
weights.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panodepth import checks
from panodepth.conventions import IMAGENET_MEAN, IMAGENET_STD, OutputKind
from panodepth.geometry import safe_reciprocal

from .hub import StudentHubMixin

OUTPUTS = ("disparity", "depth")
HEADS = ("softplus", "sigmoid", "linear")
DEFAULT_HEADS = {"disparity": "softplus", "depth": "sigmoid"}
OUTPUT_KIND_OF: dict[str, OutputKind] = {"disparity": "relative_disparity", "depth": "metric_depth"}


class Student360(nn.Module, StudentHubMixin):
    """Base class of the 360° students: input checks, normalisation and the output head.

    Subclasses implement :meth:`predict` (normalised images → raw one-channel map at the
    input size); :meth:`forward` wraps it. Every student built by
    :func:`~panodepth.models.build_model` also has ``save_pretrained``, ``push_to_hub`` and
    ``Student360.from_pretrained`` (:mod:`.hub`).
    """

    def __init__(
        self, output: str = "disparity", max_depth: float = 10.0, head: str | None = None
    ) -> None:
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        if not max_depth > 0:
            raise ValueError(f"max_depth must be positive, got {max_depth!r}")
        head = DEFAULT_HEADS[output] if head is None else head
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS} (or None), got {head!r}")
        self.output = output
        self.max_depth = float(max_depth)
        self.head_kind = head
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), False)

    @property
    def output_kind(self) -> OutputKind:
        """What the output means, in the teachers' vocabulary (:mod:`panodepth.conventions`):
        ``"relative_disparity"`` (``output="disparity"``) or ``"metric_depth"``."""
        return OUTPUT_KIND_OF[self.output]

    def to_disparity(self, out: Tensor) -> Tensor:
        """The disparity of an output of this student: as it is for ``"disparity"``,
        1/metres for ``"depth"`` (0 where the depth is ≤ 0)."""
        if self.output == "disparity":
            return out
        return safe_reciprocal(out, out > 0)

    @property
    def min_height(self) -> int:
        """The smallest input height this student runs at (a multiple of 32)."""
        return 32

    def predict(self, x: Tensor) -> Tensor:  # pragma: no cover - abstract
        """(B, 3, H, W) ImageNet-normalised images → (B, 1, H, W) raw map."""
        raise NotImplementedError

    def forward(self, images: Tensor) -> Tensor:
        check_panorama_batch(images)
        raw = self.predict((images - self.mean.to(images.dtype)) / self.std.to(images.dtype))
        return self.head(raw)

    def head(self, raw: Tensor) -> Tensor:
        if self.head_kind == "sigmoid":
            return self.max_depth * torch.sigmoid(raw)
        if self.head_kind == "softplus":
            return F.softplus(raw)
        return raw


RELEASE_MIN_HEIGHT = 64  # the release's cube branches need ≥ 2 equirect rows at 1/32


def check_release_height(height: int, name: str) -> None:
    """The release's math of the cube-branch students needs H ≥ 64 (≥ 2 rows at 1/32)."""
    if height < RELEASE_MIN_HEIGHT:
        raise ValueError(
            f"{name} with the release's math (release_math=True) needs H ≥ "
            f"{RELEASE_MIN_HEIGHT} (its cube stitching needs ≥ 2 rows at 1/32), got H = {height}"
        )


def check_panorama_batch(images: object, multiple: int = 32) -> Tensor:
    """Check a (B, 3, H, W) float equirect batch with W = 2·H and H % ``multiple`` == 0.

    Shapes and dtype only (:mod:`panodepth.checks`): this runs in every forward pass. With the
    debug switch on it also refuses NaN/Inf; the [0, 1] range is the callers' boundary check.
    """
    images = checks.check_is_tensor(images, "images")
    checks.check_shape(images, ["B", "3", "H", "W"], name="images")
    if not images.is_floating_point():
        raise checks.DTypeError(f"images must be float RGB in [0, 1], got dtype {images.dtype}")
    h, w = images.shape[-2:]
    if w != 2 * h or h % multiple:
        raise checks.ShapeError(
            f"students need equirect input with W = 2·H and H divisible by {multiple}, "
            f"got H×W = {h}×{w}; resize the panorama first (e.g. to 256×512 or 512×1024)"
        )
    if checks.debug_checks_enabled():
        checks.check_finite(images, "images")
    return images
