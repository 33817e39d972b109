"""Masks computed once, offline: one 8-bit PNG per image (255 = valid, 0 = invalid).

Grounded-SAM is far slower than a training step, so (as in the Depth Anywhere release) masks
of whole panoramas are computed ahead of training. :func:`precompute_masks` writes each mask
atomically and skips masks that already exist, so an interrupted run resumes where it stopped;
unreadable images are reported by name and the run goes on. The mask file format (255 =
valid, read as valid from 128) is :mod:`panodepth.io.masks`'s; :func:`read_valid_mask` is its
reader for the ``"precomputed"`` encoding.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import Tensor
from tqdm.auto import tqdm

from panodepth.io.errors import FileFormatError, PanoramaError
from panodepth.io.images import read_rgb
from panodepth.io.masks import INVALID, VALID, read_mask, write_mask_png

from .base import Masker, valid_share

__all__ = [
    "INVALID",
    "VALID",
    "PrecomputeSummary",
    "mask_paths",
    "precompute_masks",
    "read_valid_mask",
]


@dataclass
class PrecomputeSummary:
    """What :func:`precompute_masks` did.

    Attributes:
        done: images whose mask was computed and written in this run.
        skipped: images whose mask file already existed.
        failed: unreadable images → the reason.
        valid_share: share of valid pixels of every image with a mask (done or skipped).
        masks: image → its mask file (done or skipped).
        min_valid: the masker's threshold; see :attr:`dropped`.
    """

    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: dict[Path, str] = field(default_factory=dict)
    valid_share: dict[Path, float] = field(default_factory=dict)
    masks: dict[Path, Path] = field(default_factory=dict)
    min_valid: float = 0.0

    @property
    def dropped(self) -> list[Path]:
        """Images with a valid share below ``min_valid`` (to leave out of training)."""
        return [p for p, s in self.valid_share.items() if s < self.min_valid]

    def __str__(self) -> str:
        return (
            f"{len(self.done)} masks written, {len(self.skipped)} already there, "
            f"{len(self.failed)} unreadable, {len(self.dropped)} below {self.min_valid:.0%} valid"
        )


def read_valid_mask(path: str | os.PathLike) -> Tensor:
    """Read a mask PNG as a ``(1, H, W)`` bool tensor (True = valid, i.e. value >= 128).

    The same as :func:`panodepth.io.masks.read_mask` with ``"precomputed"`` (its one rule: a
    single-channel image; errors are :class:`~panodepth.io.errors.FileFormatError` s).
    """
    return read_mask(path, "precomputed")


def mask_paths(
    image_paths: Iterable[str | os.PathLike],
    out_dir: str | os.PathLike,
    root: str | os.PathLike | None = None,
) -> dict[Path, Path]:
    """Where the mask of each image goes: ``out_dir/<relative path>.png``.

    Args:
        image_paths: the images.
        out_dir: the mask folder.
        root: if given, masks mirror the images' paths relative to ``root`` (so images with
            the same name in different folders do not collide); otherwise the file stem is
            used and two images with the same stem raise ``ValueError``.
    """
    out = Path(out_dir)
    result: dict[Path, Path] = {}
    owner: dict[Path, Path] = {}
    for p in image_paths:
        p = Path(p)
        if root is not None:
            try:
                rel = p.resolve().relative_to(Path(root).resolve())
            except ValueError:
                raise ValueError(f"{p}: is not inside root {root}") from None
            target = out / rel.with_suffix(".png")
        else:
            target = out / f"{p.stem}.png"
        if target in owner and owner[target] != p:
            raise ValueError(
                f"{owner[target]} and {p} would both write {target}; pass root= so masks "
                "mirror the folder structure"
            )
        owner[target] = p
        result[p] = target
    return result


def precompute_masks(
    masker: Masker,
    image_paths: Iterable[str | os.PathLike],
    out_dir: str | os.PathLike,
    *,
    root: str | os.PathLike | None = None,
    batch_size: int = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> PrecomputeSummary:
    """Compute and write the validity mask of every image, resumably.

    Args:
        masker: any :class:`~panodepth.masks.Masker`; run under ``torch.no_grad`` on the
            device its parameters are on (CPU for parameter-free maskers).
        image_paths: RGB images (read with :func:`panodepth.io.images.read_rgb`).
        out_dir: where masks go (see :func:`mask_paths` for the names).
        root: makes mask paths mirror the image paths relative to ``root``.
        batch_size: images per masker call; consecutive images of the same size are batched.
        overwrite: recompute masks that already exist (default: skip them).
        progress: show a tqdm progress bar.

    Returns:
        A :class:`PrecomputeSummary` (done / skipped / failed, valid share per image).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    targets = mask_paths(image_paths, out_dir, root)
    summary = PrecomputeSummary(min_valid=masker.min_valid)
    params = list(masker.parameters())
    device = params[0].device if params else torch.device("cpu")

    todo: list[Path] = []
    for img, target in targets.items():
        if target.exists() and not overwrite:
            try:
                share = float(read_valid_mask(target).float().mean())
            except FileFormatError:
                todo.append(img)  # a damaged mask (not ours: our writes are atomic) is redone
                continue
            summary.skipped.append(img)
            summary.valid_share[img] = share
            summary.masks[img] = target
        else:
            todo.append(img)

    bar = tqdm(total=len(targets), desc="masks", unit="img", disable=not progress)
    bar.update(len(targets) - len(todo))
    try:
        for start in range(0, len(todo), batch_size):
            loaded: list[tuple[Path, Tensor]] = []
            for img in todo[start : start + batch_size]:
                try:
                    loaded.append((img, read_rgb(img)))
                except PanoramaError as err:
                    summary.failed[img] = str(err)
                    bar.write(f"skipping unreadable image: {err}")
                    bar.update(1)
            for group in _same_size_runs(loaded):
                batch = torch.stack([t for _, t in group]).to(device)
                with torch.no_grad():
                    valid = masker(batch)
                shares = valid_share(valid).tolist()
                for (img, _), v, share in zip(group, valid, shares, strict=True):
                    write_mask_png(targets[img], v.to(torch.uint8) * VALID)
                    summary.done.append(img)
                    summary.valid_share[img] = share
                    summary.masks[img] = targets[img]
                bar.update(len(group))
    finally:
        bar.close()
    return summary


def _same_size_runs(items: list[tuple[Path, Tensor]]) -> list[list[tuple[Path, Tensor]]]:
    """Split into runs of consecutive images with the same shape (so each run stacks)."""
    runs: list[list[tuple[Path, Tensor]]] = []
    for item in items:
        if runs and runs[-1][0][1].shape == item[1].shape:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs
