"""The registry of named teachers and :func:`build_teacher`, above the implementations.

What this module owns:
    * :data:`TEACHERS` — registered names → weights members: the six Depth Anything
      checkpoints (``"depth-anything-v{1,2}-{small,base,large}"``,
      :class:`~panodepth.teachers.DepthAnythingWeights`) and the small teacher shipped in the
      package (``"synthetic-small"``, :class:`~panodepth.teachers.SmallTeacherWeights`),
      all registered here;
    * :func:`register_teacher`, :func:`list_teachers`, :func:`get_teacher_weights`;
    * :func:`build_teacher` — a teacher from a name, a weights member, a hub id, a local
      directory or a small-teacher ``.safetensors`` file.

Imports go one way: this module imports :mod:`.depth_anything` and :mod:`.small`, which
import only :mod:`.base`.
"""

from __future__ import annotations

import os

import torch

from panodepth.io.hub import is_bare_name, unknown_name_message

from .base import Teacher, TeacherLoadError, WeightsEnum, teacher_options
from .depth_anything import DepthAnythingTeacher, DepthAnythingWeights
from .small import SmallTeacher, SmallTeacherWeights

TEACHERS: dict[str, WeightsEnum] = {}
"""Registered teacher names → weights members (fill it with :func:`register_teacher`)."""


def register_teacher(name: str, weights: WeightsEnum) -> None:
    """Register ``weights`` under ``name`` (lower case, no ``/``); duplicate names raise."""
    if name != name.lower() or "/" in name or not name:
        raise ValueError(f"teacher names are lower case without '/', got {name!r}")
    if name in TEACHERS:
        raise ValueError(f"a teacher named {name!r} is already registered ({TEACHERS[name]})")
    TEACHERS[name] = weights


def list_teachers() -> list[str]:
    """Sorted names accepted by :func:`build_teacher`."""
    return sorted(TEACHERS)


def get_teacher_weights(name: str) -> WeightsEnum:
    """The weights member registered under ``name`` (case-insensitive)."""
    try:
        return TEACHERS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown teacher name {name!r}; registered: {list_teachers()}") from None


def build_teacher(
    name_or_path: str | os.PathLike | WeightsEnum,
    *,
    input_size: int | None = None,
    chunk_size: int | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype | str | None = None,
    local_files_only: bool | None = None,
) -> Teacher:
    """Build a teacher from a registered name, a weights member, a hub id or a local directory.

    Resolution order: a weights member; a string naming an *existing directory* (loaded from
    that directory, even if it looks like a registered name); a registered name
    (:func:`list_teachers`, case-insensitive; ``"synthetic-small"`` is the small teacher
    shipped in the package); a path ending in ``.safetensors`` (a
    :class:`~panodepth.teachers.SmallTeacher` file written by ``panodepth train-teacher``;
    a missing or corrupt file raises :class:`~panodepth.teachers.TeacherLoadError`); a hub id
    (``owner/name``) or a path for :class:`~panodepth.teachers.DepthAnythingTeacher` (any
    ``AutoModelForDepthEstimation`` checkpoint in the Depth Anything format). A bare word that
    is none of these (a typo) raises at once, naming the closest registered names.

    Args:
        name_or_path: e.g. ``"depth-anything-v2-small"``,
            ``"depth-anything/Depth-Anything-V2-Small-hf"`` or ``"/data/weights/da2-small"``.
        input_size, chunk_size, device, dtype, local_files_only: passed to the teacher's
            constructor; ``None`` keeps its default. A registered Depth Anything name sets
            ``input_size`` from its metadata (518) unless given; ``"synthetic-small"`` and
            small-teacher files run at the input's own size unless ``input_size`` is given.

    Raises:
        TeacherLoadError: the weights cannot be found (e.g. offline and not cached).

    Example:
        >>> teacher = build_teacher("depth-anything-v2-small", device="cuda")  # doctest: +SKIP
        >>> disparity = teacher(faces)  # (N, 3, S, S) → (N, 1, S, S)  # doctest: +SKIP
    """
    options = teacher_options(input_size, chunk_size, device, dtype, local_files_only)
    if isinstance(name_or_path, WeightsEnum):
        return name_or_path.build(**options)
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(
            f"name_or_path must be a str, os.PathLike or weights member, "
            f"got {type(name_or_path).__name__}"
        )
    source = os.fspath(name_or_path)
    if not os.path.isdir(source) and source.lower() in TEACHERS:
        return TEACHERS[source.lower()].build(**options)
    if source.endswith(".safetensors"):  # a file written by panodepth train-teacher
        return SmallTeacher(source, **options)
    if is_bare_name(source):  # a typo of a registered name, before any network call
        raise TeacherLoadError(unknown_name_message("teacher", source, list_teachers()), source)
    return DepthAnythingTeacher(source, **options)


for _version in ("v1", "v2"):
    for _size in ("small", "base", "large"):
        register_teacher(
            f"depth-anything-{_version}-{_size}",
            DepthAnythingWeights[f"{_version.upper()}_{_size.upper()}"],
        )
register_teacher("synthetic-small", SmallTeacherWeights.SYNTHETIC_SMALL)
