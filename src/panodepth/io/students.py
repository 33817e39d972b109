"""Student files: safetensors student files, pretrained folders and hub ids, Lightning
checkpoints and the Depth Anywhere release's checkpoints, read and written without Lightning.

This module owns the student file format ``panodepth-student/1`` (:data:`FORMAT`). It imports
only torch, safetensors and :mod:`panodepth.models`, never ``lightning``, so that loading a
student for ``panodepth predict`` or ``eval`` does not pay for the training stack
(:mod:`panodepth.training` re-exports these names).

A student file (``.safetensors``) holds the model's state dict (weights only: projection
grids are not state) and, in its metadata, the registry name and the JSON options it was
built with, so :func:`load_student` can rebuild it without the caller knowing them; further
metadata (e.g. where a converted release checkpoint came from) is free-form text,
:func:`read_student_metadata`. Files are written atomically.

A pretrained folder (:mod:`.pretrained`: ``model.safetensors``, a student file as above, with
``config.json`` and a model card) is what :func:`save_student_folder` writes and what
``Student360.save_pretrained`` / ``push_to_hub`` write and upload; every reader here takes
the folder, or its hub id (``owner/name`` or ``owner/name@revision``, downloaded into the
Hugging Face cache; offline, read from that cache only), wherever it takes a student file.

A Lightning checkpoint (``.ckpt``) of :class:`~panodepth.training.DepthAnywhere` holds the
student under the ``student.`` prefix of its state dict and the builder arguments in its
hyper-parameters; it is read with ``torch.load(weights_only=True)`` (no arbitrary pickles).

A released checkpoint (a ``.pth`` file of the Depth Anywhere release, or its name such as
``"unifuse-mp3d-st3d"``) is converted in memory by :mod:`panodepth.models.released`.

Loading is strict: missing or unexpected keys raise a :class:`ValueError` naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from panodepth.models import Student360, build_model
from panodepth.models.released import (
    convert_state_dict,
    read_release_file,
    released_names,
    resolve_released,
)

from .atomic import atomic_save
from .hub import Download, is_bare_name, unknown_name_message
from .pretrained import CARD_NAME, WEIGHTS_NAME, check_config, find_folder, write_config

FORMAT = "panodepth-student/1"
PICKLE_SUFFIXES = (".pt", ".bin", ".pkl", ".pickle")  # refused: loading a pickle runs code
STUDENT_PREFIX = "student."


def save_student(
    model: Student360, path: str | os.PathLike, metadata: dict[str, str] | None = None
) -> Path:
    """Write ``model`` (built by :func:`build_model`) to ``path`` atomically, with extra text
    ``metadata`` (keys other than ``format``, ``name`` and ``options``)."""
    name = getattr(model, "model_name", None)
    if name is None:
        raise ValueError("save_student needs a model made by build_model (it records the name)")
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    meta.update(format=FORMAT, name=name, options=json.dumps(model.model_options))
    blob = save(state, metadata=meta)
    atomic_save(Path(path), lambda f: f.write(blob))
    return Path(path)


def save_student_folder(
    model: Student360,
    folder: str | os.PathLike,
    metadata: dict[str, str] | None = None,
    card: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` as a pretrained folder (:mod:`.pretrained`): the student file
    ``folder/model.safetensors`` (:func:`save_student`, with ``metadata``), ``config.json``
    and, when ``card`` is given, ``README.md``, the model card built with those keywords
    (:func:`.model_card.student_card`). ``Student360.save_pretrained`` calls it without
    ``card`` and lets ``huggingface_hub`` write the card. Returns the folder."""
    folder = Path(folder)
    save_student(model, folder / WEIGHTS_NAME, metadata)
    write_config(folder, model.model_name, model.model_options)
    if card is not None:
        from .model_card import student_card  # huggingface_hub: only when a card is written

        text = str(student_card(model, **card))
        atomic_save(folder / CARD_NAME, lambda f: f.write(text.encode()))
    return folder


