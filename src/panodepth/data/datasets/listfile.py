"""Generic labeled list files: one ``rgb_path depth_path`` pair per line.

This module owns the list-file format shared by :class:`ListDataset`, the split files of
:class:`~.matterport3d.Matterport3D` / :class:`~.stanford2d3d.Stanford2D3D` (UniFuse style)
and the synthetic folders' ``list.txt``::

    # comments and blank lines are ignored; paths are relative to ``root``
    17DRP5sb8fy/pano_skybox_color/df21.jpg 17DRP5sb8fy/pano_depth/df21.png

Depth files: 16-bit PNG at ``depth_scale`` metres per unit (required for PNGs: the scale is
never guessed), or ``.npy`` / ``.exr`` float metres (the scale is ignored for them).
Paths cannot contain spaces. Sample names are the RGB paths as listed, without suffix.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from panodepth.io.inputs import IMAGE_SUFFIXES, strip_suffix

from ..augment import Augment
from .base import (
    DEPTH_SUFFIXES,
    DatasetError,
    DepthEncoding,
    PanoramaDataset,
    Record,
    read_list_lines,
    require_dir,
)


def pair_records(
    list_file: str | os.PathLike,
    root: str | os.PathLike | None = None,
    name: Callable[[str], str] = strip_suffix,
) -> list[Record]:
    """Records of an ``rgb depth`` list file (paths relative to ``root``, default its folder).

    Args:
        name: sample name from the RGB path as written in the file.

    Raises:
        DatasetError: missing list file or root, or a line that is not two image paths
            (named by ``file:line``).
    """
    list_file = Path(list_file)
    base = list_file.parent if root is None else require_dir(root, "dataset root")
    records = []
    for number, fields in read_list_lines(list_file):
        where = f"{list_file}:{number}"
        if len(fields) != 2:
            raise DatasetError(
                f"{where}: expected 'rgb_path depth_path', got {len(fields)} field(s): "
                f"{' '.join(fields)!r}"
            )
        rgb, depth = fields
        check_suffix(rgb, IMAGE_SUFFIXES, where, "an RGB image")
        check_suffix(depth, DEPTH_SUFFIXES, where, "a depth map")
        records.append(Record(name=name(rgb), rgb=base / rgb, depth=base / depth))
    return records


def check_suffix(path: str, suffixes: tuple[str, ...], where: str, what: str) -> None:
    """Raise a DatasetError at ``where`` if ``path`` does not end in one of ``suffixes``."""
    if Path(path).suffix.lower() not in suffixes:
        raise DatasetError(f"{where}: {path!r} is not {what} ({', '.join(suffixes)})")


class ListDataset(PanoramaDataset):
    """Labeled panoramas from a list file of ``rgb_path depth_path`` lines.

    Args:
        list_file: the list file (format in the module docstring).
        root: folder the paths are relative to (default: the list file's folder).
        depth_scale: metres per unit of 16-bit depth PNGs (e.g. 0.001 for mm); required when
            any depth file is a PNG, ignored for ``.npy`` / ``.exr`` (float metres).
        invalid: a raw PNG value marking invalid pixels besides 0 (e.g. 65535).
        height, augment, max_depth, seed: see :class:`~.base.PanoramaDataset`.

    Raises:
        DatasetError: see :mod:`.base` (bad lines name ``file:line``).
    """

    def __init__(
        self,
        list_file: str | os.PathLike,
        root: str | os.PathLike | None = None,
        depth_scale: float | None = None,
        invalid: int | None = None,
        *,
        height: int | None,
        augment: Augment | None = None,
        max_depth: float = 10.0,
        seed: int = 0,
    ) -> None:
        records = pair_records(list_file, root)
        if depth_scale is None and any(r.depth.suffix.lower() == ".png" for r in records):  # type: ignore[union-attr]
            raise DatasetError(
                f"{list_file}: its depth PNGs need depth_scale= (metres per unit, e.g. 0.001 "
                "for millimetres, 1/4000 for Matterport3D, 1/512 for Stanford2D3D); "
                "the scale is never guessed"
            )
        super().__init__(
            records,
            height=height,
            augment=augment,
            max_depth=max_depth,
            seed=seed,
            depth=DepthEncoding(scale=depth_scale, invalid=invalid),
            source=list_file,
        )
