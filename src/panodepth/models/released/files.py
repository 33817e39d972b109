"""Reading the release's ``.pth`` files safely, and finding them by name.

A released checkpoint is ``torch.save(model.state_dict())``. It is read with
``torch.load(weights_only=True)`` only: PyTorch's restricted unpickler, which rebuilds
tensors and plain containers and refuses any other object, so a file that is not a plain
tensor state dict is refused (never executed). Errors name the file and what is wrong.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import Tensor

from ..base import Student360
from .convert import ReleaseFormatError, convert_state_dict, student_of
from .weights import DOWNLOAD_URL, HOME_ENV, ReleasedWeights, released_dir, released_names

PANODEPTH_SUFFIXES = (".safetensors", ".ckpt")


def read_release_file(path: str | os.PathLike) -> dict[str, Tensor]:
    """The state dict of a released ``.pth`` file (``{name: tensor}``).

    Raises:
        ReleaseFormatError: missing, unreadable, truncated or pickled-object files, files that
            are not a flat mapping of names to tensors, and panodepth's own student files.
    """
    path = Path(path)
    if not path.is_file():
        raise ReleaseFormatError(f"{path}: file not found")
    if path.suffix.lower() in PANODEPTH_SUFFIXES:
        raise ReleaseFormatError(
            f"{path}: a {path.suffix} file is a panodepth student or training checkpoint, not a "
            "release .pth: use it directly (--checkpoint / panodepth.training.load_student)"
        )
    if not _has_torch_header(path):
        raise ReleaseFormatError(
            f"{path}: not a readable PyTorch file: it is neither a zip archive nor a pickle "
            "(the two formats torch.save writes)"
        )
    try:
        with warnings.catch_warnings():  # e.g. "Detected pickle protocol 4 in the checkpoint"
            warnings.simplefilter("ignore")
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(err))
        if found is None:
            raise ReleaseFormatError(
                f"{path}: not a readable PyTorch file (corrupt, truncated, or not written by "
                "torch.save); nothing in it was run"
            ) from None
        raise ReleaseFormatError(
            f"{path}: refused: not a plain tensor state dict (it holds a pickled "
            f"{found[1]!r}, which torch.load(weights_only=True) will not rebuild). panodepth "
            "never unpickles arbitrary objects; save the model's state_dict() instead"
        ) from None
    except Exception as err:  # corrupt input raises anything (struct.error, KeyError, ...)
        reason = str(err).splitlines()[0].split(". ")[0][:160] if str(err) else ""
        detail = f" ({reason})" if reason else f" ({type(err).__name__})"
        raise ReleaseFormatError(
            f"{path}: not a readable PyTorch file: truncated or corrupt{detail}"
        ) from None
    return _state_dict_of(obj, path)


def _has_torch_header(path: Path) -> bool:
    """Whether the file starts like what ``torch.save`` writes: a zip archive or a pickle."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
    except OSError:
        return False
    return head == b"PK" or head[:1] == b"\x80"


def _state_dict_of(obj: object, path: Path) -> dict[str, Tensor]:
    if isinstance(obj, Mapping) and len(obj) > 0 and not _is_flat(obj):
        for key in ("state_dict", "model"):  # a training checkpoint that holds one
            inner = obj.get(key)
            if isinstance(inner, Mapping) and _is_flat(inner):
                return dict(inner)
    if not isinstance(obj, Mapping) or not obj:
        raise ReleaseFormatError(
            f"{path}: holds a {type(obj).__name__}{' (empty)' if not obj else ''}, not a state "
            "dict (a mapping of parameter names to tensors)"
        )
    if not _is_flat(obj):
        key, value = next((k, v) for k, v in obj.items() if not _is_entry(k, v))
        raise ReleaseFormatError(
            f"{path}: not a state dict: entry {key!r} is a {type(value).__name__}, not a tensor"
        )
    return dict(obj)


def _is_entry(key: object, value: object) -> bool:
    return isinstance(key, str) and isinstance(value, Tensor)


def _is_flat(obj: Mapping) -> bool:
    return all(_is_entry(k, v) for k, v in obj.items())


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_released(name_or_path: str | os.PathLike) -> Path:
    """The file of a released checkpoint: an existing path as it is, or a name of
    :class:`ReleasedWeights` looked up in :func:`released_dir` (folder and file names in any
    case, as the release lays them out). A missing file raises :class:`ReleaseFormatError`
    that says where to download it and where to put it."""
    path = Path(name_or_path)
    if path.exists() or os.fspath(name_or_path).lower() not in released_names():
        return path
    ckpt = ReleasedWeights.get(os.fspath(name_or_path)).value
    home = released_dir()
    found = _find_case_insensitive(home, ckpt.folder, ckpt.file)
    if found is not None:
        return found
    raise ReleaseFormatError(
        f"released checkpoint {ckpt.name!r} not found: expected {home / ckpt.folder / ckpt.file}. "
        f"Download the Depth Anywhere checkpoints from the authors' link {DOWNLOAD_URL} (the "
        "release states no licence, so panodepth does not redistribute them) and put the "
        f"release's {ckpt.folder}/ folder into {home}/ (or set {HOME_ENV} to the folder that "
        "holds depth-anywhere/)."
    )


def _find_case_insensitive(home: Path, folder: str, file: str) -> Path | None:
    exact = home / folder / file
    if exact.is_file():
        return exact
    if not home.is_dir():
        return None
    for sub in home.iterdir():
        if sub.is_dir() and sub.name.lower() == folder.lower():
            for f in sub.iterdir():
                if f.name.lower() == file.lower() and f.is_file():
                    return f
    return None


def load_released(path: str | os.PathLike, arch: str | None = None) -> Student360:
    """The student of a released checkpoint, in eval mode, computing as the release does.

    Args:
        path: a release ``.pth`` file, or a name of :class:`ReleasedWeights`
            (``"unifuse-mp3d-st3d"``) found in :func:`released_dir`.
        arch: ``"unifuse"``, ``"bifusepp"``, ``"hohonet"`` or ``"egformer"``; detected from
            the state dict's keys when ``None``.

    The student records where it came from in ``model.release_info``: ``file``, ``sha256``,
    ``weights`` (the :class:`ReleasedWeights` member when the file name is one of the
    release's), and what the conversion dropped (``constants``, ``unused`` counts, ``notes``).

    Raises:
        ReleaseFormatError: see :func:`read_release_file` and
            :func:`~.convert.convert_state_dict`.
    """
    file = resolve_released(path)
    conv = convert_state_dict(read_release_file(file), arch, source=str(file))
    model = student_of(conv)
    member = ReleasedWeights.identify(file.name, model.model_name)
    if isinstance(path, str) and path.lower() in released_names():
        expected = ReleasedWeights.get(path)
        if member is not expected and model.model_name != expected.value.arch:
            raise ReleaseFormatError(
                f"{file}: holds a released {model.model_name}, not {expected.value.name}"
            )
        member = expected
    model.release_info = {
        "file": file.name,
        "sha256": sha256(file),
        "weights": member,
        "constants": len(conv.constants),
        "unused": len(conv.unused),
        "notes": conv.notes,
    }
    return model
