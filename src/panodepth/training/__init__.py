"""Training: the Lightning module and data module of the recipe, and student checkpoints.

:mod:`.module` (:class:`DepthAnywhere`, the recipe), :mod:`.datamodule`
(:class:`PanoramaDataModule`, GT:pseudo mixing and eval sets), :mod:`.checkpoint` (students
by registry name: safetensors files and Lightning checkpoints).
"""

from .checkpoint import load_student, load_student_weights, save_student
from .datamodule import PanoramaDataModule
from .module import DepthAnywhere

__all__ = [
    "DepthAnywhere",
    "PanoramaDataModule",
    "load_student",
    "load_student_weights",
    "save_student",
]
