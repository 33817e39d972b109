"""`panodepth pseudo-label` end to end with a tiny Depth Anything saved to a local folder."""

from __future__ import annotations

from pathlib import Path

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


def test_labels_of_a_nested_folder_are_found_for_every_unlabeled_panorama(
    tmp_path, tiny_teacher_dir, monkeypatch
):
    """Issue 13: `pseudo-label panos/ labels/` must label what `UnlabeledPanoramas(panos)`
    reads (recursively), and two `b.png` in different folders must not collide."""
    from safetensors import safe_open

    from panodepth.data import UnlabeledPanoramas
    from panodepth.distill import CachedPseudoLabels

    monkeypatch.chdir(tmp_path)  # relative paths, as a user types them
    panos = tmp_path / "panos"
    rng = np.random.default_rng(2)
    for rel in ("a.png", "sub/b.png", "sub2/b.png"):
        (panos / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(rng.integers(0, 255, (32, 64, 3), dtype=np.uint8)).save(panos / rel)
    assert main(["pseudo-label", "panos", "labels", "--teacher", str(tiny_teacher_dir),
                 "--input_size", "56", "--rotations", "2", "--no_progress"]) == 0  # fmt: skip
    files = sorted(p.relative_to("labels").as_posix() for p in Path("labels").rglob("*.*"))
    assert files == ["a.safetensors", "sub/b.safetensors", "sub2/b.safetensors"]
    for name in ("a", "sub/b", "sub2/b"):  # each file belongs to its own panorama
        with safe_open(f"labels/{name}.safetensors", framework="pt") as f:
            source = Path(f.metadata()["source"])
        assert source.resolve() == (panos / f"{name}.png").resolve()
    # what the data module does with `data.pseudo_labels: labels/`
    unlabeled = UnlabeledPanoramas("panos", height=32)
    cached = CachedPseudoLabels(unlabeled, "labels")
    assert unlabeled.names == ["a", "sub/b", "sub2/b"]
    assert [f.relative_to("labels").as_posix() for f in cached.files] == files
    for i in range(len(cached)):
        labels = cached[i]["pseudo_labels"]  # one draw: a batch-of-one record
        assert labels.disparity.shape == (1, 6, 1, 16, 16)
        assert labels.rotation.shape == (1, 3, 3)
