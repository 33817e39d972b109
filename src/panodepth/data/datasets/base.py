"""What every panorama reader shares: records, file decoding, resizing and the sample dict.

A reader (:mod:`.matterport3d`, :mod:`.stanford2d3d`, ...) only finds its files: it turns a
dataset layout into a list of :class:`Record` (name, RGB path, depth path, mask path) and
hands it to :class:`PanoramaDataset`, which owns everything after that.

Sample dict (the contract with :mod:`panodepth.training`; B× added by collation):

    ``"rgb"``          float32 3×H×W in [0, 1]: the student's input (augmented, jittered)
    ``"rgb_teacher"``  float32 3×H×W: same roll / flip, no colour jitter (the same tensor
                       as ``"rgb"`` when no jitter was applied)
    ``"depth"``        float32 1×H×W range in metres, 0 where not ``valid`` (labeled only)
    ``"valid"``        bool 1×H×W: depth finite and in (0, max_depth] (labeled only)
    ``"region_valid"`` bool 1×H×W: pixels allowed for pseudo labels; only where the data
                       has that information (a mask file), otherwise the key is absent
    ``"roll"``         int64 scalar: pixels rolled to the right (see :mod:`..augment`)
    ``"flip"``         bool scalar: flipped left-right, after the roll
    ``"name"``         str: unique id within the dataset (a relative path, no suffix)

Conventions:
    * Size: every sample is ``height × 2·height`` (``height=None`` keeps the file's height).
      RGB is resized by :func:`~panodepth.io.images.load_panorama` (bilinear,
      antialiased; files within its 2:1 tolerance are resized with a warning, others
      rejected). Depth and masks are resized with ``nearest-exact``: depth values are never
      interpolated, so every output value is one of the file's values.
    * Depth files: 16-bit PNG with an explicit scale (metres per unit) given by the reader,
      never guessed from a path; raw 0 (and the reader's ``invalid`` raw value) = invalid.
      ``.npy`` / ``.exr`` hold float metres (the scale is ignored); non-finite or ≤ 0 =
      invalid. An 8-bit PNG is rejected (it is a visualisation, not depth). The files are
      decoded and validated by :mod:`panodepth.io` (``depth_png``, ``npy``, ``exr``).
    * Masks (:mod:`panodepth.io.masks`): ``"labels"`` — label maps, 0 = valid, anything else
      invalid (the synthetic ``mask/`` folders); ``"precomputed"`` —
      :func:`panodepth.masks.precompute_masks` files, value ≥ 128 = valid.
    * RGB, depth and mask files of one sample must have the same H×W.

Errors: every problem raises :class:`DatasetError` (a ``ValueError``) naming the file (and
line) and what is wrong (the errors of :mod:`panodepth.io` are re-raised as DatasetError).
Layout problems (missing root, no panoramas, missing partner files, bad list-file lines,
duplicate names) raise at construction; unreadable or corrupt files, wrong bit depth or
mismatched shapes raise when the sample is read.

Reproducibility: the augmentation of a sample is drawn from a ``torch.Generator`` seeded
with ``(dataset seed, *key)``. ``dataset[i]`` uses ``key = (epoch, i)`` (``set_epoch``);
:class:`~panodepth.data.mixing.MixedDataset` calls :meth:`PanoramaDataset.load` with its
own key. No global RNG is used, so results do not depend on DataLoader workers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.utils.data import Dataset

from panodepth.io import inputs as io_inputs
from panodepth.io import masks as io_masks
from panodepth.io.depth_png import read_depth_png
from panodepth.io.errors import FileFormatError, InputError
from panodepth.io.exr import read_exr
from panodepth.io.image_files import image_header
from panodepth.io.images import load_panorama
from panodepth.io.inputs import IMAGE_SUFFIXES, strip_suffix
from panodepth.io.masks import MASK_FORMATS, MaskFormat
from panodepth.io.npy import read_npy

from ..augment import Augment

DEPTH_SUFFIXES = (".png", ".npy", ".exr")

__all__ = [
    "DEPTH_SUFFIXES",
    "IMAGE_SUFFIXES",
    "MASK_FORMATS",
    "DatasetError",
    "DepthEncoding",
    "MaskFormat",
    "PanoramaDataset",
    "Record",
    "image_size",
    "read_depth",
    "read_list_lines",
    "read_mask",
    "require_dir",
    "resize_nearest",
    "sample_generator",
    "strip_suffix",
]


class DatasetError(ValueError):
    """A dataset that cannot be read: names the file (and line) and what is wrong with it."""


@dataclass(frozen=True)
class Record:
    """The files of one panorama: ``depth`` / ``mask`` are ``None`` when there are none."""

    name: str
    rgb: Path
    depth: Path | None = None
    mask: Path | None = None


@dataclass(frozen=True)
class DepthEncoding:
    """How a reader's 16-bit depth PNGs are stored.

    Attributes:
        scale: metres per unit (Matterport3D 1/4000, Stanford2D3D 1/512, Structured3D 1/1000);
            ``None`` only when every depth file is float (``.npy`` / ``.exr``).
        invalid: a raw value that marks invalid pixels besides 0 (Stanford2D3D: 65535).
    """

    scale: float | None
    invalid: int | None = None


class PanoramaDataset(Dataset):
    """A map-style dataset of equirect panoramas from a list of :class:`Record`.

    Args:
        records: the panoramas (from a reader's layout scan or list file).
        height: output height (width = 2·height); ``None`` keeps each file's height.
        augment: student augmentation (:class:`~panodepth.data.augment.Augment`) or ``None``.
        max_depth: depths above it (metres) are invalid.
        seed: augmentation seed (see the module docstring).
        depth: depth encoding for labeled datasets; ``None`` = unlabeled (RGB only).
        mask_format: how mask files are read, ``"labels"`` or ``"precomputed"``.
        source: what the records came from, for error messages (root or list file).

    Attributes:
        records: the :class:`Record` list; ``paths`` its RGB paths, ``names`` its names.
        labeled: whether samples carry ``"depth"`` / ``"valid"``.
        epoch: the epoch ``dataset[i]`` draws augmentations for (:meth:`set_epoch`).
    """

    def __init__(
        self,
        records: Sequence[Record],
        *,
        height: int | None,
        augment: Augment | None = None,
        max_depth: float = 10.0,
        seed: int = 0,
        depth: DepthEncoding | None = None,
        mask_format: MaskFormat = "labels",
        source: str | os.PathLike = "",
    ) -> None:
        super().__init__()
        if height is not None and (
            isinstance(height, bool) or int(height) != height or height <= 0
        ):
            raise DatasetError(f"height must be a positive integer or None, got {height!r}")
        if not (isinstance(max_depth, int | float) and max_depth > 0 and not math.isnan(max_depth)):
            raise DatasetError(f"max_depth must be a positive number of metres, got {max_depth!r}")
        if mask_format not in MASK_FORMATS:
            raise DatasetError(f"mask_format must be one of {MASK_FORMATS}, got {mask_format!r}")
        if augment is not None and not isinstance(augment, Augment):
            raise DatasetError(f"augment must be an Augment or None, got {type(augment).__name__}")
        if depth is not None and depth.scale is not None and not depth.scale > 0:
            raise DatasetError(f"{source}: depth scale must be positive, got {depth.scale}")
        self.source = str(source)
        if not records:
            raise DatasetError(f"{self.source}: no panoramas found")
        self.records = list(records)
        self.height = None if height is None else int(height)
        self.augment = augment
        self.max_depth = float(max_depth)
        self.seed = int(seed)
        self.depth_encoding = depth
        self.labeled = depth is not None
        self.mask_format: MaskFormat = mask_format
        self.epoch = 0
        if self.labeled and any(r.depth is None for r in self.records):
            first = next(r for r in self.records if r.depth is None)
            raise DatasetError(f"{first.rgb}: has no depth file")
        _check_unique_names(self.records, self.source)
        _check_files_exist(self.records, self.source)
        if self.labeled and depth.scale is None:  # type: ignore[union-attr]
            png = [r.depth for r in self.records if r.depth and r.depth.suffix.lower() == ".png"]
            if png:
                raise DatasetError(
                    f"{png[0]}: a 16-bit depth PNG needs an explicit depth_scale (metres per "
                    "unit, e.g. 0.001 for millimetres); the scale is never guessed"
                )

    # ------------------------------------------------------------------ dataset protocol

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict:
        return self.load(index)

    def __repr__(self) -> str:
        kind = "labeled" if self.labeled else "unlabeled"
        return (
            f"{type(self).__name__}({len(self)} {kind} panoramas from {self.source}, "
            f"height={self.height}, augment={self.augment is not None})"
        )

    @property
    def paths(self) -> list[Path]:
        """RGB file of every sample, in index order."""
        return [r.rgb for r in self.records]

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.records]

    def set_epoch(self, epoch: int) -> None:
        """Draw the augmentations of ``dataset[i]`` for ``epoch`` (key ``(epoch, i)``)."""
        self.epoch = int(epoch)

    def load(self, index: int, key: Iterable[int] | None = None) -> dict:
        """Read sample ``index``, its augmentation drawn with ``key`` (default ``(epoch, index)``).

        Raises:
            DatasetError: an unreadable or corrupt file, wrong bit depth, or RGB / depth /
                mask files of different sizes.
        """
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} panoramas")
        index = index % len(self)
        rec = self.records[index]
        native = image_size(rec.rgb) if (self.labeled or rec.mask is not None) else None
        depth = mask = None
        if self.labeled:
            assert rec.depth is not None and self.depth_encoding is not None
            depth = read_depth(rec.depth, self.depth_encoding)
            _check_same_size(rec.depth, depth, rec.rgb, native)
        if rec.mask is not None:
            mask = read_mask(rec.mask, self.mask_format)
            _check_same_size(rec.mask, mask, rec.rgb, native)
        rgb = _load_rgb(rec.rgb, self.height)
        size = (rgb.shape[-2], rgb.shape[-1])
        sample: dict = {"rgb": rgb}
        if depth is not None:
            depth = resize_nearest(depth, size)
            valid = torch.isfinite(depth) & (depth > 0) & (depth <= self.max_depth)
            sample["depth"] = torch.where(valid, depth, torch.zeros_like(depth))
            sample["valid"] = valid
        if mask is not None:
            sample["region_valid"] = resize_nearest(mask, size)
        if self.augment is not None:
            key = (self.epoch, index) if key is None else tuple(key)
            sample = self.augment(sample, sample_generator(self.seed, key))
        else:
            sample["rgb_teacher"] = rgb
            sample["roll"] = torch.tensor(0, dtype=torch.int64)
            sample["flip"] = torch.tensor(False)
        sample["name"] = rec.name
        return sample


# ---------------------------------------------------------------------- helpers


def sample_generator(seed: int, key: Iterable[int]) -> torch.Generator:
    """A CPU generator seeded from ``(seed, *key)`` (non-negative ints), well mixed."""
    words = [int(seed), *(int(k) for k in key)]
    if any(w < 0 for w in words):
        raise ValueError(f"seed and key must be non-negative integers, got {words}")
    state = np.random.SeedSequence(words).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state) & (2**63 - 1))


def read_list_lines(list_file: str | os.PathLike) -> list[tuple[int, list[str]]]:
    """``(line number, fields)`` of a whitespace-separated list file; ``#`` starts a comment.

    Paths in list files cannot contain spaces (:func:`panodepth.io.inputs.read_list_lines`).
    """
    try:
        return io_inputs.read_list_lines(list_file)
    except InputError as err:
        raise DatasetError(str(err)) from None


def require_dir(path: str | os.PathLike, what: str) -> Path:
    """``path`` as a Path, or a DatasetError if it is not an existing folder."""
    path = Path(path)
    if not path.is_dir():
        raise DatasetError(f"{path}: {what} folder not found")
    return path


def image_size(path: Path) -> tuple[int, int]:
    """``(height, width)`` of an image file, read from its header only."""
    try:
        w, h = image_header(path, exif=True)  # the upright size, as the RGB is read
    except FileFormatError as err:
        raise DatasetError(str(err)) from None
    return h, w


def read_depth(path: Path, encoding: DepthEncoding) -> Tensor:
    """A depth file as a float32 1×H×W tensor in metres; invalid pixels are 0 or non-finite.

    ``.png``: 16-bit, raw · ``encoding.scale``, raw 0 and ``encoding.invalid`` → 0.
    ``.npy`` / ``.exr``: float metres as stored (H×W or 1×H×W).
    """
    suffix = path.suffix.lower()
    if suffix not in DEPTH_SUFFIXES:
        raise DatasetError(f"{path}: unsupported depth file type (use {', '.join(DEPTH_SUFFIXES)})")
    if suffix == ".png" and encoding.scale is None:
        raise DatasetError(f"{path}: a 16-bit depth PNG needs an explicit depth scale")
    try:
        if suffix == ".png":
            depth = read_depth_png(path, encoding.scale).depth(encoding.invalid)
        elif suffix == ".npy":
            depth = read_npy(path)
        else:
            depth = read_exr(path)
    except FileFormatError as err:
        raise DatasetError(str(err)) from None
    return torch.from_numpy(depth)[None]


def read_mask(path: Path, mask_format: MaskFormat) -> Tensor:
    """A mask PNG as a bool 1×H×W tensor, True = valid (:func:`panodepth.io.masks.read_mask`)."""
    try:
        return io_masks.read_mask(path, mask_format)
    except FileFormatError as err:
        raise DatasetError(str(err)) from None


def resize_nearest(x: Tensor, size: tuple[int, int]) -> Tensor:
    """Resize a 1×H×W map (float or bool) to ``size`` by nearest neighbour (pixel centres)."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    src = x[None].float() if x.dtype == torch.bool else x[None]
    out = F.interpolate(src, size=size, mode="nearest-exact")[0]
    return out.bool() if x.dtype == torch.bool else out


def _load_rgb(path: Path, height: int | None) -> Tensor:
    try:
        return load_panorama(path, height)  # warns when it resizes a not-quite-2:1 file
    except FileFormatError as err:
        raise DatasetError(str(err)) from None


def _check_same_size(path: Path, x: Tensor, rgb: Path, native: tuple[int, int] | None) -> None:
    if native is not None and tuple(x.shape[-2:]) != native:
        h, w = x.shape[-2:]
        raise DatasetError(
            f"{path}: is {w}×{h} but its RGB {rgb.name} is {native[1]}×{native[0]}; "
            "RGB, depth and mask of a panorama must have the same size"
        )


def _check_unique_names(records: Sequence[Record], source: str) -> None:
    seen: dict[str, Path] = {}
    for r in records:
        if r.name in seen:
            raise DatasetError(
                f"{source}: two panoramas share the name {r.name!r} ({seen[r.name]} and {r.rgb})"
            )
        seen[r.name] = r.rgb


def _check_files_exist(records: Sequence[Record], source: str, shown: int = 5) -> None:
    missing = [
        (r.rgb, p, kind)
        for r in records
        for p, kind in ((r.rgb, "RGB"), (r.depth, "depth"), (r.mask, "mask"))
        if p is not None and not p.is_file()
    ]
    if missing:
        lines = "\n".join(
            f"  {p}: {kind} file not found" + (f" (partner of {rgb})" if p != rgb else "")
            for rgb, p, kind in missing[:shown]
        )
        more = f"\n  ... and {len(missing) - shown} more" if len(missing) > shown else ""
        raise DatasetError(f"{source}: {len(missing)} missing file(s):\n{lines}{more}")
