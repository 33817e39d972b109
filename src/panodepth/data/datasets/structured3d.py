"""Structured3D panoramas (photo-realistic renderings): RGB + range depth in millimetres.

Layout (official ``Structured3D_panorama_*.zip`` release, 512×1024)::

    <root>/scene_<XXXXX>/2D_rendering/<room>/panorama/<rendering>/rgb_<light>.png
    <root>/scene_<XXXXX>/2D_rendering/<room>/panorama/<rendering>/depth.png
        uint16, metres = value / 1000, 0 = invalid

``<rendering>`` is ``full`` / ``simple`` / ``empty`` (furniture configurations), ``<light>``
``rawlight`` / ``warmlight`` / ``coldlight``. The official data organisation puts a
``depth.png`` in each rendering folder; a ``panorama/depth.png`` one level up is accepted as
a fallback (some re-packagings). The depth of one rendering is never used for another (the
``empty`` rooms lack the furniture of ``full``). ``root`` may also be the folder that holds
the extracted ``Structured3D/`` folder.

Official scene splits: :data:`TRAIN_SCENES` 0–2999, :data:`VAL_SCENES` 3000–3249,
:data:`TEST_SCENES` 3250–3499. The dataset is distributed in parts, so requested scenes
missing under ``root`` are skipped with one warning. Rooms without the requested RGB are
skipped (Structured3D lacks some renderings); an RGB without its depth is an error.
Sample names are ``scene_<XXXXX>/<room>/<rendering>``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path

from ..augment import Augment
from .base import DatasetError, DepthEncoding, PanoramaDataset, Record, require_dir

DEPTH_SCALE = 0.001  # metres per unit (millimetres)
TRAIN_SCENES = range(0, 3000)
VAL_SCENES = range(3000, 3250)
TEST_SCENES = range(3250, 3500)
SPLITS = {"train": TRAIN_SCENES, "val": VAL_SCENES, "test": TEST_SCENES}
RENDERINGS = ("full", "simple", "empty")
LIGHTS = ("rawlight", "warmlight", "coldlight")


class Structured3D(PanoramaDataset):
    """Structured3D panoramas: labeled, range depth in metres.

    Args:
        root: the folder holding the ``scene_<XXXXX>`` folders (or a ``Structured3D/`` one).
        scenes: scene numbers (e.g. :data:`TRAIN_SCENES`), an official split name
            (``"train"``, ``"val"``, ``"test"``) or ``None`` for every scene found.
        rendering: ``"full"``, ``"simple"`` or ``"empty"``.
        light: ``"rawlight"`` (default, as in Depth Anywhere), ``"warmlight"``, ``"coldlight"``.
        labeled: ``False`` reads the RGB only (the pseudo-labeled set of Depth Anywhere).
        height, augment, max_depth, seed: see :class:`~.base.PanoramaDataset`.

    Raises:
        DatasetError: missing root, unknown rendering / light, no panoramas, an RGB
            without its depth (at construction); corrupt files (when read).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        scenes: Iterable[int] | str | None = None,
        rendering: str = "full",
        *,
        light: str = "rawlight",
        labeled: bool = True,
        height: int | None,
        augment: Augment | None = None,
        max_depth: float = 10.0,
        seed: int = 0,
    ) -> None:
        if rendering not in RENDERINGS:
            raise DatasetError(f"rendering must be one of {RENDERINGS}, got {rendering!r}")
        if light not in LIGHTS:
            raise DatasetError(f"light must be one of {LIGHTS}, got {light!r}")
        if isinstance(scenes, str):
            if scenes not in SPLITS:
                raise DatasetError(
                    f"scenes must be numbers or one of {list(SPLITS)}, got {scenes!r}"
                )
            scenes = SPLITS[scenes]
        root = require_dir(root, "Structured3D root")
        if not any(root.glob("scene_*")) and (root / "Structured3D").is_dir():
            root = root / "Structured3D"
        scene_dirs = _scene_dirs(root, scenes)
        records = []
        for scene in scene_dirs:
            records += _scene_records(scene, rendering, light, labeled)
        if not records:
            raise DatasetError(
                f"{root}: no Structured3D panoramas found (expected scene_<XXXXX>/2D_rendering/"
                f"<room>/panorama/{rendering}/rgb_{light}.png with depth.png beside it)"
            )
        super().__init__(
            records,
            height=height,
            augment=augment,
            max_depth=max_depth,
            seed=seed,
            depth=DepthEncoding(scale=DEPTH_SCALE) if labeled else None,
            source=root,
        )


def _scene_dirs(root: Path, scenes: Iterable[int] | None) -> list[Path]:
    if scenes is None:
        return sorted(p for p in root.glob("scene_*") if p.is_dir())
    wanted = []
    for s in scenes:
        try:
            number = int(str(s).removeprefix("scene_"))
        except ValueError:
            raise DatasetError(f"Structured3D scenes must be numbers, got {s!r}") from None
        wanted.append(root / f"scene_{number:05d}")
    found = [p for p in wanted if p.is_dir()]
    if found and len(found) < len(wanted):
        warnings.warn(
            f"{root}: {len(wanted) - len(found)} of {len(wanted)} requested Structured3D scenes "
            "are not there (skipped)",
            stacklevel=3,
        )
    return found


def _scene_records(scene: Path, rendering: str, light: str, labeled: bool) -> list[Record]:
    records = []
    rooms = scene / "2D_rendering"
    if not rooms.is_dir():
        return records
    for room in sorted(p for p in rooms.iterdir() if p.is_dir()):
        folder = room / "panorama" / rendering
        rgb = folder / f"rgb_{light}.png"
        if not rgb.is_file():
            continue
        depth: Path | None = folder / "depth.png"
        if not depth.is_file() and (room / "panorama" / "depth.png").is_file():
            depth = room / "panorama" / "depth.png"
        if not labeled:
            depth = None
        records.append(Record(name=f"{scene.name}/{room.name}/{rendering}", rgb=rgb, depth=depth))
    return records
