"""Inputs and file formats: what panodepth reads and writes, each in one place.

* :mod:`.inputs` — which images a command or dataset reads and their names
  (:func:`collect_inputs`: files, folders, list files; :data:`IMAGE_SUFFIXES`);
* :mod:`.images` — RGB images and panoramas (:func:`load_panorama`, :func:`read_rgb`,
  :func:`write_png`);
* :mod:`.depth_png` — 16-bit depth PNGs with their scale (:func:`read_depth_png`,
  :func:`write_depth_png`);
* :mod:`.npy`, :mod:`.exr` — float depth maps (:func:`read_npy` / :func:`write_npy`,
  :func:`read_exr` / :func:`write_exr`);
* :mod:`.masks` — validity and label masks (:func:`read_mask`, :func:`write_mask_png`);
* :mod:`.students` — student files (:func:`save_student`, :func:`load_student`, …; imports
  :mod:`panodepth.models`, never Lightning), pretrained folders and hub ids included
  (:func:`save_student_folder`); :mod:`.pretrained` — the folder layout (``model.safetensors``,
  ``config.json``, ``README.md``) and finding a folder (local or downloaded);
  :mod:`.model_card` — its model card; :mod:`.hub` — Hub ids, offline mode, downloads and the
  one "cannot load" message that students and teachers give;
* :mod:`.atomic` — atomic writes (:func:`atomic_save`, :func:`atomic_path`), used by every
  writer; :mod:`.errors` — the errors, each naming its file; :mod:`.maps` — depth maps
  as the writers take them (float32 H×W).

Every reader has one validation rule and every error names the file. Names are imported
lazily, so ``import panodepth.io`` costs nothing and the image and input modules never pull
in :mod:`panodepth.models`. Only :mod:`.students` imports another panodepth package.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    # errors
    "FileFormatError": "errors",
    "InputError": "errors",
    "PanoramaError": "errors",
    # inputs
    "IMAGE_SUFFIXES": "inputs",
    "LIST_SUFFIXES": "inputs",
    "InputItem": "inputs",
    "collect_inputs": "inputs",
    # atomic writes
    "atomic_path": "atomic",
    "atomic_save": "atomic",
    # RGB
    "ASPECT_TOLERANCE": "images",
    "load_panorama": "images",
    "read_rgb": "images",
    "write_png": "images",
    # depth
    "DepthPNG": "depth_png",
    "read_depth_png": "depth_png",
    "write_depth_png": "depth_png",
    "read_npy": "npy",
    "write_npy": "npy",
    "read_exr": "exr",
    "write_exr": "exr",
    # masks
    "MaskFormat": "masks",
    "read_mask": "masks",
    "write_mask_png": "masks",
    # student files
    "load_student": "students",
    "load_student_weights": "students",
    "read_student_file": "students",
    "read_student_metadata": "students",
    "save_student": "students",
    "save_student_folder": "students",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
