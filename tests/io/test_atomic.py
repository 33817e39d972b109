"""panodepth.io.atomic: writes land whole or not at all, with ordinary permissions."""

from __future__ import annotations

import pytest

from panodepth.io import atomic_path, atomic_save


def test_atomic_save_creates_folders_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a" / "b" / "x.bin"
    atomic_save(target, lambda f: f.write(b"1"))
    assert target.read_bytes() == b"1" and (target.stat().st_mode & 0o777) == 0o644
    assert list(target.parent.iterdir()) == [target]


def test_a_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "x.bin"
    atomic_save(target, lambda f: f.write(b"old"))

    def fail(f):
        f.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_save(target, fail)
    assert target.read_bytes() == b"old" and list(tmp_path.iterdir()) == [target]


def test_atomic_path_for_writers_that_need_a_name(tmp_path):
    target = tmp_path / "d.exr"
    with atomic_path(target, suffix=".exr") as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".d.exr.") and tmp.suffix == ".exr"
        tmp.write_bytes(b"data")
        assert not target.exists()
    assert target.read_bytes() == b"data" and list(tmp_path.iterdir()) == [target]
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
        raise RuntimeError
    assert target.read_bytes() == b"data" and list(tmp_path.iterdir()) == [target]
