"""Invalid-region maskers: RGB images in, a bool validity mask (True = valid) out.

``Masker`` is the interface, ``NoMask`` the default (everything valid) and
``GroundedSAMMasker`` the Depth Anywhere masker (Grounding DINO + SAM, prompts "sky" and
"watermark"). ``precompute_masks`` writes masks of whole images to PNG files once, offline
(the file format is :mod:`panodepth.io.masks`'s; ``read_valid_mask`` reads one).
Maskers know nothing about training; see :mod:`panodepth.masks.base` for the conventions.
"""

from .base import DEFAULT_MIN_VALID, Masker, NoMask, check_images, combine_valid, valid_share
from .grounded_sam import GroundedSAMMasker, MaskerLoadError, prompt_text
from .precompute import PrecomputeSummary, mask_paths, precompute_masks, read_valid_mask

__all__ = [
    "DEFAULT_MIN_VALID",
    "GroundedSAMMasker",
    "Masker",
    "MaskerLoadError",
    "NoMask",
    "PrecomputeSummary",
    "check_images",
    "combine_valid",
    "mask_paths",
    "precompute_masks",
    "prompt_text",
    "read_valid_mask",
    "valid_share",
]
