"""`panodepth fit | validate | test` as a user meets it: one run folder, resuming with `last`,
a quiet console, one-line errors, the checkpoint's architecture, metrics under their protocol.

Tiny runs (pano-unet, 4 labeled 64×128 panoramas, batch 2) with the CLI's default loggers and
checkpoints (``runs/panodepth/version_N/``), in a temporary working directory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from panodepth.cli.main import main

from .conftest import synthetic


@pytest.fixture
def run_dir(domains, tmp_path, monkeypatch) -> Path:
    """A working directory with ``tiny.yaml``: labeled A, val/test C, the default loggers."""
    config = {
        "seed_everything": 0,
        "model": {"student": "pano-unet", "lr": 1e-3},
        "data": {
            "labeled": synthetic(domains["a"]),
            "val": synthetic(domains["c"]),
            "test": synthetic(domains["c"]),
            "batch_size": 2,
            "num_workers": 0,
        },
        "trainer": {
            "max_epochs": 1,
            "accelerator": "cpu",
            "devices": 1,
            "enable_progress_bar": False,
        },
    }
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def versions(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "runs" / "panodepth").iterdir())


def test_one_run_one_version_then_last_resumes_it(run_dir, capsys):
    assert main(["fit", "--config", "tiny.yaml"]) == 0
    out = capsys.readouterr()
    console = out.out + out.err
    version = run_dir / "runs" / "panodepth" / "version_0"
    # defect 2: TensorBoard, CSV, config and checkpoints share one version folder
    assert versions(run_dir) == ["version_0"]
    assert (version / "metrics.csv").is_file() and list(version.glob("events.out.tfevents.*"))
    assert (version / "checkpoints" / "last.ckpt").is_file()
    # defect 3: no adverts, no FLOPs column, no raw Lightning warning with its source path
    for noise in ("litlogger", "litmodels", "FLOPs", "fit_loop.py", "logging interval"):
        assert noise not in console, noise
    assert "student pano-unet: 0.49 M parameters" in console
    # defect 1: `last` resumes the newest last.ckpt and keeps logging in its folder
    assert main(["fit", "--config", "tiny.yaml", "--trainer.max_epochs", "2",
                 "--ckpt_path", "last"]) == 0  # fmt: skip
    console = "".join(capsys.readouterr())
    assert "no last checkpoint available" not in console
    assert versions(run_dir) == ["version_0"]
    state = torch.load(version / "checkpoints" / "last.ckpt", weights_only=True)
    assert state["global_step"] == 2 * 2 and state["epoch"] == 1
    rows = (version / "metrics.csv").read_text().splitlines()
    epochs = {line.split(",")[0] for line in rows[1:]}
    assert {"0", "1"} <= epochs  # the first epoch's rows were kept, the second's appended

    # defect 3 / 6: validate and test write no run folder, print one table under its protocol
    for command, stage, protocol in (
        ("validate", "val", "release_val"),
        ("test", "test", "release"),
    ):
        assert main([command, "--config", "tiny.yaml", "--ckpt_path", "last"]) == 0
        out = capsys.readouterr()
        assert f"{stage}: 2 panoramas scored, protocol {protocol}\n" in out.out
        assert "AbsRel ↓" in out.out and "dirpath has changed" not in out.err
        assert "litmodels" not in out.err and "Be aware" not in out.err
    assert versions(run_dir) == ["version_0"] and not (run_dir / "runs" / "checkpoints").exists()

    # defect 5: a checkpoint of another architecture is refused, naming both
    ckpt = str(version / "checkpoints" / "last.ckpt")
    assert main(["test", "--config", "tiny.yaml", "--model.student", "egformer",
                 "--ckpt_path", ckpt]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "'pano-unet'" in err and "'egformer'" in err and "Traceback" not in err


def test_last_without_a_checkpoint(run_dir, capsys):
    assert main(["validate", "--config", "tiny.yaml", "--ckpt_path", "last"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("error: --ckpt_path last: no last.ckpt in")


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--data.labeled.init_args.root=data/nope", "error: data/nope: synthetic dataset folder"),
        ("--data.height=48", "error: height must be a multiple of 32 (≥ 32), got 48"),
    ],
)
def test_bad_settings_are_one_line(run_dir, capsys, flag, message):
    assert main(["fit", "--config", "tiny.yaml", flag]) == 2
    err = capsys.readouterr().err  # (the last line: Lightning's log handler may hold a closed
    # stream of an earlier test's capture, which `logging` reports with its own traceback)
    assert err.strip().splitlines()[-1].startswith(message) and "Namespace(" not in err
