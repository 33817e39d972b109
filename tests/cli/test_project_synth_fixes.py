"""`panodepth project` and `panodepth synth` on a bad --out, write errors, bad --fov, and
re-runs with changed options (through the real entry point)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from panodepth.cli.main import main


def _pano(path: Path, h: int = 16, w: int = 32, seed: int = 0) -> Path:
    arr = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    Image.fromarray(arr).save(path)
    return path


def _run(capsys, *args: object) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _one_error_line(err: str, *needles: str) -> str:
    """The one ``error:`` line of ``err`` (no traceback), which names all ``needles``."""
    assert "Traceback" not in err and 'File "' not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert all(n in lines[0] for n in needles), (needles, err)
    return lines[0]


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# --- defect 1: project --out is a file --------------------------------------------------------


@pytest.mark.parametrize("sub", ["", "x"], ids=["out-is-file", "parent-is-file"])
def test_project_out_that_is_a_file_is_one_line_up_front(capsys, tmp_path, sub):
    src = _pano(tmp_path / "in.png")
    afile = tmp_path / "afile"
    afile.write_text("keep")
    out = afile / sub if sub else afile
    code, _, err = _run(capsys, "project", src, "--out", out, "--height", "16")
    assert code == 2
    _one_error_line(err, f"--out {out}", f"{afile} is a file")
    assert afile.read_text() == "keep"
    assert _files(tmp_path) == ["afile", "in.png"]


def test_project_write_error_is_one_line_and_the_rest_is_done(capsys, tmp_path):
    _pano(tmp_path / "a.png")
    _pano(tmp_path / "b.png", seed=1)
    out = tmp_path / "out"
    out.mkdir()
    (out / "a").write_text("in the way")  # OUT/a/ cannot be made
    args = ("--out", out, "--height", "16", "--tangent_level", "-1")
    code, stdout, err = _run(capsys, "project", tmp_path / "a.png", tmp_path / "b.png", *args)
    assert code == 1
    _one_error_line(err, "a.png: could not write outputs", str(out / "a" / "cube_dice.png"))
    assert "projected 1, failed 1, skipped 0" in stdout
    assert (out / "b" / "summary.json").is_file()


# --- defect 2: synth OUT is a file; write errors ----------------------------------------------


@pytest.mark.parametrize("sub", ["", "d"], ids=["out-is-file", "parent-is-file"])
def test_synth_out_that_is_a_file_is_one_line_up_front(capsys, tmp_path, sub):
    afile = tmp_path / "afile"
    afile.write_text("keep")
    out = afile / sub if sub else afile
    args = ("--domain", "home", "--count", "1", "--size", "16x32", "--no_progress")
    code, _, err = _run(capsys, "synth", out, *args)
    assert code == 2
    _one_error_line(err, f"OUT {out}", f"{afile} is a file")
    assert afile.read_text() == "keep"
    assert _files(tmp_path) == ["afile"]


def test_synth_write_error_is_one_line(capsys, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    (out / "mask").write_text("in the way")  # OUT/mask/00000.png cannot be written
    args = ("--domain", "home", "--count", "1", "--size", "16x32", "--no_progress")
    code, _, err = _run(capsys, "synth", out, *args)
    assert code == 1
    _one_error_line(err, str(out / "mask" / "00000.png"), "cannot be written")
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary left behind


# --- defect 3: a re-run redoes an input whose options or source changed ------------------------

BASE = ("--height", "16", "--tangent_level", "0")


def _project(capsys, src: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return _run(capsys, "project", src, "--out", out, *BASE, *extra)


def test_project_rerun_with_the_same_job_skips(capsys, tmp_path):
    src = _pano(tmp_path / "a.png")
    out = tmp_path / "out"
    assert _project(capsys, src, out, "--fov", "90")[0] == 0
    summary = out / "a" / "summary.json"
    meta = json.loads(summary.read_text())
    assert meta["job"]["source"] == str(src.resolve())
    assert meta["job"]["options"]["fov"] == 90.0
    assert "perspective.png" in meta["files"]
    stamp = summary.stat().st_mtime_ns
    code, stdout, _ = _project(capsys, src, out, "--fov", "90")
    assert code == 0 and "projected 0, failed 0, skipped 1" in stdout
    assert summary.stat().st_mtime_ns == stamp


@pytest.mark.parametrize(
    ("first", "second", "new", "gone"),
    [
        ((), ("--fov", "90"), ["perspective.png"], []),
        (("--fov", "90"), (), [], ["perspective.png"]),
        ((), ("--height", "32"), [], []),
        ((), ("--layout", "faces"), ["cube/F.png", "cube/D.png"], ["cube_dice.png"]),
        (("--layout", "faces"), ("--tangent_level", "1"), ["cube_dice.png"], ["cube/F.png"]),
        ((), ("--rotate", "30", "0", "0"), ["rotated.png", "rotated_cube_dice.png"], []),
    ],
    ids=["fov-added", "fov-dropped", "height", "layout", "layout-and-level", "rotate"],
)
def test_project_rerun_with_other_options_redoes_and_removes_unlisted_files(
    capsys, tmp_path, first, second, new, gone
):
    src = _pano(tmp_path / "a.png")
    out = tmp_path / "out"
    assert _project(capsys, src, out, *first)[0] == 0
    (out / "a" / "notes.txt").write_text("mine")  # not listed by panodepth: never removed
    code, stdout, err = _project(capsys, src, out, *second)
    assert code == 0, err
    assert "projected 1, failed 0, skipped 0" in stdout
    meta = json.loads((out / "a" / "summary.json").read_text())
    assert _files(out / "a") == sorted([*meta["files"], "summary.json", "notes.txt"])
    assert all(f in meta["files"] for f in new), meta["files"]
    assert not any((out / "a" / f).exists() for f in gone)
    if "--layout" in first:
        assert not (out / "a" / "cube").exists()  # left empty: removed
    assert Image.open(out / "a" / "cube_roundtrip.png").size[1] == meta["height"]
    assert meta["job"]["options"]["height"] == meta["height"]


def test_project_rerun_redoes_a_changed_source_or_a_missing_file(capsys, tmp_path):
    src = _pano(tmp_path / "a.png")
    out = tmp_path / "out"
    assert _project(capsys, src, out)[0] == 0
    _pano(src, seed=1)  # another image under the same name
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    code, stdout, _ = _project(capsys, src, out)
    assert code == 0 and "projected 1, failed 0, skipped 0" in stdout
    assert json.loads((out / "a" / "summary.json").read_text())["job"]["mtime_ns"] == (
        src.stat().st_mtime_ns
    )
    (out / "a" / "tangent_level0.png").unlink()
    code, stdout, _ = _project(capsys, src, out)
    assert code == 0 and "projected 1, failed 0, skipped 0" in stdout
    assert (out / "a" / "tangent_level0.png").is_file()


def test_project_pattern_rerun_skips_and_redoes_on_new_options(capsys, tmp_path):
    args = ("project", "--pattern", "--out", tmp_path / "out", "--tangent_level", "-1")
    assert _run(capsys, *args, "--height", "16")[0] == 0
    assert "skipped 1" in _run(capsys, *args, "--height", "16")[1]
    assert "projected 1" in _run(capsys, *args, "--height", "32")[1]


# --- defect 4: --fov checked up front, its range in --help --------------------------------------


@pytest.mark.parametrize("fov", ["0", "180", "-5", "200"])
def test_project_fov_out_of_range_is_refused_up_front(capsys, tmp_path, fov):
    src = _pano(tmp_path / "a.png")
    code, _, err = _project(capsys, src, tmp_path / "out", "--fov", fov)
    assert code == 2
    _one_error_line(err, "--fov must be in (0, 180) degrees", fov)
    assert not (tmp_path / "out").exists()


def test_project_fov_60_works_and_help_states_the_range(capsys, tmp_path):
    src = _pano(tmp_path / "a.png")
    assert _project(capsys, src, tmp_path / "out", "--fov", "60")[0] == 0
    assert (tmp_path / "out" / "a" / "perspective.png").is_file()
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["project", "--help"])
    assert "(degrees, in (0, 180))" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--height", "3"), "--height must be at least 4"),
        (("--face_size", "1"), "--face_size must be at least 2"),
        (("--tangent_level", "5"), "--tangent_level must be -1 (none) or 0–4"),
    ],
)
def test_project_other_options_are_checked_up_front(capsys, tmp_path, option, message):
    code, _, err = _run(capsys, "project", "--pattern", "--out", tmp_path / "out", *option)
    assert code == 2
    _one_error_line(err, message)
    assert not (tmp_path / "out").exists()
