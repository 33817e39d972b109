"""End-to-end tests of `panodepth project` (through the real entry point)."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from panodepth.cli.main import main


def _pano(path, h=32, w=64, seed=0):
    arr = np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)
    Image.fromarray(arr).save(path)
    return path


def test_project_writes_all_outputs(tmp_path):
    src = _pano(tmp_path / "room.png")
    out = tmp_path / "out"
    args = [str(src), "--out", str(out), "--height", "32", "--rotate", "30", "10", "0"]
    assert main(["project", *args, "--fov", "90"]) == 0
    room = out / "room"
    for name in (
        "cube_dice.png",
        "cube_roundtrip.png",
        "cube_roundtrip_error.png",
        "rotated.png",
        "rotated_cube_dice.png",
        "perspective.png",
        "tangent_level0.png",
        "summary.json",
    ):
        assert (room / name).is_file(), name
    summary = json.loads((room / "summary.json").read_text())
    assert summary["face_size"] == 16 and summary["tangent_views"] == 20
    assert 0 <= summary["roundtrip_mean_abs"] < 0.2
    assert Image.open(room / "cube_dice.png").size == (64, 48)


def test_faces_layout_and_pattern(tmp_path):
    out = tmp_path / "out"
    assert (
        main(["project", "--pattern", "--height", "32", "--layout", "faces", "--out", str(out)])
        == 0
    )
    faces = sorted(p.name for p in (out / "pattern" / "cube").iterdir())
    assert faces == ["B.png", "D.png", "F.png", "L.png", "R.png", "U.png"]


def test_bad_inputs_are_reported_and_the_rest_is_done(tmp_path, capsys):
    good = _pano(tmp_path / "good.png")
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\x00garbage")
    square = tmp_path / "square.png"
    Image.fromarray(np.zeros((20, 20, 3), np.uint8)).save(square)
    out = tmp_path / "out"
    code = main(["project", str(bad), str(square), str(good), "--out", str(out), "--height", "32"])
    err = capsys.readouterr().err
    assert code == 1
    assert "broken.jpg: cannot be read as an image" in err
    assert "square.png: 20×20" in err
    assert (out / "good" / "summary.json").is_file()
    assert not (out / "broken").exists() and not (out / "square").exists()


def test_rerun_skips_finished_inputs(tmp_path, capsys):
    src = _pano(tmp_path / "a.png")
    out = tmp_path / "out"
    assert main(["project", str(src), "--out", str(out), "--height", "32"]) == 0
    stamp = (out / "a" / "summary.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main(["project", str(src), "--out", str(out), "--height", "32"]) == 0
    assert "skipped" in capsys.readouterr().out
    assert (out / "a" / "summary.json").stat().st_mtime_ns == stamp


def test_no_inputs_is_a_usage_error(tmp_path):
    assert main(["project", "--out", str(tmp_path)]) == 2


def test_folders_and_lists_are_collected_like_predict(tmp_path, capsys):
    panos = tmp_path / "panos"
    for i, rel in enumerate(("a.png", "sub/b.png", "sub2/b.png")):
        (panos / rel).parent.mkdir(parents=True, exist_ok=True)
        _pano(panos / rel, seed=i)
    (tmp_path / "list.txt").write_text("panos/sub/b.png\n")
    out = tmp_path / "out"
    args = ["--out", str(out), "--height", "32", "--tangent_level", "-1"]
    assert main(["project", str(panos), str(tmp_path / "list.txt"), *args]) == 0
    done = sorted(p.parent.relative_to(out).as_posix() for p in out.rglob("summary.json"))
    assert done == ["a", "sub/b", "sub2/b"]  # the listed file is the folder's sub/b: once
    assert "is given twice" in capsys.readouterr().err
    summary = json.loads((out / "sub2" / "b" / "summary.json").read_text())
    assert summary["source"] == str(panos / "sub2" / "b.png")
    capsys.readouterr()
    both = [str(panos / "sub" / "b.png"), str(panos / "sub2" / "b.png")]
    assert main(["project", *both, *args]) == 2
    assert "named 'b'" in capsys.readouterr().err
    (tmp_path / "pattern.png").write_bytes(b"")
    assert main(["project", str(tmp_path / "pattern.png"), "--pattern", *args]) == 2
