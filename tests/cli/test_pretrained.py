"""`panodepth predict` / `eval` with a pretrained folder or a hub id (read from a local
Hugging Face cache, offline), and `panodepth convert --pretrained` (through the real entry
point)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard

from panodepth.cli.main import main
from panodepth.io import read_student_metadata
from panodepth.models import Student360, build_model
from tests.inference.conftest import save_pano
from tests.io.hub_helpers import cache_repo, same_outputs

ARGS = ["--height", "32", "--formats", "npy"]


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread) -> None:
    """Tiny students: one intra-op thread (see ``one_thread``)."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A metric ``pano-unet`` (width 4, seed 0) written by ``save_pretrained``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = build_model("pano-unet", width=4, output="depth")
    path = tmp_path_factory.mktemp("pretrained") / "metric-unet"
    model.save_pretrained(path, model_card_kwargs={"license": "mit"})
    return path


def test_predict_with_a_folder_and_with_its_hub_id(tmp_path, folder, hf_cache, network_attempts):
    pano = save_pano(tmp_path / "room.png", 32, 64)
    assert main(["predict", str(pano), "--checkpoint", str(folder), "--out",
                 str(tmp_path / "a"), *ARGS]) == 0  # fmt: skip
    sidecar = json.loads((tmp_path / "a" / "room.json").read_text())
    assert sidecar["metric"] is True and sidecar["model"] == str(folder)
    cache_repo(hf_cache, "someone/metric-unet", folder)
    assert main(["predict", str(pano), "--checkpoint", "someone/metric-unet@main", "--out",
                 str(tmp_path / "b"), *ARGS]) == 0  # fmt: skip
    assert json.loads((tmp_path / "b" / "room.json").read_text())["model"] == (
        "someone/metric-unet@main"
    )
    a, b = (np.load(tmp_path / run / "room.npy") for run in "ab")
    np.testing.assert_array_equal(a, b)
    assert network_attempts == []


def test_predict_errors_are_one_line(tmp_path, hf_cache, capsys, network_attempts):
    pano = save_pano(tmp_path / "room.png", 32, 64)
    (tmp_path / "empty").mkdir()
    for source, expected in (
        ("panodepth-tests/no-such-student", "'panodepth-tests/no-such-student' is neither"),
        (str(tmp_path / "empty"), "exists but holds no loadable panodepth student"),
        (str(tmp_path / "missing"), "is not an existing directory (nor a valid hub id)"),
    ):
        capsys.readouterr()
        code = main(["predict", str(pano), "--checkpoint", source, "--out", str(tmp_path / "o"),
                     *ARGS])  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2, source
        assert err.startswith(f"error: could not load a panodepth student from {source!r}: ")
        assert expected in err and "hf download" in err, source
        assert err.count("\n") == 1 and "Traceback" not in err, err
    assert network_attempts == []


def test_eval_with_a_folder(tmp_path, folder, domains):
    spec = tmp_path / "data.yaml"
    listing = domains["c"] / "list.txt"  # two synthetic rooms at 64×128 (tests/conftest.py)
    spec.write_text(f"class_path: panodepth.data.ListDataset\ninit_args:\n  list_file: {listing}\n"
                    "  depth_scale: 0.001\n  height: 64\n")  # fmt: skip
    report = tmp_path / "eval.json"
    assert main(["eval", "--checkpoint", str(folder), "--data", str(spec), "--protocol", "none",
                 "--height", "32", "--out", str(report), "--no_progress"]) == 0  # fmt: skip
    assert json.loads(report.read_text())["images"] == 2


def test_convert_pretrained_exports_a_student_file(tmp_path, student_ckpt, capsys):
    out = tmp_path / "export"
    card_args = ["--license", "cc-by-4.0", "--repo_id", "me/rel-unet", "--training_data", "A"]
    assert main(["convert", str(student_ckpt), str(out), "--pretrained", *card_args]) == 0
    assert "pano-unet" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "config.json",
                                                     "model.safetensors"]  # fmt: skip
    card = ModelCard.load(out / "README.md")
    assert card.data.license == "cc-by-4.0" and card.data.library_name == "panodepth"
    assert "**Data:** A" in card.text and "--checkpoint me/rel-unet" in card.text
    assert same_outputs(Student360.from_pretrained(out), Student360.from_pretrained(student_ckpt),
                        height=32)  # fmt: skip
    # refusals, one line each: an existing folder, a file as folder, a non-release without
    # --pretrained
    capsys.readouterr()
    assert main(["convert", str(student_ckpt), str(out), "--pretrained"]) == 2
    assert main(["convert", str(student_ckpt), str(student_ckpt), "--pretrained",
                 "--overwrite"]) == 2  # fmt: skip
    assert main(["convert", str(student_ckpt), str(tmp_path / "x.safetensors")]) == 2
    err = capsys.readouterr().err
    assert "exists (--overwrite" in err and "is a file; --pretrained writes a folder" in err
    assert "panodepth student or training checkpoint" in err  # without --pretrained
    assert err.count("\n") == 3 and "Traceback" not in err
    assert read_student_metadata(out)["name"] == "pano-unet"
