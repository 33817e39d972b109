"""Training: the Lightning module and data module of the recipe, the teacher loop.

:mod:`.module` (:class:`DepthAnywhere`, the recipe), :mod:`.datamodule`
(:class:`PanoramaDataModule`, GT:pseudo mixing and eval sets), :mod:`.teacher` (the loop that
trains the shipped small teacher), :mod:`.schedule` (the learning-rate schedule both use).
Student files (by registry name: safetensors files, Lightning checkpoints, released ``.pth``
files) are :mod:`panodepth.io.students`'s; their functions are re-exported here.

Names are imported on first use, so ``panodepth.training.teacher`` (and the student-file
functions) do not pull in Lightning; the Lightning names need the ``train`` extra
(:mod:`panodepth.extras`).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "DepthAnywhere": "panodepth.training.module",
    "PanoramaDataModule": "panodepth.training.datamodule",
    "load_student": "panodepth.io.students",
    "load_student_weights": "panodepth.io.students",
    "read_student_metadata": "panodepth.io.students",
    "save_student": "panodepth.io.students",
}

__all__ = sorted(_EXPORTS)


_NEEDS_TRAIN = {"DepthAnywhere", "PanoramaDataModule"}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        if name in _NEEDS_TRAIN:
            from panodepth.extras import require

            require("train", f"panodepth.training.{name}")
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'panodepth.training' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
