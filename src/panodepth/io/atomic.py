"""Atomic writes: the one way panodepth puts a file on disk.

A file is written to a temporary file beside its target (same folder, so the rename stays on
one file system, named ``.<target name>.<random><suffix>``: hidden, so input collection never
picks it up) and then renamed over the target with ``os.replace``. An interrupted run never
leaves a half-written file under the target's name, and a failed write removes its temporary
file and leaves an existing target as it was. Missing parent folders are created. Finished
files get the usual permissions of a new file (``0o644``), not ``mkstemp``'s ``0o600``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed to ``path`` when the block ends.

    For writers that need a file name rather than a file object (e.g. OpenEXR). If the block
    raises, the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_save(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it to ``path``."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        write(f)
