"""Student checkpoints, seen from training: the format lives in :mod:`panodepth.io.students`.

Saving and loading students (safetensors student files, Lightning ``.ckpt`` files of
:class:`~panodepth.training.DepthAnywhere`, the release's ``.pth`` files) moved to
:mod:`panodepth.io.students`, which does not import Lightning, so that ``panodepth predict``
and ``eval`` can load a student without the training stack. This module re-exports its
names so that ``panodepth.training`` and ``panodepth.training.checkpoint`` keep working.
"""

from __future__ import annotations

from panodepth.io.students import (
    FORMAT,
    STUDENT_PREFIX,
    load_student,
    load_student_weights,
    read_student_file,
    read_student_metadata,
    save_student,
)

__all__ = [
    "FORMAT",
    "STUDENT_PREFIX",
    "load_student",
    "load_student_weights",
    "read_student_file",
    "read_student_metadata",
    "save_student",
]
