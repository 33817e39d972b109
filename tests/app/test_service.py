"""The web app's work without the browser: models on offer, a request's files and messages."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
import trimesh
from PIL import Image

from panodepth.app import AppError, DepthService, ModelSpec, bundled_samples, default_models
from panodepth.app.service import custom_model
from panodepth.io import read_depth_png, read_exr
from tests.inference.conftest import save_pano

SMALL_TEACHER = ModelSpec("teacher", "synthetic-small", "teacher")


def test_models_on_offer_put_the_given_one_first_and_the_demo_student_when_present(tmp_path):
    assert [m.source for m in default_models(demo_dir=tmp_path)] == [
        "synthetic-small", "depth-anything-v2-small",
    ]  # fmt: skip
    demo = tmp_path / "students" / "a_plus_b.safetensors"
    demo.parent.mkdir(parents=True)
    demo.write_bytes(b"x")
    models = default_models("mine.safetensors", "synthetic-small", demo_dir=tmp_path)
    assert [(m.kind, m.source) for m in models] == [
        ("student", "mine.safetensors"), ("teacher", "synthetic-small"),
        ("student", str(demo)), ("teacher", "depth-anything-v2-small"),
    ]  # fmt: skip
    assert len({m.label for m in models}) == len(models)


def test_a_typed_model_is_a_student_unless_it_says_teacher():
    assert custom_model("  ") is None
    assert custom_model("user/model") == ModelSpec("student", "user/model", "student: user/model")
    assert custom_model("teacher: ./da2").kind == "teacher"
    assert custom_model("teacher: ./da2").source == "./da2"
    with pytest.raises(AppError, match="after 'teacher:'"):
        custom_model("teacher:")


def test_a_request_writes_what_the_page_shows(tmp_path, student_ckpt):
    src = save_pano(tmp_path / "room.png", 40, 80)
    spec = ModelSpec("student", str(student_ckpt), "s")
    service = DepthService([spec], tmp_path / "work")
    steps: list[tuple[float, str]] = []
    result = service.run(src, spec, height=32, progress=lambda f, what: steps.append((f, what)))
    assert [f for f, _ in steps] == sorted(f for f, _ in steps) and steps[-1][0] == 1.0
    with Image.open(result.preview) as im:
        assert im.size == (80, 40)  # the input's own size
    with Image.open(result.colorbar) as im:
        assert im.width > im.height
    names = sorted(p.name for p in result.files)
    assert names == sorted(
        ["room.png", "room.json", "room.exr", "room.ply", "room_mesh.glb", "room_mesh.ply"]
    )
    assert all(p.parent == result.preview.parent and p.is_file() for p in result.files)
    depth = read_depth_png(result.files[0]).depth()
    np.testing.assert_allclose(read_exr(result.files[2]), depth, atol=2e-3)
    sidecar = json.loads(result.files[1].read_text())
    assert sidecar["metric"] is False and sidecar["mesh"]["faces"] > 0
    mesh = trimesh.load(result.mesh, force="mesh")
    assert len(mesh.faces) == sidecar["mesh"]["faces"]
    assert "**Relative depth**" in result.summary and "not* metres" in result.summary


def test_a_metric_student_says_metres(tmp_path, metric_ckpt):
    src = save_pano(tmp_path / "room.png", 32, 64)
    spec = ModelSpec("student", str(metric_ckpt), "m")
    result = DepthService([spec], tmp_path / "work").run(src, spec, height=32)
    assert "**Metric depth, in metres**" in result.summary


def test_teacher_mode_with_the_shipped_teacher_runs_offline(tmp_path):
    (sample,) = bundled_samples(tmp_path / "samples", height=32)[:1]
    service = DepthService([SMALL_TEACHER], tmp_path / "work")
    result = service.run(sample, SMALL_TEACHER, height=64)
    assert "synthetic-small" in result.summary
    preview = np.asarray(Image.open(result.preview))
    assert preview.shape == (32, 64, 3) and preview.std() > 0


def test_a_bad_file_is_named_by_its_own_name_not_the_servers_path(tmp_path):
    bad = tmp_path / "uploads" / "abc123" / "broken.png"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not an image at all")
    service = DepthService([SMALL_TEACHER], tmp_path / "work")
    with pytest.raises(AppError) as caught:
        service.run(bad, SMALL_TEACHER, height=64)
    message = str(caught.value)
    assert "broken.png" in message and str(bad.parent) not in message
    with pytest.raises(AppError, match="upload a panorama"):
        service.run(None, SMALL_TEACHER)


def test_a_model_that_cannot_load_is_a_message(tmp_path):
    spec = ModelSpec("student", str(tmp_path / "missing.safetensors"), "gone")
    service = DepthService([spec], tmp_path / "work")
    src = save_pano(tmp_path / "room.png", 32, 64)
    with pytest.raises(AppError, match=r"could not load the model: .*missing\.safetensors"):
        service.run(src, spec, height=32)
    with pytest.raises(AppError, match="unknown model"):
        service.spec("not offered")


def test_only_the_last_requests_are_kept(tmp_path, student_ckpt):
    src = save_pano(tmp_path / "room.png", 32, 64)
    spec = ModelSpec("student", str(student_ckpt), "s")
    service = DepthService([spec], tmp_path / "work", keep=2)
    folders = []
    for k in range(3):
        folders.append(service.run(src, spec, height=32).preview.parent)
        os.utime(folders[-1], (time.time() - 10 + k, time.time() - 10 + k))
    assert [f.exists() for f in folders] == [False, True, True]


def test_the_samples_are_rendered_once(tmp_path):
    first = bundled_samples(tmp_path, height=32)
    stamps = [p.stat().st_mtime_ns for p in first]
    assert len(first) == 3 and bundled_samples(tmp_path, height=32) == first
    assert [p.stat().st_mtime_ns for p in first] == stamps
    with Image.open(first[0]) as im:
        assert im.size == (64, 32)
