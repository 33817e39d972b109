"""End-to-end tests of `panodepth predict` (through the real entry point)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import trimesh
from PIL import Image
from plyfile import PlyData

from panodepth.cli.main import main
from panodepth.io import read_depth_png, read_exr
from tests.inference.conftest import save_pano

ALL = ["--formats", "png16", "npy", "exr", "preview", "--ply", "--glb"]


def test_all_outputs_are_written_and_read_back(tmp_path, student_ckpt):
    src = save_pano(tmp_path / "room.png", 40, 80)
    out = tmp_path / "out"
    args = [str(src), "--checkpoint", str(student_ckpt), "--out", str(out), "--height", "32"]
    assert main(["predict", *args, *ALL]) == 0
    sidecar = json.loads((out / "room.json").read_text())
    assert sidecar["kind"] == "range" and sidecar["metric"] is False
    assert sidecar["source"] == str(src) and sidecar["model"] == str(student_ckpt)
    assert sidecar["height"] == 40 and sidecar["width"] == 80  # native size by default
    assert "x right, y down, z forward" in sidecar["frame"]
    png_file = read_depth_png(out / "room.png")  # the scale from its panodepth:scale chunk
    png, meta = png_file.depth(), png_file.meta
    assert meta["scale"] == sidecar["scale"]
    npy = np.load(out / "room.npy")
    assert npy.shape == (40, 80) and npy.dtype == np.float32
    np.testing.assert_allclose(png, npy, atol=sidecar["scale"] / 2 + 1e-6)
    np.testing.assert_array_equal(read_exr(out / "room.exr"), npy)
    with Image.open(out / "room_preview.png") as im:
        assert im.size == (80, 40)
    vertices = PlyData.read(str(out / "room.ply"))["vertex"]
    assert len(vertices) == int((npy > 0).sum()) == sidecar["points"]
    (cloud,) = trimesh.load(out / "room.glb").geometry.values()
    assert len(cloud.vertices) == len(vertices)
    np.testing.assert_allclose(cloud.vertices[:, 1], -vertices["y"], atol=1e-6)


def test_files_folders_lists_and_bad_inputs(tmp_path, student_ckpt, capsys):
    save_pano(tmp_path / "dir" / "a.png")
    save_pano(tmp_path / "dir" / "nested" / "b.png")
    listed = save_pano(tmp_path / "elsewhere" / "c.jpg")
    (tmp_path / "list.txt").write_text(f"{listed}\n")
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\x00garbage")
    wide = tmp_path / "wide.png"
    Image.fromarray(np.zeros((20, 60, 3), np.uint8)).save(wide)  # 3:1
    near = tmp_path / "near.png"
    Image.fromarray(np.zeros((32, 65, 3), np.uint8)).save(near)  # 2 % off: resized, warned
    out = tmp_path / "out"
    inputs = [str(tmp_path / "dir"), str(bad), str(tmp_path / "list.txt"), str(wide), str(near)]
    code = main(["predict", *inputs, "--checkpoint", str(student_ckpt), "--out", str(out),
                 "--height", "32", "--batch-size", "2"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert "broken.jpg: cannot be read as an image" in err and "wide.png: 60×20" in err
    assert "near.png: 65×32 is not exactly 2:1" in err
    # names are relative to the folder or list file an input came from (list.txt is in
    # tmp_path, so its absolute entry tmp_path/elsewhere/c.jpg is "elsewhere/c")
    for name in ("a", "nested/b", "elsewhere/c", "near"):
        assert (out / f"{name}.json").is_file() and (out / f"{name}.png").is_file(), name
    assert not (out / "broken.json").exists() and not (out / "wide.json").exists()


def test_rerun_skips_finished_inputs_and_overwrite_redoes_them(tmp_path, student_ckpt, capsys):
    src = save_pano(tmp_path / "a.png")
    out = tmp_path / "out"
    args = ["predict", str(src), "--checkpoint", str(student_ckpt), "--out", str(out),
            "--height", "32"]  # fmt: skip
    assert main(args) == 0
    stamp = (out / "a.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main(args) == 0
    assert "skipped" in capsys.readouterr().out
    assert (out / "a.json").stat().st_mtime_ns == stamp
    assert main([*args, "--ply"]) == 0  # a missing requested file: done again
    assert (out / "a.ply").is_file()
    stamp = (out / "a.json").stat().st_mtime_ns
    assert main([*args, "--overwrite"]) == 0
    assert (out / "a.json").stat().st_mtime_ns != stamp


def test_teacher_mode_with_ensemble(tmp_path, teacher_dir):
    src = save_pano(tmp_path / "t.png", 32, 64)
    out = tmp_path / "out"
    code = main(["predict", str(src), "--teacher", str(teacher_dir), "--out", str(out),
                 "--height", "32", "--ensemble", "2", "--median-depth", "2.0",
                 "--teacher-input-size", "56",
                 "--native-size", "false", "--formats", "npy"])  # fmt: skip
    assert code == 0
    sidecar = json.loads((out / "t.json").read_text())
    assert sidecar["mode"] == "teacher" and sidecar["metric"] is False
    assert sidecar["ensemble"] == 2 and sidecar["ensemble_mode"] == "full"
    assert "2.0 m" in sidecar["units"]
    depth = np.load(out / "t.npy")
    assert float(np.median(depth[depth > 0])) == pytest.approx(2.0, rel=0.05)


def test_usage_errors(tmp_path, student_ckpt):
    src = save_pano(tmp_path / "a.png")
    assert main(["predict", str(src), "--out", str(tmp_path)]) == 2  # no model
    assert main(["predict", "--checkpoint", str(student_ckpt), "--out", str(tmp_path)]) == 2
    code = main(["predict", str(src), "--checkpoint", str(student_ckpt), "--height", "16",
                 "--out", str(tmp_path)])  # fmt: skip
    assert code == 2


def test_inputs_in_sub_folders_keep_their_folders(tmp_path, student_ckpt, capsys):
    panos = tmp_path / "panos"
    for rel in ("a.png", "sub/b.png", "sub2/b.png"):  # two b.png: they must not collide
        save_pano(panos / rel)
    out = tmp_path / "out"
    args = ["predict", str(panos), "--checkpoint", str(student_ckpt), "--out", str(out),
            "--height", "32", "--formats", "png16", "npy"]  # fmt: skip
    assert main(args) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.json"))
    assert written == ["a.json", "sub/b.json", "sub2/b.json"]
    sidecar = json.loads((out / "sub2" / "b.json").read_text())
    assert sidecar["name"] == "sub2/b" and sidecar["source"] == str(panos / "sub2" / "b.png")
    assert sidecar["files"] == ["b.npy", "b.png"]
    capsys.readouterr()
    assert main(args) == 0  # a re-run finds the nested outputs
    assert capsys.readouterr().out.count("done already, skipped") == 3
    code = main(["predict", str(panos / "sub" / "b.png"), str(panos / "sub2" / "b.png"),
                 "--checkpoint", str(student_ckpt), "--out", str(tmp_path / "o2")])  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "named 'b'" in err and "sub/b.png" in err and "sub2/b.png" in err
    assert not (tmp_path / "o2").exists()


def test_mesh_is_written_as_glb_and_ply_with_the_stride(tmp_path, student_ckpt):
    src = save_pano(tmp_path / "room.png", 32, 64)
    out = tmp_path / "out"
    args = [str(src), "--checkpoint", str(student_ckpt), "--out", str(out), "--height", "32"]
    assert main(["predict", *args, "--mesh", "--stride", "2", "--formats", "npy"]) == 0
    sidecar = json.loads((out / "room.json").read_text())
    assert {"room_mesh.glb", "room_mesh.ply", "room.npy"} <= set(sidecar["files"])
    ply = trimesh.load(out / "room_mesh.ply", process=False)
    (glb,) = trimesh.load(out / "room_mesh.glb").geometry.values()
    assert len(ply.faces) == len(glb.faces) == sidecar["mesh"]["faces"] > 0
    assert len(ply.vertices) == sidecar["mesh"]["vertices"] <= 16 * 32 + 2  # stride 2
    np.testing.assert_allclose(glb.vertices[:, 1:], -ply.vertices[:, 1:], atol=1e-5)  # glTF axes
    assert ply.visual.vertex_colors.shape == (len(ply.vertices), 4)
    depth = np.load(out / "room.npy")[::2, ::2]
    ranges = np.linalg.norm(ply.vertices, axis=1)
    assert ranges.min() >= depth[depth > 0].min() * 0.999  # vertices lie on the prediction
    assert ranges.max() <= depth.max() * 1.001
