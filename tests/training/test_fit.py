"""`panodepth fit | validate | test` end to end on tiny synthetic domains, and resuming."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from panodepth.cli.main import main
from panodepth.training import load_student

from .conftest import HEIGHT, write_config


def ckpt_state(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def logged(root: Path, name: str) -> list[float]:
    values = []
    for metrics in sorted(root.rglob("metrics.csv")):
        with metrics.open() as f:
            values += [float(r[name]) for r in csv.DictReader(f) if r.get(name)]
    return values


@pytest.mark.slow
def test_fit_validate_test_with_cached_pseudo_labels(domains, teacher_dir, tmp_path, capsys):
    cache = tmp_path / "labels"
    assert main(["pseudo-label", str(domains["b"] / "rgb"), str(cache), "--teacher",
                 str(teacher_dir), "--input_size", "56", "--rotations", "2", "--height",
                 str(HEIGHT), "--no_progress"]) == 0  # fmt: skip
    config = write_config(tmp_path / "tiny.yaml", domains, teacher=None, pseudo_labels=cache)
    assert main(["fit", "--config", str(config)]) == 0
    runs = tmp_path / "runs"
    last = runs / "checkpoints" / "last.ckpt"
    state = ckpt_state(last)
    assert state["global_step"] == 2 * 2  # 2 epochs × (4 labeled / batch 2)
    losses = logged(runs, "train/loss_pseudo")
    assert losses and all(torch.isfinite(torch.tensor(losses)))
    abs_rel = logged(runs, "val/abs_rel")
    assert len(abs_rel) == 2 and all(0 < v < 10 for v in abs_rel)  # validated every epoch
    # the student inside the checkpoint is usable on its own
    student = load_student(last).eval()
    with torch.no_grad():
        out = student(torch.rand(1, 3, HEIGHT, 2 * HEIGHT))
    assert out.shape == (1, 1, HEIGHT, 2 * HEIGHT) and torch.isfinite(out).all()

    capsys.readouterr()
    for command in ("validate", "test"):
        assert main([command, "--config", str(config), "--ckpt_path", str(last)]) == 0
    printed = capsys.readouterr().out
    assert "val: 2 panoramas scored, protocol release_val" in printed  # the module's defaults
    assert "test: 2 panoramas scored, protocol release" in printed and "AbsRel ↓" in printed


def test_fit_with_an_online_teacher(domains, teacher_dir, tmp_path):
    config = write_config(tmp_path / "online.yaml", domains, teacher=teacher_dir, max_epochs=1)
    assert main(["fit", "--config", str(config), "--data.ratio", "2"]) == 0
    state = ckpt_state(tmp_path / "runs" / "checkpoints" / "last.ckpt")
    assert state["global_step"] == 2
    assert not any("teacher" in key for key in state["state_dict"])  # student only
    assert logged(tmp_path / "runs", "train/loss_pseudo")


def run_fit(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.run([sys.executable, "-m", "panodepth", "fit", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)  # fmt: skip


@pytest.mark.slow
def test_a_killed_run_resumes_to_the_same_step_count(domains, teacher_dir, tmp_path):
    config = write_config(tmp_path / "tiny.yaml", domains, teacher=None, max_epochs=3)
    # labeled-only run (no pseudo labels needed): killed hard when epoch 1 starts
    args = ["--config", str(config), "--data.unlabeled", "null",
            "--trainer.callbacks+=tests.training.probes.KillAtEpoch",
            "--trainer.callbacks.epoch=1"]  # fmt: skip
    killed = run_fit(args, tmp_path)
    assert killed.returncode == 3, killed.stderr[-2000:]
    last = tmp_path / "runs" / "checkpoints" / "last.ckpt"
    assert ckpt_state(last)["global_step"] == 2  # one epoch of 2 steps was saved
    resumed = run_fit(["--config", str(config), "--data.unlabeled", "null", "--ckpt_path",
                       str(last)], tmp_path)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    state = ckpt_state(last)
    assert state["global_step"] == 3 * 2 and state["epoch"] == 2  # as an uninterrupted run
    # the user's console: no library deprecations (Lightning's calls into jsonargparse / torch)
    assert "deprecat" not in (resumed.stdout + resumed.stderr).lower(), resumed.stderr[-2000:]


@pytest.mark.parametrize("bad", ["--model.student=nosuchnet", "--data.ratio=0"])
def test_bad_training_settings_fail_clearly(domains, tmp_path, bad, capsys):
    config = write_config(tmp_path / "tiny.yaml", domains, teacher=None, max_epochs=1)
    try:  # a parser error exits, a setting the classes refuse is one `error:` line
        code = main(["fit", "--config", str(config), "--data.unlabeled", "null", bad])
    except SystemExit as exit_:
        code = exit_.code
    text = capsys.readouterr().err
    assert code == 2 and ("nosuchnet" in text or "ratio" in text)


def test_end_to_end_synth_fit_predict_eval(domains, teacher_dir, tmp_path, capsys):
    """The whole recipe from the command line: synth → fit (online teacher) → predict → eval."""
    data = tmp_path / "synth"
    for name, domain in (("a", "office"), ("b", "outdoor"), ("c", "home")):
        assert main(["synth", str(data / name), "--domain", domain, "--count", "2",
                     "--size", f"{HEIGHT}x{2 * HEIGHT}", "--no_progress"]) == 0  # fmt: skip
    config = write_config(tmp_path / "e2e.yaml", {k: data / k for k in "abc"}, teacher_dir,
                          max_epochs=1)  # fmt: skip
    assert main(["fit", "--config", str(config)]) == 0
    last = tmp_path / "runs" / "checkpoints" / "last.ckpt"
    out = tmp_path / "pred"
    assert main(["predict", str(data / "c" / "rgb"), "--checkpoint", str(last), "--out",
                 str(out), "--height", str(HEIGHT), "--ply"]) == 0  # fmt: skip
    from plyfile import PlyData

    ply = PlyData.read(str(out / "00000.ply"))
    assert ply["vertex"].count > HEIGHT * HEIGHT  # most pixels of the 64×128 map
    capsys.readouterr()
    report = tmp_path / "eval.json"
    assert main(["eval", "--checkpoint", str(last), "--data", str(config), "--protocol",
                 "paper", "--out", str(report), "--no_progress"]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "AbsRel ↓" in printed and "protocol paper" in printed
    results = json.loads(report.read_text())
    assert results["images"] == 2 and 0 < results["metrics"]["abs_rel"] < 10
    assert [r["name"] for r in results["per_image"]] == ["00000", "00001"]
