"""Matterport3D panoramas as stitched by UniFuse: RGB ``.jpg`` + range depth at 1/4000 m.

Layout (UniFuse's stitching of the Matterport3D skybox images, 1024×2048)::

    <root>/<scene>/pano_skybox_color/<id>.jpg
    <root>/<scene>/pano_depth/<id>.png        uint16, metres = value / 4000, 0 = invalid

Split files (optional) are UniFuse's ``matterport3d_{train,val,test}.txt``: one
``<scene>/pano_skybox_color/<id>.jpg <scene>/pano_depth/<id>.png`` pair per line, relative
to ``root``. Lines naming a panorama as ``<scene> <id>`` or ``<scene>/<id>`` (no suffix) are
accepted too and mapped onto the layout above. Without a split file, every scene folder of
``root`` is scanned. Sample names are ``<scene>/<id>``.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..augment import Augment
from .base import (
    IMAGE_SUFFIXES,
    DatasetError,
    DepthEncoding,
    PanoramaDataset,
    Record,
    read_list_lines,
    require_dir,
)
from .listfile import check_suffix

DEPTH_SCALE = 1 / 4000  # metres per unit
RGB_DIR = "pano_skybox_color"
DEPTH_DIR = "pano_depth"
LAYOUT = f"<scene>/{RGB_DIR}/<id>.jpg with <scene>/{DEPTH_DIR}/<id>.png"


class Matterport3D(PanoramaDataset):
    """Matterport3D (UniFuse stitching): labeled panoramas, range depth in metres.

    Args:
        root: the dataset folder (holding the scene folders).
        split_file: a UniFuse split file (see the module docstring) or ``None`` for every
            panorama under ``root``.
        height, augment, max_depth, seed: see :class:`~.base.PanoramaDataset`.

    Raises:
        DatasetError: missing root / split file, no panoramas, a missing depth partner, a
            bad split-file line (at construction); corrupt files (when read).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        split_file: str | os.PathLike | None = None,
        *,
        height: int | None,
        augment: Augment | None = None,
        max_depth: float = 10.0,
        seed: int = 0,
    ) -> None:
        root = require_dir(root, "Matterport3D root")
        records = _scan(root) if split_file is None else _from_split(root, Path(split_file))
        if not records:
            raise DatasetError(f"{root}: no Matterport3D panoramas found (expected {LAYOUT})")
        super().__init__(
            records,
            height=height,
            augment=augment,
            max_depth=max_depth,
            seed=seed,
            depth=DepthEncoding(scale=DEPTH_SCALE),
            source=split_file if split_file is not None else root,
        )


def _record(root: Path, scene: str, rgb: Path) -> Record:
    return Record(
        name=f"{scene}/{rgb.stem}", rgb=rgb, depth=root / scene / DEPTH_DIR / f"{rgb.stem}.png"
    )


def _scan(root: Path) -> list[Record]:
    records = []
    for scene_dir in sorted(p for p in root.iterdir() if (p / RGB_DIR).is_dir()):
        for rgb in sorted((scene_dir / RGB_DIR).iterdir()):
            if rgb.is_file() and rgb.suffix.lower() in IMAGE_SUFFIXES:
                records.append(_record(root, scene_dir.name, rgb))
    return records


def _from_split(root: Path, split_file: Path) -> list[Record]:
    records = []
    for number, fields in read_list_lines(split_file):
        where = f"{split_file}:{number}"
        if len(fields) == 2 and all(Path(f).suffix for f in fields):  # rgb_path depth_path
            check_suffix(fields[0], IMAGE_SUFFIXES, where, "an RGB image")
            check_suffix(fields[1], (".png",), where, "a 16-bit depth PNG")
            rgb = Path(fields[0])
            parts = rgb.parts
            name = f"{parts[0]}/{rgb.stem}" if len(parts) == 3 and parts[1] == RGB_DIR else None
            records.append(
                Record(
                    name=name or rgb.with_suffix("").as_posix(),
                    rgb=root / rgb,
                    depth=root / fields[1],
                )
            )
            continue
        ids = fields[0].split("/") if len(fields) == 1 else fields
        if len(ids) != 2 or any(Path(f).suffix for f in ids):
            raise DatasetError(
                f"{where}: expected 'rgb_path depth_path', '<scene> <id>' or '<scene>/<id>', "
                f"got {' '.join(fields)!r}"
            )
        scene, pano = ids
        color = root / scene / RGB_DIR
        rgb = next(
            (color / f"{pano}{s}" for s in (".jpg", ".png") if (color / f"{pano}{s}").is_file()),
            color / f"{pano}.jpg",
        )
        records.append(_record(root, scene, rgb))
    return records
