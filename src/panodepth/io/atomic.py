"""Atomic writes: the one way panodepth puts a file on disk.

A file is written to a temporary file beside its target (same folder, so the rename stays on
one file system, named ``.<target name>.<random><suffix>``: hidden, so input collection never
picks it up) and then renamed over the target with ``os.replace``. An interrupted run never
leaves a half-written file under the target's name, and a failed write removes its temporary
file and leaves an existing target as it was. Missing parent folders are created. Finished
files get the usual permissions of a new file (``0o644``), not ``mkstemp``'s ``0o600``.

Failures are :class:`WriteError` s (an ``OSError``) that name the target and say what
happened in words: "no space left on device" (also when a writer reports only a short
write, as NumPy does), "permission denied". A run killed hard (``SIGKILL``) can still leave a
hidden temporary file behind: :func:`remove_stale_temporaries` removes those of a target
before it is written again. :func:`output_folder_problem` is the one check, before a command
reads anything, that its output folder can be one.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


class WriteError(OSError):
    """A file that could not be written; the message names it and says why."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.errno = code


def _write_error(path: Path, err: OSError) -> WriteError:
    if isinstance(err, WriteError):
        return err
    short = "requested and" in str(err) and "written" in str(err)  # NumPy's short write
    if err.errno in (errno.ENOSPC, errno.EDQUOT) or short:
        return WriteError(f"{path}: no space left on device", errno.ENOSPC)
    if isinstance(err, PermissionError) or err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return WriteError(f"{path}: permission denied (cannot write in {path.parent})", err.errno)
    return WriteError(f"{path}: cannot be written ({err.strerror or err})", err.errno)


def remove_stale_temporaries(path: str | os.PathLike) -> int:
    """Remove the hidden temporary files of ``path`` left by a killed run; returns how many."""
    path = Path(path)
    if not path.parent.is_dir():
        return 0
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.[A-Za-z0-9]+$")
    removed = 0
    for candidate in path.parent.glob(f".{glob_escape(path.name)}.*"):
        if pattern.match(candidate.name) and candidate.is_file():
            candidate.unlink(missing_ok=True)
            removed += 1
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob metacharacters escaped."""
    return re.sub(r"([*?\[\]])", r"[\1]", name)


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed to ``path`` when the block ends.

    For writers that need a file name rather than a file object (e.g. OpenEXR). If the block
    raises, the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    except OSError as err:
        raise _write_error(path, err) from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise _write_error(path, err) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_save(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it to ``path``."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        write(f)


def output_folder_problem(out: str | os.PathLike, label: str) -> str | None:
    """Why ``out`` cannot be an output folder — it, or the first of its parents that exists,
    is a file — as one line naming the option ``label`` (e.g. ``"--out"``), or None."""
    out = Path(out)
    for folder in (out, *out.parents):
        if folder.exists():
            if folder.is_dir():
                return None
            if folder == out:
                return f"{label} {out} is a file; give a folder (it is created if missing)"
            return f"{label} {out}: {folder} is a file, not a folder"
    return None
