"""Dataset readers: one module per layout, one shared sample contract (:mod:`.base`).

* :class:`Matterport3D`, :class:`Stanford2D3D`, :class:`Structured3D` — the real datasets in
  their own layouts and depth scales;
* :class:`ListDataset` — any ``rgb depth`` list file with an explicit depth scale;
* :class:`UnlabeledPanoramas` — folders, images or list files of RGB panoramas (+ masks);
* :class:`SyntheticPanoramas` — ``panodepth synth`` folders, labeled or unlabeled.

All return the sample dict documented in :mod:`.base` and raise :class:`DatasetError`.
"""

from .base import DatasetError, DepthEncoding, PanoramaDataset, Record, sample_generator
from .listfile import ListDataset
from .matterport3d import Matterport3D
from .stanford2d3d import TEST_AREAS, TRAIN_AREAS, Stanford2D3D
from .structured3d import TEST_SCENES, TRAIN_SCENES, VAL_SCENES, Structured3D
from .synthetic import SyntheticPanoramas
from .unlabeled import UnlabeledPanoramas

__all__ = [
    "TEST_AREAS",
    "TEST_SCENES",
    "TRAIN_AREAS",
    "TRAIN_SCENES",
    "VAL_SCENES",
    "DatasetError",
    "DepthEncoding",
    "ListDataset",
    "Matterport3D",
    "PanoramaDataset",
    "Record",
    "Stanford2D3D",
    "Structured3D",
    "SyntheticPanoramas",
    "UnlabeledPanoramas",
    "sample_generator",
]
