"""Perspective depth teachers: frozen depth models that label images (e.g. cube faces).

One interface, :class:`Teacher` (``(N, 3, H, W)`` RGB in [0, 1] → ``(N, 1, H, W)`` disparity
≥ 0, :mod:`.base`), one implementation through ``transformers`` (:class:`DepthAnythingTeacher`,
Depth Anything V1/V2 and compatible checkpoints, :mod:`.depth_anything`), a small UNet teacher
shipped in the package with its file format (:class:`SmallTeacher`, ``"synthetic-small"``, the
demo's default, :mod:`.small`; trained by :mod:`panodepth.training.teacher` /
``panodepth train-teacher``), a tiny random Depth Anything for tests (:mod:`.tiny`), and the
registry of named weights (:mod:`.registry`: :func:`build_teacher`, :func:`list_teachers`,
:class:`DepthAnythingWeights`, :class:`SmallTeacherWeights`). Teachers know nothing about
panoramas, and this package imports no training code.
"""

from panodepth.conventions import OUTPUT_KINDS, OutputKind

from .base import (
    Teacher,
    TeacherLoadError,
    TeacherWeights,
    WeightsEnum,
)
from .depth_anything import DepthAnythingTeacher, DepthAnythingWeights
from .registry import (
    TEACHERS,
    build_teacher,
    get_teacher_weights,
    list_teachers,
    register_teacher,
)
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
