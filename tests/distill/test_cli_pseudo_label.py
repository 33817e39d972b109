"""`panodepth pseudo-label` end to end with a tiny Depth Anything saved to a local folder."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from panodepth.cli.main import main
from panodepth.teachers.tiny import save_tiny_depth_anything


@pytest.fixture(scope="module")
def tiny_teacher_dir(tmp_path_factory):
    return save_tiny_depth_anything(tmp_path_factory.mktemp("tiny-da"))


def test_pseudo_label_command(tmp_path, tiny_teacher_dir, capsys):
    panos = tmp_path / "panos"
    panos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(3):
        Image.fromarray(rng.integers(0, 255, (32, 64, 3), dtype=np.uint8)).save(panos / f"{i}.png")
    (panos / "list.txt").write_text("0.png\n1.png\n2.png\n")
    out = tmp_path / "labels"
    args = ["pseudo-label", str(panos / "list.txt"), str(out), "--teacher", str(tiny_teacher_dir),
            "--input_size", "56", "--rotations", "2", "--no_progress"]  # fmt: skip
    assert main([*args, "--rank", "0", "--world_size", "2"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["0.safetensors", "2.safetensors"]
    assert main([*args, "--rank", "1", "--world_size", "2"]) == 0
    t = load_file(str(out / "1.safetensors"))
    assert t["disparity"].shape == (2, 6, 1, 16, 16)
    assert torch.isfinite(t["disparity"].float()).all() and (t["disparity"] >= 0).all()
    assert main(args) == 0
    assert "3 already done" in capsys.readouterr().out


def test_missing_teacher_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code = main(["pseudo-label", str(tmp_path), str(tmp_path / "o"), "--teacher",
                 str(tmp_path / "no-such-model"), "--no_progress"])  # fmt: skip
    assert code == 2
    assert "no-such-model" in capsys.readouterr().err
