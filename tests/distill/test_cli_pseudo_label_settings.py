"""A cache folder's labels count as done only when made with the same settings (K, the
teacher and its weights, ...): a re-run with other settings is refused in one line, naming the
folder, what differs and the fix; `--overwrite` relabels; caches of older versions (no record)
are refused clearly too."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from panodepth.cli.main import main


@pytest.fixture()
def panos(tmp_path):
    folder = tmp_path / "panos"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for i in range(2):
        image = rng.integers(0, 255, (16, 32, 3), dtype=np.uint8)
        Image.fromarray(image).save(folder / f"{i}.png")
    return folder


def _run(panos, out, *extra):
    return main(["pseudo-label", str(panos), str(out), "--teacher", "synthetic-small",
                 "--rotations", "2", "--no_progress", *extra])  # fmt: skip


def test_other_rotations_are_refused_naming_the_folder_and_the_difference(tmp_path, panos, capsys):
    out = tmp_path / "labels"
    assert _run(panos, out) == 0
    before = (out / "0.safetensors").read_bytes()
    capsys.readouterr()
    assert _run(panos, out, "--rotations", "3") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(out) in err and "rotations 2 → 3" in err and "--overwrite" in err
    assert (out / "0.safetensors").read_bytes() == before  # nothing lost
    assert _run(panos, out) == 0  # the same settings: resumed, all done
    assert "2 already done" in capsys.readouterr().out


def test_overwrite_relabels_with_the_new_settings(tmp_path, panos, capsys):
    out = tmp_path / "labels"
    assert _run(panos, out) == 0
    assert _run(panos, out, "--rotations", "3", "--overwrite") == 0
    assert "2 labelled" in capsys.readouterr().out
    assert load_file(str(out / "1.safetensors"))["rotation"].shape[0] == 3
    assert _run(panos, out, "--rotations", "3") == 0
    assert "2 already done" in capsys.readouterr().out


def test_new_weights_in_the_same_teacher_file_are_refused(tmp_path, panos, capsys):
    from panodepth.teachers.small import SHIPPED_WEIGHTS

    teacher = tmp_path / "t.safetensors"
    teacher.write_bytes(SHIPPED_WEIGHTS.read_bytes())
    out = tmp_path / "labels"
    args = ["pseudo-label", str(panos), str(out), "--teacher", str(teacher),
            "--rotations", "2", "--no_progress"]  # fmt: skip
    assert main(args) == 0
    with safe_open(str(teacher), framework="pt") as f:  # "retrained": other weights
        meta = f.metadata()
    weights = {k: v * 0.5 for k, v in load_file(str(teacher)).items()}
    save_file(weights, str(teacher), metadata=meta)
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "teacher t.safetensors-" in err and "--overwrite" in err
    assert _run(panos, out) == 2  # another teacher by name
    assert "synthetic-small" in capsys.readouterr().err


def test_settings_are_recorded(tmp_path, panos):
    out = tmp_path / "labels"
    assert _run(panos, out, "--max_deg", "30") == 0
    with safe_open(str(out / "0.safetensors"), framework="pt") as f:
        settings = json.loads(f.metadata()["settings"])
    assert settings["rotations"] == 2 and settings["max_deg"] == 30.0
    assert settings["teacher"].startswith("synthetic-small-")  # the weights' checksum


def test_a_cache_of_an_older_version_is_refused_clearly(tmp_path, panos, capsys):
    out = tmp_path / "labels"
    assert _run(panos, out) == 0
    for file in out.glob("*.safetensors"):  # as written before settings were recorded
        with safe_open(str(file), framework="pt") as f:
            meta = {k: v for k, v in f.metadata().items() if k != "settings"}
        save_file(load_file(str(file)), str(file), metadata=meta)
    capsys.readouterr()
    assert _run(panos, out) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(out) in err and "did not record" in err and "--overwrite" in err
