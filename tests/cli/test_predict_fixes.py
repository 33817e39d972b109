"""`panodepth predict` after a user's walkthrough: near-2:1 point clouds and meshes, files of
an earlier run, option checks, help text, messages (through the real entry point)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from plyfile import PlyData

from panodepth.cli.main import main
from tests.inference.conftest import save_pano


def predict(student_ckpt, *args: str) -> int:
    """``panodepth predict`` with the tiny student at height 32 (``args`` may override it)."""
    return main(["predict", "--checkpoint", str(student_ckpt), "--height", "32", *args])


def test_a_near_2to1_input_gets_point_clouds_and_meshes(tmp_path, student_ckpt, capsys):
    src = save_pano(tmp_path / "web.png", 33, 65)  # 65×33: within 2 % of 2:1
    out = tmp_path / "out"
    code = predict(student_ckpt, str(src), "--out", str(out), "--ply", "--glb",
                   "--mesh", "--formats", "npy")  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    npy = np.load(out / "web.npy")
    assert npy.shape == (33, 65)  # written at its own size
    sidecar = json.loads((out / "web.json").read_text())
    vertices = PlyData.read(str(out / "web.ply"))["vertex"]
    assert len(vertices) == int((npy > 0).sum()) == sidecar["points"]  # a point per pixel
    (cloud,) = trimesh.load(out / "web.glb").geometry.values()
    assert len(cloud.vertices) == len(vertices)
    mesh = trimesh.load(out / "web_mesh.ply", process=False)
    assert len(mesh.faces) == sidecar["mesh"]["faces"] > 0
    assert sidecar["mesh"]["grid"].startswith("66×33: the 65×33 depth resampled to 2:1")
    # the warning says what happens: predicted stretched to 2:1, written at its own size
    assert "web.png: 65×33 is not exactly 2:1" in err and "written at 65×33" in err
    assert "resized to 66×33" not in err


def test_the_near_2to1_warning_names_the_working_size_when_written_there(
    tmp_path, student_ckpt, capsys
):
    src = save_pano(tmp_path / "web.png", 33, 65)
    code = predict(student_ckpt, str(src), "--out", str(tmp_path / "out"),
                   "--native_size", "false", "--formats", "npy")  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0 and "outputs written at the working size, 64×32" in err
    assert np.load(tmp_path / "out" / "web.npy").shape == (32, 64)


def test_a_redone_input_drops_the_files_of_its_previous_run(tmp_path, student_ckpt):
    src = save_pano(tmp_path / "room.png", 32, 64)
    out = tmp_path / "out"
    base = [str(src), "--out", str(out), "--formats", "npy", "preview"]
    assert predict(student_ckpt, *base, "--ply", "--glb", "--mesh") == 0
    assert (out / "room.ply").is_file() and (out / "room_mesh.glb").is_file()
    foreign = [out / "room.ply.bak", out / "room_notes.txt", out / "other.ply"]
    for path in foreign:
        path.write_text("not panodepth's")
    # another job (height, outputs): redone; the old cloud and mesh must not stay behind
    assert predict(student_ckpt, *base[:3], "--formats", "npy", "--height", "64") == 0
    sidecar = json.loads((out / "room.json").read_text())
    assert sidecar["files"] == ["room.npy"]
    left = sorted(p.name for p in out.iterdir())
    assert left == sorted(["room.json", "room.npy", *(p.name for p in foreign)])


def test_teacher_input_size_must_be_positive(tmp_path, capsys):
    src = save_pano(tmp_path / "a.png", 32, 64)
    for bad in ("0", "-4"):
        code = main(["predict", str(src), "--teacher", "no-such-teacher", "--out",
                     str(tmp_path / "out"), "--teacher_input_size", bad])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1  # one line, before the teacher is looked up
        assert f"--teacher_input_size must be at least 1 (or left out for the teacher's own), " \
               f"got {bad}" in err  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_teacher_options_with_a_student_are_warned_about(tmp_path, student_ckpt, capsys):
    src = save_pano(tmp_path / "a.png", 32, 64)
    code = predict(student_ckpt, str(src), "--out", str(tmp_path / "out"),
                   "--fov", "95", "--teacher_input_size", "56", "--formats", "npy")  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0
    assert "warning: --fov has no effect with a student (--checkpoint)" in err
    assert "warning: --teacher_input_size has no effect with a student" in err
    capsys.readouterr()
    assert predict(student_ckpt, str(src), "--out", str(tmp_path / "o2")) == 0
    assert "warning" not in capsys.readouterr().err  # left out: nothing said


def test_help_states_no_wrong_teacher_default(capsys):
    with pytest.raises(SystemExit):
        main(["predict", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    start = text.index("--teacher_input_size TEACHER_INPUT_SIZE, --teacher-input-size")
    entry = text[start : text.index("--device DEVICE", start)]
    assert "the teacher's own" in entry and "518" not in entry  # synthetic-small's is 64


def test_the_summary_never_says_all_done_when_an_input_failed(tmp_path, student_ckpt, capsys):
    listing = tmp_path / "list.txt"
    listing.write_text("missing.png\n")
    code = predict(student_ckpt, str(listing), "--out", str(tmp_path / "out"))
    out = capsys.readouterr().out
    assert code == 1 and "predicted 0, failed 1, skipped 0" in out
    assert "all done already" not in out
    src = save_pano(tmp_path / "a.png", 32, 64)
    args = [str(src), "--out", str(tmp_path / "out")]
    assert predict(student_ckpt, *args) == 0
    capsys.readouterr()
    assert predict(student_ckpt, *args) == 0
    assert "predicted 0, failed 0, skipped 1 (all done already)" in capsys.readouterr().out


@pytest.mark.parametrize("fov", ["60", "170"])
def test_teacher_fov_outside_its_range_is_refused_up_front(tmp_path, capsys, fov):
    src = save_pano(tmp_path / "a.png", 32, 64)
    out = tmp_path / "out"
    args = ["predict", str(src), "--teacher", "synthetic-small", "--fov", fov, "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--fov must be in [90, 170) degrees" in err and f"got {fov}" in err
    assert not out.exists()


def test_an_out_below_a_file_is_refused_up_front(tmp_path, student_ckpt, capsys):
    src = save_pano(tmp_path / "a.png", 32, 64)
    (tmp_path / "afile").write_text("a file")
    assert predict(student_ckpt, str(src), "--out", str(tmp_path / "afile" / "sub")) == 2
    assert "afile is a file, not a folder" in capsys.readouterr().err
