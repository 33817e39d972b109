"""Saving and loading students by name: safetensors weights plus the builder options.

A student file (``.safetensors``) holds the model's state dict (weights only: projection
grids are not state) and, in its metadata, the registry name and the JSON options it was
built with, so :func:`load_student` can rebuild it without the caller knowing them. Loading
is strict: missing or unexpected keys raise instead of being ignored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from panodepth.data.imageio import atomic_save
from panodepth.models import Student360, build_model

FORMAT = "panodepth-student/1"


def save_student(model: Student360, path: str | os.PathLike) -> Path:
    """Write ``model`` (built by :func:`build_model`) to ``path`` atomically."""
    name = getattr(model, "model_name", None)
    if name is None:
        raise ValueError("save_student needs a model made by build_model (it records the name)")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"format": FORMAT, "name": name, "options": json.dumps(model.model_options)}
    blob = save(state, metadata=meta)
    atomic_save(Path(path), lambda f: f.write(blob))
    return Path(path)


def load_student(path: str | os.PathLike, **overrides: object) -> Student360:
    """Rebuild and load a student saved by :func:`save_student` (``overrides`` change options
    that do not affect the weights, e.g. ``max_depth``)."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            state = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    except (OSError, SafetensorError) as err:
        raise ValueError(f"{path}: not a readable student checkpoint ({err})") from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a panodepth student file (format {meta.get('format')!r})")
    options = {**json.loads(meta["options"]), **overrides}
    model = build_model(meta["name"], **options)
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shape mismatches raise even with strict=False
        raise ValueError(
            f"{path}: weights do not fit {meta['name']} {options}: {str(err)[:300]}"
        ) from None
    if missing or unexpected:
        raise ValueError(
            f"{path}: weights do not fit {meta['name']} {options}: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}"
        )
    return model
