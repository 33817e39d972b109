"""Training: the Lightning module and data module of the recipe, and student checkpoints.

:mod:`.module` (:class:`DepthAnywhere`, the recipe), :mod:`.datamodule`
(:class:`PanoramaDataModule`, GT:pseudo mixing and eval sets). Student files (by registry
name: safetensors files, Lightning checkpoints, released ``.pth`` files) are
:mod:`panodepth.io.students`'s; their functions are re-exported here.
"""

from panodepth.io.students import (
    load_student,
    load_student_weights,
    read_student_metadata,
    save_student,
)

from .datamodule import PanoramaDataModule
from .module import DepthAnywhere

__all__ = [
    "DepthAnywhere",
    "PanoramaDataModule",
    "load_student",
    "load_student_weights",
    "read_student_metadata",
    "save_student",
]
