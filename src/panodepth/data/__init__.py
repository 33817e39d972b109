"""Data: reading and writing panoramas and depth maps, dataset readers, augmentation,
labeled/unlabeled mixing and synthetic scenes."""

from .augment import Augment, apply_roll_flip, undo_roll_flip
from .datasets import (
    TEST_AREAS,
    TEST_SCENES,
    TRAIN_AREAS,
    TRAIN_SCENES,
    VAL_SCENES,
    DatasetError,
    ListDataset,
    Matterport3D,
    PanoramaDataset,
    Stanford2D3D,
    Structured3D,
    SyntheticPanoramas,
    UnlabeledPanoramas,
)
from .imageio import (
    PanoramaError,
    load_panorama,
    read_depth_png,
    read_rgb,
    write_depth_png,
    write_mask_png,
    write_png,
)
from .mixing import MixedDataset, collate_mixed

__all__ = [
    "TEST_AREAS",
    "TEST_SCENES",
    "TRAIN_AREAS",
    "TRAIN_SCENES",
    "VAL_SCENES",
    "Augment",
    "DatasetError",
    "ListDataset",
    "Matterport3D",
    "MixedDataset",
    "PanoramaDataset",
    "PanoramaError",
    "Stanford2D3D",
    "Structured3D",
    "SyntheticPanoramas",
    "UnlabeledPanoramas",
    "apply_roll_flip",
    "collate_mixed",
    "load_panorama",
    "read_depth_png",
    "read_rgb",
    "undo_roll_flip",
    "write_depth_png",
    "write_mask_png",
    "write_png",
]