def read_student_file(
    path: str | os.PathLike, download: Download | None = None
) -> tuple[str, dict[str, Any], dict]:
    """``(registry name, builder options, state dict)`` of a student file, a pretrained folder
    or its hub id (fetched as ``download`` says: revision, cache, token, offline), a Lightning
    ckpt, or a released checkpoint (``.pth`` file or name, converted in memory)."""
    if os.fspath(path).lower() in released_names() or Path(path).suffix.lower() == ".pth":
        file = resolve_released(path)
        conv = convert_state_dict(read_release_file(file), source=str(file))
        return conv.arch, conv.options, conv.state
    if is_bare_name(path):  # a typo of a released name, before any network call
        raise ValueError(unknown_name_message("checkpoint", os.fspath(path), released_names()))
    folder = find_folder(path, download)
    if folder is not None:
        meta, state = _read_safetensors(folder / WEIGHTS_NAME)
        name, options = _name_and_options(meta, folder / WEIGHTS_NAME)
        check_config(folder, name, options)
        return name, options, state
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: checkpoint not found")
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ValueError(
            f"{path}: a {path.suffix} file is a Python pickle, which can run code when loaded, "
            "so panodepth does not read it; it reads student files (.safetensors), training "
            "checkpoints (.ckpt, weights only) and the Depth Anywhere release's .pth files "
            "(tensors only). Save your model with panodepth.io.save_student"
        )
    if path.suffix == ".ckpt":
        return _read_lightning(path)
    meta, state = _read_safetensors(path)
    return (*_name_and_options(meta, path), state)


def _name_and_options(meta: dict[str, str], path: Path) -> tuple[str, dict[str, Any]]:
    """The registry name and builder options in a student file's metadata (errors name it)."""
    try:
        name, options = meta["name"], json.loads(meta["options"])
    except KeyError as err:
        raise ValueError(f"{path}: the student file's metadata has no {err}") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: the student file's options are not valid JSON ({err})") from None
    if not isinstance(options, dict):
        raise ValueError(f"{path}: the student file's options are not a JSON object")
    return name, options


def read_student_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The metadata of a student file (or of a pretrained folder's or hub id's weights):
    ``format``, ``name``, ``options`` (JSON) and any extra entries written by
    :func:`save_student` (e.g. ``panodepth convert``'s provenance)."""
    folder = find_folder(path)
    return _read_safetensors(Path(path) if folder is None else folder / WEIGHTS_NAME, False)[0]


def _read_safetensors(path: Path, tensors: bool = True) -> tuple[dict[str, str], dict]:
    if not path.is_file():
        raise ValueError(f"{path}: checkpoint not found")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            state = {key: f.get_tensor(key) for key in f.keys()} if tensors else {}  # noqa: SIM118
    except (OSError, SafetensorError) as err:
        raise ValueError(f"{path}: not a readable student checkpoint ({err})") from None
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a panodepth student file (format {meta.get('format')!r})")
    return meta, state


def _read_lightning(path: Path) -> tuple[str, dict[str, Any], dict]:
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle, zip and torch errors alike
        raise ValueError(f"{path}: not a readable Lightning checkpoint ({err})") from None
    hp = ckpt.get("hyper_parameters") if isinstance(ckpt, dict) else None
    if not isinstance(hp, dict) or "student" not in hp or "state_dict" not in ckpt:
        raise ValueError(f"{path}: not a checkpoint of panodepth's DepthAnywhere module")
    options = {
        **(hp.get("student_options") or {}),
        "output": hp.get("output", "disparity"),
        "max_depth": hp.get("max_depth", 10.0),
    }
    state = {
        key[len(STUDENT_PREFIX) :]: value
        for key, value in ckpt["state_dict"].items()
        if key.startswith(STUDENT_PREFIX)
    }
    return hp["student"], options, state


def load_student_weights(model: Student360, path: str | os.PathLike) -> Student360:
    """Load the weights of a student file / Lightning ckpt into ``model`` (strict)."""
    name, options, state = read_student_file(path)
    _load_state(model, state, Path(path), name, options)
    return model


def load_student(
    path: str | os.PathLike, *, download: Download | None = None, **overrides: object
) -> Student360:
    """Rebuild and load a student saved by :func:`save_student` (a file, a pretrained folder
    or its hub id) or trained by :class:`~panodepth.training.DepthAnywhere` (``.ckpt``), or a
    released checkpoint; ``overrides`` change options that do not affect the weights, e.g.
    ``max_depth``; ``download``: how a hub id is fetched (:class:`.hub.Download`)."""
    name, options, state = read_student_file(path, download)
    options = {**options, **overrides}
    model = build_model(name, **options)
    _load_state(model, state, Path(path), name, options)
    return model


def _load_state(
    model: Student360, state: dict, path: Path, name: str, options: dict[str, Any]
) -> None:
    try:
        missing, unexpected = model.load_state_dict(state, strict=False)
    except RuntimeError as err:  # shape mismatches raise even with strict=False
        raise ValueError(f"{path}: weights do not fit {name} {options}: {str(err)[:300]}") from None
    if missing or unexpected:
        raise ValueError(
            f"{path}: weights do not fit {name} {options}: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}"
        )
