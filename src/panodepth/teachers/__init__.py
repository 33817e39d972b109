"""Perspective depth teachers: frozen depth models that label images (e.g. cube faces).

One interface, :class:`Teacher` (``(N, 3, H, W)`` RGB in [0, 1] → ``(N, 1, H, W)`` disparity
≥ 0), one implementation through ``transformers`` (:class:`DepthAnythingTeacher`, Depth
Anything V1/V2 and compatible checkpoints), a small UNet teacher shipped in the package and
trained on synthetic views (:class:`SmallTeacher`, ``"synthetic-small"``, the demo's default;
trained by :mod:`panodepth.teachers.training` / ``panodepth train-teacher``), and a registry
of named weights (:func:`build_teacher`, :func:`list_teachers`, :class:`DepthAnythingWeights`,
:class:`SmallTeacherWeights`). Teachers know nothing about panoramas.
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
from .small import (
    SHIPPED_WEIGHTS,
    SmallTeacher,
    SmallTeacherWeights,
    SmallUNet,
    SmallUNetConfig,
    load_small_teacher,
    read_metadata,
    save_small_teacher,
)

__all__ = [
    "OUTPUT_KINDS",
    "SHIPPED_WEIGHTS",
    "TEACHERS",
    "DepthAnythingTeacher",
    "DepthAnythingWeights",
    "OutputKind",
    "SmallTeacher",
    "SmallTeacherWeights",
    "SmallUNet",
    "SmallUNetConfig",
    "Teacher",
    "TeacherLoadError",
    "TeacherWeights",
    "WeightsEnum",
    "build_teacher",
    "get_teacher_weights",
    "list_teachers",
    "load_small_teacher",
    "read_metadata",
    "register_teacher",
    "save_small_teacher",
]
