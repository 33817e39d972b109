"""The lean install: inference without Lightning, TensorBoard or Gradio; extras named when missing.

A fresh interpreter runs the commands with those packages made unimportable
(``sys.modules[name] = None``, which is what an absent package looks like to ``import`` and to
``importlib.util.find_spec``), as after ``pip install panodepth`` without extras.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from panodepth.extras import EXTRAS, MissingExtraError, missing, require
from tests.inference.conftest import save_pano

ABSENT = ("lightning", "pytorch_lightning", "lightning_fabric", "tensorboard", "gradio")

SCRIPT = """
import contextlib, io, json, sys
for name in {absent!r}:
    sys.modules[name] = None
from panodepth.cli.main import main
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main(argv)
        except SystemExit as exit:
            rc = exit.code
    results.append({{"rc": rc, "stderr": err.getvalue()}})
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {absent!r} and sys.modules[m])
print(json.dumps({{"results": results, "loaded": loaded}}))
"""


def _run_without_extras(commands: list[list[str]]) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(absent=ABSENT), json.dumps(commands)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_inference_runs_without_the_training_and_app_extras(tmp_path, student_ckpt):
    pano = save_pano(tmp_path / "room.png", 32, 64)
    out = tmp_path / "out"
    report = _run_without_extras([
        ["predict", str(pano), "--checkpoint", str(student_ckpt), "--out", str(out / "s"),
         "--height", "32", "--mesh", "--ply"],
        ["predict", str(pano), "--teacher", "synthetic-small", "--out", str(out / "t"),
         "--height", "32"],
        ["project", str(pano), "--out", str(out / "p"), "--height", "32"],
        ["fit", "--help"],
        ["demo", "--quick"],
        ["app"],
    ])  # fmt: skip
    rcs = [r["rc"] for r in report["results"]]
    assert rcs[:3] == [0, 0, 0], report
    assert (out / "s" / "room_mesh.glb").is_file() and (out / "t" / "room.png").is_file()
    assert any((out / "p").iterdir())
    for result, extra in zip(report["results"][3:], ["train", "train", "app"], strict=True):
        assert result["rc"] == 2
        assert f"pip install 'panodepth[{extra}]'" in result["stderr"]
        assert "Traceback" not in result["stderr"] and len(result["stderr"].splitlines()) == 1
    assert report["loaded"] == []  # nothing of the extras was imported


def test_require_names_the_extra_and_its_install_command(monkeypatch):
    assert set(EXTRAS) == {"train", "app"}
    monkeypatch.setitem(sys.modules, "gradio", None)
    assert missing("app") == ["gradio"]
    with pytest.raises(MissingExtraError, match=r"panodepth app needs the 'app' extra \(gradio "
                       r"is not installed\): pip install 'panodepth\[app\]'"):  # fmt: skip
        require("app", "panodepth app")
    with pytest.raises(ValueError, match="unknown extra"):
        require("gpu", "x")


def test_the_training_classes_need_the_train_extra(monkeypatch):
    import panodepth.training as training

    monkeypatch.setitem(sys.modules, "lightning", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'panodepth\[train\]'"):
        training.DepthAnywhere  # noqa: B018
    assert callable(training.save_student)  # student files need no extra
