"""The 360° students: one builder per architecture and a registry by name.

Importing this package registers the built-in students (``unifuse``, ``bifusepp``, ...).
All share the forward contract of :mod:`.base`.
"""

from . import (
    bifusepp,  # noqa: F401
    egformer,  # noqa: F401
    hohonet,  # noqa: F401
    unifuse,  # noqa: F401
)
from .base import OUTPUTS, Student360, check_panorama_batch
from .registry import build_model, get_model_builder, list_models, register_model

__all__ = [
    "OUTPUTS",
    "Student360",
    "build_model",
    "check_panorama_batch",
    "get_model_builder",
    "list_models",
    "register_model",
]

from .small import PanoUNet  # registers "pano-unet"

__all__ += ["PanoUNet"]
