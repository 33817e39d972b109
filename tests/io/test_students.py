"""panodepth.io.students: the student file format, loadable without Lightning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from panodepth.io import load_student, read_student_metadata, save_student
from panodepth.models import build_model

REPO = Path(__file__).parents[2]


def test_round_trip_metadata_and_refusals(tmp_path):
    torch.manual_seed(0)
    model = build_model("pano-unet", width=4).eval()
    path = save_student(model, tmp_path / "s" / "student.safetensors", {"note": "x"})
    meta = read_student_metadata(path)
    assert meta["format"] == "panodepth-student/1" and meta["name"] == "pano-unet"
    assert json.loads(meta["options"])["width"] == 4 and meta["note"] == "x"
    again = load_student(path).eval()
    x = torch.rand(1, 3, 32, 64)
    with torch.no_grad():
        assert torch.equal(again(x), model(x))
    save_file({"w": torch.zeros(1)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match=r"other\.safetensors: not a panodepth student file"):
        load_student(tmp_path / "other.safetensors")
    with pytest.raises(ValueError, match=r"gone\.safetensors: checkpoint not found"):
        load_student(tmp_path / "gone.safetensors")


def test_training_re_exports_the_same_functions():
    import panodepth.io.students as students
    import panodepth.training as training
    from panodepth.training import checkpoint

    for name in ("save_student", "load_student", "load_student_weights", "read_student_metadata"):
        assert getattr(training, name) is getattr(students, name), name
    assert checkpoint.read_student_file is students.read_student_file


@pytest.mark.slow  # a fresh interpreter: 2–3 s of imports
def test_predict_path_imports_neither_lightning_nor_the_data_package(tmp_path):
    path = save_student(build_model("pano-unet", width=4), tmp_path / "s.safetensors")
    code = f"""
import sys
import panodepth.inference
light = sorted(m for m in ("torchvision", "panodepth.data", "lightning", "matplotlib")
               if m in sys.modules)
from panodepth.inference.api import build_predictor
predictor = build_predictor(checkpoint={str(path)!r}, height=32)
print(light, "lightning" in sys.modules, "panodepth.data" in sys.modules, predictor.name)
"""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[0] == f"[] False False {path}"


def test_a_typo_of_a_released_name_lists_the_names(tmp_path, network_attempts):
    with pytest.raises(ValueError) as info:
        load_student("unifuse-mp3d-st3")
    message = str(info.value)
    assert "checkpoint 'unifuse-mp3d-st3' (did you mean 'unifuse-mp3d-st3d'?) is neither" in message
    assert "egformer-mp3d-st3d" in message  # the known names are listed
    with pytest.raises(ValueError, match="checkpoint not found"):  # a path stays a path
        load_student(tmp_path / "missing.safetensors")
    assert network_attempts == []
