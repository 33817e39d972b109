"""Stanford2D3D (2D-3D-S) panoramas: RGB PNG (may carry alpha) + range depth at 1/512 m.

Layout of the official ``pano`` release (2048×4096)::

    <root>/area_<X>/pano/rgb/camera_<hash>_<room>_frame_equirectangular_domain_rgb.png
    <root>/area_<X>/pano/depth/camera_<hash>_<room>_frame_equirectangular_domain_depth.png
        uint16, metres = value / 512, 65535 (and 0) = invalid

Areas are 1, 2, 3, 4, 5a, 5b and 6; the standard split tests on area 5 (5a + 5b, 373
panoramas) and trains on the others (:data:`TRAIN_AREAS`, :data:`TEST_AREAS`). An area
selector ``"5"`` (or ``5``) matches ``area_5``, ``area_5a`` and ``area_5b``; ``"5a"`` only
``area_5a``. Split files (optional) are UniFuse-style ``rgb_path depth_path`` lines relative to
``root`` (UniFuse's own files point into its re-organised ``area_5a/rgb_/``, ``depth/``
folders); ``areas`` then filters them by their first path component. Sample names are
``area_<X>/camera_<hash>_<room>_frame_equirectangular_domain``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from ..augment import Augment
from .base import (
    IMAGE_SUFFIXES,
    DatasetError,
    DepthEncoding,
    PanoramaDataset,
    Record,
    require_dir,
)
from .listfile import pair_records

DEPTH_SCALE = 1 / 512  # metres per unit
INVALID = 65535  # raw value of missing depth
TRAIN_AREAS = ("1", "2", "3", "4", "6")
TEST_AREAS = ("5",)  # 5a and 5b
LAYOUT = "area_<X>/pano/rgb/<...>_domain_rgb.png with area_<X>/pano/depth/<...>_domain_depth.png"


class Stanford2D3D(PanoramaDataset):
    """Stanford2D3D panoramas: labeled, range depth in metres, alpha dropped from RGB.

    Args:
        root: the dataset folder (holding the ``area_<X>`` folders).
        split_file: an ``rgb_path depth_path`` split file, or ``None`` to scan ``root``.
        areas: area selectors (``TRAIN_AREAS``, ``TEST_AREAS``, ``["5a"]``, ...) or ``None``
            for all areas.
        height, augment, max_depth, seed: see :class:`~.base.PanoramaDataset`.

    Raises:
        DatasetError: missing root, unknown area selectors, no panoramas for the selected
            areas, missing depth partners (at construction); corrupt files (when read).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split_file: str | os.PathLike | None = None,
        areas: Iterable[str | int] | None = None,
        *,
        height: int | None,
        augment: Augment | None = None,
        max_depth: float = 10.0,
        seed: int = 0,
    ) -> None:
        root = require_dir(root, "Stanford2D3D root")
        selectors = None if areas is None else [_selector(a) for a in areas]
        if split_file is None:
            records = _scan(root, selectors)
        else:
            records = pair_records(split_file, root, name=_name)
            if selectors is not None:
                records = [r for r in records if _selected(_area_of(r.name), selectors)]
        if not records:
            found = sorted(p.name for p in root.glob("area_*") if p.is_dir())
            raise DatasetError(
                f"{split_file or root}: no Stanford2D3D panoramas for areas "
                f"{'all' if selectors is None else selectors} (areas found: {found or 'none'}; "
                f"expected {LAYOUT})"
            )
        super().__init__(
            records,
            height=height,
            augment=augment,
            max_depth=max_depth,
            seed=seed,
            depth=DepthEncoding(scale=DEPTH_SCALE, invalid=INVALID),
            source=split_file if split_file is not None else root,
        )


def _selector(area: str | int) -> str:
    s = str(area).lower().removeprefix("area_")
    if not re.fullmatch(r"\d+[a-z]?", s):
        raise DatasetError(f"unknown Stanford2D3D area {area!r}: use e.g. 1, '5', '5a', 'area_6'")
    return s


def _selected(area: str, selectors: list[str] | None) -> bool:
    if selectors is None:
        return True
    area = area.lower().removeprefix("area_")
    return any(area == s or (s.isdigit() and re.fullmatch(rf"{s}[a-z]", area)) for s in selectors)


def _area_of(name: str) -> str:
    return name.split("/", 1)[0]


def _name(rgb: str) -> str:
    """``area_X/<stem without _rgb>`` from an RGB path (official or UniFuse layout)."""
    path = Path(rgb)
    return f"{path.parts[0]}/{path.stem.removesuffix('_rgb')}"


def _scan(root: Path, selectors: list[str] | None) -> list[Record]:
    records = []
    for area in sorted(p for p in root.glob("area_*") if p.is_dir()):
        if not _selected(area.name, selectors):
            continue
        rgb_dir, depth_dir = area / "pano" / "rgb", area / "pano" / "depth"
        if not rgb_dir.is_dir():
            continue
        for rgb in sorted(rgb_dir.iterdir()):
            if not (rgb.is_file() and rgb.suffix.lower() in IMAGE_SUFFIXES):
                continue
            stem = rgb.stem.removesuffix("_rgb")
            records.append(
                Record(name=f"{area.name}/{stem}", rgb=rgb, depth=depth_dir / f"{stem}_depth.png")
            )
    return records
