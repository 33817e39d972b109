"""Reader for ``panodepth synth`` folders (:mod:`panodepth.data.synthetic.dataset`).

A folder holds ``meta.json`` (``"format": "panodepth-synthetic/1"``, the depth encoding),
``list.txt`` (``rgb/00000.png depth/00000.png`` lines), ``rgb/``, ``depth/`` (16-bit,
``meta["depth"]["scale_m"]`` metres per unit, 0 = invalid sky) and ``mask/`` (labels: 0 valid,
1 sky, 2 watermark). The depth scale is read from ``meta.json``, never assumed.

``labeled=True`` gives labeled samples; ``labeled=False`` the same panoramas as unlabeled
ones (no ``"depth"`` / ``"valid"``), e.g. the pseudo-label domain of the synthetic experiment.
Both carry ``"region_valid"`` = mask label 0 when the folder has ``mask/``. Sample names
are the file stems (``"00000"``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..augment import Augment
from ..synthetic.dataset import FORMAT
from .base import DatasetError, DepthEncoding, PanoramaDataset, Record, require_dir
from .listfile import pair_records


class SyntheticPanoramas(PanoramaDataset):
    """A ``panodepth synth`` folder as a labeled or an unlabeled dataset.

    Args:
        root: the folder ``panodepth synth`` wrote.
        labeled: return depth and ``valid`` (``True``) or RGB only (``False``).
        height, augment, max_depth, seed: see :class:`~.base.PanoramaDataset`.

    Raises:
        DatasetError: missing folder or ``meta.json``, another format, missing files (at
            construction); corrupt files (when read).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        labeled: bool = True,
        *,
        height: int | None,
        augment: Augment | None = None,
        max_depth: float = 10.0,
        seed: int = 0,
    ) -> None:
        root = require_dir(root, "synthetic dataset")
        meta = _read_meta(root / "meta.json")
        depth_meta = meta.get("depth")
        if not isinstance(depth_meta, dict) or not isinstance(
            depth_meta.get("scale_m"), int | float
        ):
            raise DatasetError(f"{root / 'meta.json'}: no depth scale (depth.scale_m)")
        invalid = depth_meta.get("invalid")
        encoding = DepthEncoding(
            scale=float(depth_meta["scale_m"]), invalid=invalid if invalid else None
        )
        has_masks = (root / "mask").is_dir()
        records = [
            Record(
                name=r.rgb.stem,
                rgb=r.rgb,
                depth=r.depth if labeled else None,
                mask=root / "mask" / r.rgb.name if has_masks else None,
            )
            for r in pair_records(root / str(meta.get("list", "list.txt")), root)
        ]
        super().__init__(
            records,
            height=height,
            augment=augment,
            max_depth=max_depth,
            seed=seed,
            depth=encoding if labeled else None,
            mask_format="labels",
            source=root,
        )


def _read_meta(path: Path) -> dict:
    if not path.is_file():
        raise DatasetError(f"{path}: not found; not a `panodepth synth` folder")
    try:
        meta = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DatasetError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise DatasetError(f"{path}: format {found!r} is not {FORMAT!r}")
    return meta
