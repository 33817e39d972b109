"""Input collection: which panoramas a command or a dataset reads, and what each is called.

This module owns the one rule by which ``panodepth predict``, ``pseudo-label``, ``project``
and :class:`~panodepth.data.UnlabeledPanoramas` turn what the user gives (files, folders,
list files) into named inputs (:class:`InputItem`), and the file suffixes of images
(:data:`IMAGE_SUFFIXES`) and list files (:data:`LIST_SUFFIXES`) for the whole project.

Sources (:func:`collect_inputs`):

* a **folder**: every image below it (any depth), sorted by path; hidden files and folders
  (a name starting with ``.``) are skipped. Name: the path relative to the folder;
* a **list file** (``.txt``, ``.lst``, ``.list``): one image per line, whitespace-separated
  ``rgb [depth]`` (the first column is the image, a second one is ignored, so labeled lists
  can be read as unlabeled; paths cannot contain spaces), ``#`` starts a comment, blank
  lines are skipped; relative paths are relative to the list file's folder. Name: the
  path relative to the list file's folder (for a relative entry: the path as written);
  an entry outside that folder (absolute, or through ``..``) is named by its absolute path
  without the root, e.g. ``/data/x/a.png`` → ``data/x/a``;
* anything else is **one image** (a missing file is reported when it is read). Name: its stem.

Names have no suffix and use ``/`` separators (``sub/b`` for ``panos/sub/b.png``): they are
the relative output paths (``OUT/sub/b.png``, ``labels/sub/b.safetensors``), so two
``b.png`` in different folders never collide. Two inputs that would get the same name are
an :class:`~.errors.InputError` naming both files; nothing is renamed silently.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from .errors import InputError

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
LIST_SUFFIXES: tuple[str, ...] = (".txt", ".lst", ".list")

Source = str | os.PathLike


@dataclass(frozen=True)
class InputItem:
    """One input image: its unique ``name`` (relative, no suffix, ``/``-separated) and ``path``."""

    name: str
    path: Path


def collect_inputs(sources: Source | InputItem | Iterable[Source | InputItem]) -> list[InputItem]:
    """Named images from files, folders and list files (rules in the module docstring).

    Args:
        sources: one source or several; :class:`InputItem` s are kept as they are.

    Returns:
        The items in the order of the sources (a folder's images sorted by path).

    Raises:
        InputError: a missing or empty list file, a bad list-file line (named by
            ``file:line``), or two inputs with the same name (both files named).
    """
    if isinstance(sources, (str, os.PathLike, InputItem)):
        sources = [sources]
    items: list[InputItem] = []
    for source in sources:
        if isinstance(source, InputItem):
            items.append(source)
            continue
        path = Path(source)
        if path.is_dir():
            items += folder_items(path)
        elif path.suffix.lower() in LIST_SUFFIXES:
            items += list_items(path)
        else:
            items.append(InputItem(path.stem, path))
    return check_unique(items)


def folder_items(folder: Path) -> list[InputItem]:
    """The images below ``folder`` (recursive, sorted, hidden files and folders skipped)."""
    found: list[PurePath] = []
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel_top = Path(top).relative_to(folder)
        found += [
            rel_top / f
            for f in files
            if not f.startswith(".") and Path(f).suffix.lower() in IMAGE_SUFFIXES
        ]
    found.sort(key=lambda rel: rel.parts)
    return [InputItem(strip_suffix(rel), folder / rel) for rel in found]


def list_items(list_file: Path) -> list[InputItem]:
    """The images of a list file (first column, relative to its folder; see the module)."""
    root = Path(os.path.abspath(list_file.parent))
    items = []
    for number, fields in read_list_lines(list_file):
        where = f"{list_file}:{number}"
        if len(fields) > 2:
            raise InputError(
                f"{where}: expected 'rgb [depth]' (one image path, optionally its depth), "
                f"got {len(fields)} fields: {' '.join(fields)!r}"
            )
        entry = fields[0]
        if Path(entry).suffix.lower() not in IMAGE_SUFFIXES:
            raise InputError(f"{where}: {entry!r} is not an image ({', '.join(IMAGE_SUFFIXES)})")
        full = Path(os.path.normpath(root / entry))
        try:
            rel = full.relative_to(root)
        except ValueError:  # outside the list's folder: the absolute path without its root
            rel = full.relative_to(full.anchor)
        items.append(InputItem(strip_suffix(rel), list_file.parent / entry))
    return items


def read_list_lines(list_file: str | os.PathLike) -> list[tuple[int, list[str]]]:
    """``(line number, fields)`` of a whitespace-separated list file; ``#`` starts a comment.

    Raises:
        InputError: the file is missing, unreadable as text, or has no entries.
    """
    list_file = Path(list_file)
    if not list_file.is_file():
        raise InputError(f"{list_file}: list file not found")
    try:
        text = list_file.read_text()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{list_file}: cannot be read as a text list file ({err})") from None
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        fields = line.split("#", 1)[0].split()
        if fields:
            lines.append((number, fields))
    if not lines:
        raise InputError(f"{list_file}: list file has no entries")
    return lines


def strip_suffix(path: str | os.PathLike) -> str:
    """A path without its file suffix, with ``/`` separators: the name of an input."""
    return PurePath(path).with_suffix("").as_posix()


def check_unique(items: Sequence[InputItem]) -> list[InputItem]:
    """``items`` without a file given again (the same file under any spelling or name: kept
    once, with a warning), or an :class:`InputError` naming the first two different files
    that share a name."""
    seen: dict[str, Path] = {}
    files: dict[str, Path] = {}
    kept: list[InputItem] = []
    for item in items:
        key = os.path.realpath(item.path)
        if key in files:
            warnings.warn(f"{item.path} is given twice (also as {files[key]}); used once",
                          stacklevel=2)  # fmt: skip
            continue
        if item.name in seen:
            raise InputError(
                f"two inputs would be named {item.name!r}: {seen[item.name]} and {item.path}. "
                "A name is the path relative to the folder or list file the image was found "
                "in (the stem for a single file): give each image once, or the folder that "
                "holds both"
            )
        seen[item.name] = item.path
        files[key] = item.path
        kept.append(item)
    return kept
