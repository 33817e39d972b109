"""Unlabeled panoramas (RGB only) from a folder, a single image or a list file.

Sources and names follow :func:`panodepth.io.collect_inputs` (the rule ``panodepth
pseudo-label`` and ``predict`` use too, so cached pseudo labels line up with this dataset):

    * a folder: every image below it, recursively (suffixes
      :data:`~panodepth.io.inputs.IMAGE_SUFFIXES`), sorted by path, hidden files skipped;
      names are the paths relative to the folder, without suffix;
    * one image file: a dataset of one; its name is the file stem;
    * a list file (``.txt``, ``.lst``, ``.list``): the first field of every line is an image
      path relative to the list file's folder (a second field, e.g. a depth path, is
      ignored, so labeled list files can be read as unlabeled); ``#`` comments; names are
      the paths relative to the list file's folder (as listed), without suffix.

Masks (optional): ``masks`` is a folder with one PNG per image, at
``<masks>/<relative path>.png`` or, failing that, ``<masks>/<stem>.png`` — the two layouts
:func:`panodepth.masks.mask_paths` writes. ``mask_format="precomputed"`` (default) reads
:func:`panodepth.masks.precompute_masks` files (≥ 128 = valid, 0 = invalid);
``mask_format="labels"`` reads label maps (0 = valid, anything else — sky, watermark — is
invalid). Masks become the sample's ``"region_valid"``; every image needs one (checked at
construction). A masks folder inside a source folder is not read as images.
"""

from __future__ import annotations

import os
from pathlib import Path

from panodepth.io.errors import InputError
from panodepth.io.inputs import IMAGE_SUFFIXES, LIST_SUFFIXES, InputItem, collect_inputs

from ..augment import Augment
from .base import DatasetError, MaskFormat, PanoramaDataset, Record, require_dir


class UnlabeledPanoramas(PanoramaDataset):
    """RGB panoramas without depth, optionally with validity masks.

    Args:
        source: a folder (recursive), one image, or a list file (see the module docstring).
        masks: a folder of mask PNGs or ``None`` (then samples have no ``"region_valid"``).
        mask_format: ``"precomputed"`` (255 valid) or ``"labels"`` (0 valid).
        height, augment, max_depth, seed: see :class:`~.base.PanoramaDataset`
            (``max_depth`` is unused: there is no depth).

    Raises:
        DatasetError: a missing source or masks folder, no images, a missing mask, a bad
            list-file line (at construction); unreadable images (when read).
    """

    def __init__(
        self,
        source: str | os.PathLike,
        masks: str | os.PathLike | None = None,
        *,
        mask_format: MaskFormat = "precomputed",
        height: int | None,
        augment: Augment | None = None,
        max_depth: float = 10.0,
        seed: int = 0,
    ) -> None:
        source = Path(source)
        mask_dir = None if masks is None else require_dir(masks, "masks")
        items = _collect(source, mask_dir)
        if not items:
            raise DatasetError(f"{source}: no images found ({', '.join(IMAGE_SUFFIXES)})")
        records = []
        missing = []
        for item in items:
            mask = None
            if mask_dir is not None:
                candidates = (mask_dir / f"{item.name}.png", mask_dir / f"{item.path.stem}.png")
                mask = next((c for c in candidates if c.is_file()), None)
                if mask is None:
                    missing.append(f"  {item.path}: no mask at {candidates[0]} or {candidates[1]}")
            records.append(Record(name=item.name, rgb=item.path, mask=mask))
        if missing:
            more = f"\n  ... and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise DatasetError(
                f"{mask_dir}: {len(missing)} image(s) without a mask:\n"
                + "\n".join(missing[:5])
                + more
            )
        super().__init__(
            records,
            height=height,
            augment=augment,
            max_depth=max_depth,
            seed=seed,
            depth=None,
            mask_format=mask_format,
            source=source,
        )


def _collect(source: Path, mask_dir: Path | None) -> list[InputItem]:
    """The images of ``source`` (:func:`~panodepth.io.collect_inputs`), masks folder left out."""
    if not source.exists():
        raise DatasetError(f"{source}: no such folder, image or list file")
    if source.is_file() and source.suffix.lower() not in IMAGE_SUFFIXES + LIST_SUFFIXES:
        raise DatasetError(
            f"{source}: not an image ({', '.join(IMAGE_SUFFIXES)}) or a list file "
            f"({', '.join(LIST_SUFFIXES)})"
        )
    try:
        items = collect_inputs(source)
    except InputError as err:
        raise DatasetError(str(err)) from None
    if mask_dir is None or not source.is_dir():
        return items
    skip = mask_dir.resolve()
    return [item for item in items if skip not in item.path.resolve().parents]
