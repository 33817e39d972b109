"""Distillation: pseudo labels from a perspective teacher on views of rotated panoramas.

:mod:`.projection` (cube / tangent views, the student-to-view mapping), :mod:`.pseudo_labels`
(the :class:`PseudoLabels` record, online labels, the :class:`LabelSource` contract and the
teacher source, the per-view loss), :mod:`.simulated` (the simulated teacher: its
:class:`SimulationParams` and source) and :mod:`.cache` (precomputed labels on disk: the one
driver :func:`precompute_pseudo_labels`, the file format, the reader).
"""

from .cache import CachedPseudoLabels, load_pseudo_labels, precompute_pseudo_labels
from .projection import FaceProjection, face_grid, panorama_to_faces, student_to_faces
from .pseudo_labels import (
    LabelSource,
    PseudoLabeler,
    PseudoLabels,
    TeacherSource,
    pseudo_label_loss,
)
from .simulated import SimulatedSource, SimulationParams, simulated_pseudo_labels

__all__ = [
    "CachedPseudoLabels",
    "FaceProjection",
    "LabelSource",
    "PseudoLabeler",
    "PseudoLabels",
    "SimulatedSource",
    "SimulationParams",
    "TeacherSource",
    "face_grid",
    "load_pseudo_labels",
    "panorama_to_faces",
    "precompute_pseudo_labels",
    "pseudo_label_loss",
    "simulated_pseudo_labels",
    "student_to_faces",
]
