"""Distillation: pseudo labels from a perspective teacher on views of rotated panoramas.

:mod:`.projection` (cube / tangent views, the student-to-view mapping), :mod:`.pseudo_labels`
(online labels and the per-view loss) and :mod:`.cache` (precomputed labels on disk).
"""

from .cache import CachedPseudoLabels, load_pseudo_labels
from .projection import FaceProjection, face_grid, panorama_to_faces, student_to_faces
from .pseudo_labels import PseudoLabeler, PseudoLabels, pseudo_label_loss

__all__ = [
    "CachedPseudoLabels",
    "FaceProjection",
    "PseudoLabeler",
    "PseudoLabels",
    "face_grid",
    "load_pseudo_labels",
    "panorama_to_faces",
    "pseudo_label_loss",
    "student_to_faces",
]
