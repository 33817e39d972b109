"""Data: dataset readers, augmentation, labeled/unlabeled mixing and synthetic scenes.

Reading and writing files (panoramas, depth maps, masks, atomic writes) is
:mod:`panodepth.io`'s job; ``load_panorama``, ``read_rgb``, ``write_png``,
``write_depth_png``, ``write_mask_png`` and ``PanoramaError`` are re-exported here.

Names are imported lazily (on first use), so that importing one submodule, e.g.
``panodepth.data.synthetic``, does not import the augmentation (torchvision) or every
dataset reader.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "Augment": ".augment",
    "apply_roll_flip": ".augment",
    "undo_roll_flip": ".augment",
    "TEST_AREAS": ".datasets",
    "TEST_SCENES": ".datasets",
    "TRAIN_AREAS": ".datasets",
    "TRAIN_SCENES": ".datasets",
    "VAL_SCENES": ".datasets",
    "DatasetError": ".datasets",
    "ListDataset": ".datasets",
    "Matterport3D": ".datasets",
    "PanoramaDataset": ".datasets",
    "Stanford2D3D": ".datasets",
    "Structured3D": ".datasets",
    "SyntheticPanoramas": ".datasets",
    "UnlabeledPanoramas": ".datasets",
    "MixedDataset": ".mixing",
    "collate_mixed": ".mixing",
    "PanoramaError": "panodepth.io.errors",
    "load_panorama": "panodepth.io.images",
    "read_rgb": "panodepth.io.images",
    "write_png": "panodepth.io.images",
    "write_depth_png": "panodepth.io.depth_png",
    "write_mask_png": "panodepth.io.masks",
}
_SUBMODULES = ("augment", "config", "datasets", "mixing", "patterns", "synthetic")

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})
