"""The 360° students: one builder per architecture and a registry by name.

Importing this package registers the built-in students (``unifuse``, ``bifusepp``, ...);
their classes (:class:`UniFuse`, :class:`BiFusePP`, :class:`HoHoNet`, :class:`EGFormer`,
:class:`PanoUNet`) are exported here.
All share the forward contract of :mod:`.base`. The Depth Anywhere release's trained
checkpoints load with :func:`load_released` (:mod:`.released`). Every student has
``save_pretrained`` / ``push_to_hub``, and ``Student360.from_pretrained(folder or hub id)``
rebuilds any of them (:mod:`.hub`).
"""

from .base import HEADS, OUTPUTS, Student360, check_panorama_batch
from .bifusepp import BiFusePP  # each architecture module registers its builder
from .egformer import EGFormer
from .hohonet import HoHoNet
from .registry import (
    build_model,
    documented_params,
    get_model_builder,
    list_models,
    register_model,
)
from .released import ReleasedWeights, ReleaseFormatError, load_released
from .unifuse import UniFuse

__all__ = [
    "HEADS",
    "OUTPUTS",
    "BiFusePP",
    "EGFormer",
    "HoHoNet",
    "ReleaseFormatError",
    "ReleasedWeights",
    "Student360",
    "UniFuse",
    "build_model",
    "check_panorama_batch",
    "documented_params",
    "get_model_builder",
    "list_models",
    "load_released",
    "register_model",
]

from .small import PanoUNet  # registers "pano-unet"

__all__ += ["PanoUNet"]
