"""Pretrained student folders: the layout that ``save_pretrained`` writes and the Hub hosts,
and where such a folder comes from (a local directory or a hub id).

A pretrained folder holds

* :data:`WEIGHTS_NAME` (``model.safetensors``): a panodepth student file, format
  ``panodepth-student/1`` (:mod:`.students`), so every student reader reads it as it is;
* :data:`CONFIG_NAME` (``config.json``): ``library_name``, ``model_name`` (the registry
  name), ``model_options`` (the builder's keyword options) and ``weights`` — a copy of what
  the weights file's metadata says, for the Hub and for readers that do not open safetensors.
  The weights file is the one that is read; a config that disagrees with it is refused
  (:func:`check_config`), a folder without one loads;
* :data:`CARD_NAME` (``README.md``): the model card (:mod:`.model_card`).

:func:`find_folder` turns a source into such a folder: a directory as it is, a hub id
(:func:`.hub.parse_hub_id`: ``owner/name`` or ``owner/name@revision``) downloaded into the
Hugging Face cache — offline (``HF_HUB_OFFLINE``) from that cache only. Every failure is a
``ValueError`` whose one-line message names the source and says what to do
(:func:`.hub.load_error_message`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .atomic import atomic_save
from .hub import Download, download_snapshot, load_error_message, parse_hub_id

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
CARD_NAME = "README.md"
LIBRARY_NAME = "panodepth"


def write_config(folder: str | os.PathLike, name: str, options: dict[str, Any]) -> Path:
    """Write the folder's :data:`CONFIG_NAME` for the student ``name`` built with ``options``."""
    config = {
        "library_name": LIBRARY_NAME,
        "model_name": name,
        "model_options": options,
        "weights": WEIGHTS_NAME,
    }
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    path = Path(folder) / CONFIG_NAME
    atomic_save(path, lambda f: f.write(text.encode()))
    return path


def check_config(folder: Path, name: str, options: dict[str, Any]) -> None:
    """Refuse a folder whose :data:`CONFIG_NAME` disagrees with its weights file (``name``,
    ``options`` from the weights' metadata); a folder without a config passes."""
    path = folder / CONFIG_NAME
    if not path.is_file():
        return
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not a readable config ({err})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: not a panodepth student config (a JSON object expected)")
    said = (config.get("model_name"), config.get("model_options"))
    if said != (name, options):
        raise ValueError(
            f"{path} describes {said[0]} {said[1]}, but {WEIGHTS_NAME} holds {name} {options}; "
            "write the folder again with save_pretrained (the weights file decides what is built)"
        )


def find_folder(source: str | os.PathLike, download: Download | None = None) -> Path | None:
    """The local pretrained folder of ``source``, or None when ``source`` names a file.

    A directory is returned as it is; a hub id is fetched as ``download`` says (default:
    :class:`.hub.Download()`, offline mode from the environment). An existing file, or a
    missing path with a suffix (``student.safetensors``, ``last.ckpt``, …), is left to the file
    readers (None), which say that it is missing.

    Raises:
        ValueError: a folder without :data:`WEIGHTS_NAME`, a path that is neither a file, a
            folder nor a hub id, a hub id that is neither cached nor downloadable.
    """
    download = Download() if download is None else download
    if os.path.isdir(source):
        if not (Path(source) / WEIGHTS_NAME).is_file():
            raise ValueError(_message(os.fspath(source), None, download.offline_reason))
        return Path(source)
    hub_id = parse_hub_id(source)
    if hub_id is None:
        if os.path.exists(source) or Path(source).suffix:
            return None
        raise ValueError(_message(os.fspath(source), None, download.offline_reason))
    try:
        folder = download_snapshot(hub_id, [WEIGHTS_NAME, CONFIG_NAME], download)
    except (OSError, ValueError) as err:
        raise ValueError(_message(str(source), err, download.offline_reason)) from None
    if not (folder / WEIGHTS_NAME).is_file():
        raise ValueError(
            f"could not load a panodepth student from {str(source)!r}: the repository (as "
            f"downloaded to {folder}) has no {WEIGHTS_NAME}; it is not a student folder "
            "written by save_pretrained"
        )
    return folder


def _message(source: str, err: BaseException | None, offline: str | None) -> str:
    return load_error_message(
        source,
        err,
        what="a panodepth student",
        model="panodepth student",
        needs=f"{WEIGHTS_NAME}, a panodepth student file, and {CONFIG_NAME}, as written by "
        "save_pretrained or `hf download`",
        usage='`panodepth predict --checkpoint DIR` or Student360.from_pretrained("DIR")',
        example_id="OWNER/NAME",
        local_files_only=offline,
    )
