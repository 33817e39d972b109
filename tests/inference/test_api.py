"""The Python API: input collection, ``predict`` with students and teachers, ``write_result``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import panodepth
from panodepth.inference import build_predictor, collect_inputs, predict, write_result
from panodepth.io import InputError, read_depth_png

from .conftest import save_pano


def test_collect_inputs_from_files_folders_and_lists(tmp_path):
    a = save_pano(tmp_path / "imgs" / "a.png")
    b = save_pano(tmp_path / "imgs" / "sub" / "b.jpg")
    (tmp_path / "imgs" / "notes.md").write_text("not an image")
    other = save_pano(tmp_path / "other" / "a.png")
    listing = tmp_path / "list.txt"
    listing.write_text(f"# panoramas\nimgs/a.png\n\n{other} depth/ignored.png\n")
    with pytest.warns(UserWarning, match="imgs/a.png is given twice"):
        items = collect_inputs([tmp_path / "imgs", listing, tmp_path / "missing.png"])
    names = [i.name for i in items]
    assert names[:2] == ["a", "sub/b"]
    assert items[0].path == a and items[1].path == b
    # the listed imgs/a.png is the folder's a.png: used once, under its first name;
    # list entries are named by their path relative to the list's folder: never renamed
    assert items[2].path == other and names[2] == "other/a"
    assert names[3] == "missing"
    assert len(set(names)) == len(names)


def test_predict_refuses_two_inputs_with_one_name(tmp_path, student_ckpt):
    x, y = save_pano(tmp_path / "x" / "a.png"), save_pano(tmp_path / "y" / "a.png")
    with pytest.raises(InputError, match=r"named 'a': .*x/a\.png and .*y/a\.png"):
        predict([x, y], checkpoint=student_ckpt, height=32)
    results = predict([tmp_path], checkpoint=student_ckpt, height=32)  # the folder holding both
    assert [r.name for r in results] == ["x/a", "y/a"] and all(r.ok for r in results)
    arr = np.zeros((32, 64, 3), np.uint8)
    with pytest.raises(InputError, match=r"named 'input0': an in-memory array and"):
        predict([arr, save_pano(tmp_path / "input0.png")], checkpoint=student_ckpt, height=32)


def test_predict_student_returns_arrays_and_errors(tmp_path, student_ckpt):
    good = save_pano(tmp_path / "good.png", 40, 80)
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg")
    arr = (np.random.default_rng(0).random((32, 64, 3)) * 255).astype(np.uint8)
    results = predict([good, bad, arr], checkpoint=student_ckpt, height=32, batch_size=2)
    assert [r.ok for r in results] == [True, False, True]
    first = results[0]
    assert first.depth.shape == (40, 80) and first.depth.dtype == np.float32  # native size
    assert first.rgb.shape == (3, 40, 80) and first.valid.dtype == bool
    assert not first.metric and "relative" in first.units
    assert float(np.median(first.depth[first.valid])) == pytest.approx(1.0, rel=0.02)
    assert first.meta["working_height"] == 32 and first.meta["mode"] == "student"
    assert "bad.jpg" in results[1].error and results[1].depth is None
    assert results[2].name == "input2"
    small = predict(good, checkpoint=student_ckpt, height=32, native_size=False, median_depth=2.5)
    assert small[0].depth.shape == (32, 64)
    assert float(np.median(small[0].depth[small[0].valid])) == pytest.approx(2.5, rel=0.02)


def test_predict_is_exposed_lazily_on_the_package():
    assert panodepth.predict is predict


def test_build_predictor_needs_exactly_one_model(student_ckpt):
    with pytest.raises(ValueError, match="exactly one"):
        build_predictor()
    with pytest.raises(ValueError, match="exactly one"):
        build_predictor(checkpoint=student_ckpt, teacher="x")
    with pytest.raises(ValueError, match="at least 32"):
        build_predictor(checkpoint=student_ckpt, height=16)


def test_teacher_mode_and_write_result(tmp_path, teacher_dir):
    pano = save_pano(tmp_path / "p.png", 32, 64)
    predictor = build_predictor(
        teacher=teacher_dir, height=32, ensemble=2, teacher_options={"input_size": 56}
    )
    assert predictor.ensemble_mode == "full" and not predictor.metric
    (result,) = predict(pano, predictor=predictor)
    assert result.ok and result.meta["mode"] == "teacher" and result.meta["ensemble"] == 2
    paths = write_result(result, tmp_path / "out", ["png16", "npy"], ply=True)
    png = read_depth_png(paths["png16"])
    depth, meta = png.depth(), png.meta
    sidecar = json.loads(paths["sidecar"].read_text())
    assert sidecar["scale"] == meta["scale"] and sidecar["kind"] == "range"
    assert sidecar["metric"] is False and sidecar["model"] == str(teacher_dir)
    assert sidecar["files"] == ["p.npy", "p.ply", "p.png"]
    np.testing.assert_allclose(depth, result.depth, atol=meta["scale"] / 2 + 1e-6)
