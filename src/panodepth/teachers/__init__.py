"""Perspective depth teachers: frozen depth models that label images (e.g. cube faces).

One interface, :class:`Teacher` (``(N, 3, H, W)`` RGB in [0, 1] → ``(N, 1, H, W)`` disparity
≥ 0), one implementation through ``transformers`` (:class:`DepthAnythingTeacher`, Depth
Anything V1/V2 and compatible checkpoints), and a registry of named weights
(:func:`build_teacher`, :func:`list_teachers`, :class:`DepthAnythingWeights`). Teachers know
nothing about panoramas.
"""

from .base import (
    OUTPUT_KINDS,
    TEACHERS,
    OutputKind,
    Teacher,
    TeacherLoadError,
    TeacherWeights,
    WeightsEnum,
    build_teacher,
    get_teacher_weights,
    list_teachers,
    register_teacher,
)
from .depth_anything import DepthAnythingTeacher, DepthAnythingWeights

__all__ = [
    "OUTPUT_KINDS",
    "TEACHERS",
    "DepthAnythingTeacher",
    "DepthAnythingWeights",
    "OutputKind",
    "Teacher",
    "TeacherLoadError",
    "TeacherWeights",
    "WeightsEnum",
    "build_teacher",
    "get_teacher_weights",
    "list_teachers",
    "register_teacher",
]
