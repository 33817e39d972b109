"""Released ``.pth`` files: safe reading, finding them by name, `panodepth convert`, and using
them directly with `panodepth predict` / `panodepth eval`."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard

from panodepth.cli.main import main
from panodepth.models import (
    ReleasedWeights,
    ReleaseFormatError,
    Student360,
    build_model,
    load_released,
)
from panodepth.models.released import read_release_file, resolve_released
from panodepth.training import load_student, read_student_metadata, save_student
from tests.inference.conftest import save_pano
from tests.models.released_helpers import manifest, release_state


@pytest.fixture(scope="module")
def release_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An EGFormer checkpoint in the release's format, under the release's file name."""
    path = tmp_path_factory.mktemp("release") / "EGFormer" / "EGFormer_st3d.pth"
    path.parent.mkdir()
    torch.save(release_state("egformer"), path)
    return path


@pytest.fixture(scope="module")
def released(release_file: Path):
    """``load_released(release_file)``, loaded once for the module (read only)."""
    return load_released(release_file)


class Payload:
    """Unpickling this would create ``marker`` (it must never happen)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_pickled_objects_are_refused_never_run(tmp_path):
    marker = tmp_path / "executed"
    path = tmp_path / "evil.pth"
    torch.save({"w": torch.zeros(2), "payload": Payload(marker)}, path)
    with pytest.raises(ReleaseFormatError, match=r"evil.pth: refused: not a plain tensor.*'"):
        read_release_file(path)
    assert not marker.exists()
    with pytest.raises(ReleaseFormatError, match="refused"):
        load_student(path)  # the .pth path of load_student, predict and eval
    assert not marker.exists()
    raw = tmp_path / "raw.pth"
    raw.write_bytes(pickle.dumps(Payload(marker)))  # a bare (non-zip) pickle
    with pytest.raises(ReleaseFormatError, match=r"raw.pth: not a readable PyTorch file"):
        read_release_file(raw)
    assert not marker.exists()


def test_bad_files_get_clear_errors(tmp_path, release_file):
    truncated = tmp_path / "cut.pth"
    truncated.write_bytes(release_file.read_bytes()[:100_000])
    cases = {
        truncated: r"cut.pth: not a readable PyTorch file: truncated or corrupt",
        tmp_path / "missing.pth": r"missing.pth: file not found",
        tmp_path / "noise.pth": r"noise.pth: not a readable PyTorch file: it is neither a zip",
        tmp_path / "list.pth": r"list.pth: holds a list, not a state dict",
        tmp_path / "mixed.pth": r"mixed.pth: not a state dict: entry 'n' is a int",
        tmp_path / "empty.pth": r"empty.pth: holds a dict \(empty\)",
    }
    (tmp_path / "noise.pth").write_bytes(b"\x00\x01 not a zip file at all")
    torch.save([torch.zeros(1)], tmp_path / "list.pth")
    torch.save({"w": torch.zeros(1), "n": 3}, tmp_path / "mixed.pth")
    torch.save({}, tmp_path / "empty.pth")
    for path, message in cases.items():
        with pytest.raises(ReleaseFormatError, match=message):
            read_release_file(path)


def test_panodepth_files_are_not_release_files(tmp_path):
    model = build_model("pano-unet", width=4)
    student = save_student(model, tmp_path / "s.safetensors")
    with pytest.raises(ReleaseFormatError, match="panodepth student or training checkpoint"):
        read_release_file(student)
    with torch.device("meta"):  # panodepth's key names; the values do not matter here
        keys = build_model("egformer").state_dict().keys()
    torch.save({key: torch.zeros(1) for key in keys}, tmp_path / "ours.pth")
    with pytest.raises(ReleaseFormatError, match="looks like a panodepth state dict"):
        load_released(tmp_path / "ours.pth")


def test_a_training_checkpoint_holding_a_state_dict_is_unwrapped(tmp_path):
    # the release's key names; small values (reading does not look at shapes)
    state = {key: torch.full((2,), float(i)) for i, (key, _, _) in enumerate(manifest("egformer"))}
    torch.save({"model": state, "optim": {"lr": torch.tensor(1e-4)}}, tmp_path / "ckpt_3.pth")
    read = read_release_file(tmp_path / "ckpt_3.pth")
    assert read.keys() == state.keys()
    assert all(torch.equal(read[key], value) for key, value in state.items())


def test_load_released_by_path_and_by_name(
    tmp_path, monkeypatch, release_file, released, one_thread
):
    model = released  # load_released(release_file)
    assert model.model_name == "egformer" and model.release_math and model.head_kind == "linear"
    info = model.release_info
    assert info["weights"] is ReleasedWeights.EGFORMER_MP3D_ST3D and len(info["sha256"]) == 64
    home = release_file.parent.parent
    monkeypatch.setenv("PANODEPTH_HOME", str(tmp_path / "nowhere"))
    with pytest.raises(ReleaseFormatError) as err:
        resolve_released("egformer-mp3d-st3d")
    text = str(err.value)
    assert str(tmp_path / "nowhere" / "depth-anywhere" / "EGFormer" / "EGFormer_st3d.pth") in text
    assert "drive.google.com" in text and "PANODEPTH_HOME" in text and "licence" in text
    (tmp_path / "home" / "depth-anywhere" / "egformer").mkdir(parents=True)  # any case
    (tmp_path / "home" / "depth-anywhere" / "egformer" / "egformer_ST3D.pth").symlink_to(
        release_file
    )
    monkeypatch.setenv("PANODEPTH_HOME", str(tmp_path / "home"))
    by_name = load_student("egformer-mp3d-st3d")  # what --checkpoint NAME does
    x = torch.rand(1, 3, 64, 128)
    with torch.no_grad():
        torch.testing.assert_close(by_name(x), model(x))
    assert home.is_dir()


def test_convert_writes_a_normal_student_file(tmp_path, release_file, released, capsys, one_thread):
    dst = tmp_path / "eg.safetensors"
    assert main(["convert", str(release_file), str(dst)]) == 0
    out = capsys.readouterr().out
    assert "released egformer" in out and "egformer-mp3d-st3d" in out and "norm.*" in out
    meta = read_student_metadata(dst)
    assert meta["name"] == "egformer" and meta["architecture"] == "egformer"
    assert meta["source"] == "EGFormer_st3d.pth" and len(meta["source_sha256"]) == 64
    assert meta["output_kind"].startswith("relative disparity")
    assert meta["release"] == "egformer-mp3d-st3d" and "Structured3D" in meta["training_data"]
    assert meta["paper_zero_shot_stanford2d3d"] == "AbsRel 0.086, delta1 0.923"
    options = json.loads(meta["options"])
    assert options["release_math"] is True and options["head"] == "linear"
    converted, direct = load_student(dst), released
    x = torch.rand(1, 3, 64, 128)
    with torch.no_grad():
        assert torch.equal(converted(x), direct(x))
    # refusals: an existing file, a wrong architecture, a corrupt source: messages, exit 2
    assert main(["convert", str(release_file), str(dst)]) == 2
    assert main(["convert", str(release_file), str(tmp_path / "x.safetensors"),
                 "--arch", "unifuse"]) == 2  # fmt: skip
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"junk")
    assert main(["convert", str(bad), str(tmp_path / "y.safetensors")]) == 2
    assert main(["convert", str(release_file), str(tmp_path / "z.pt")]) == 2
    err = capsys.readouterr().err
    assert "exists" in err and "not a released UniFuse state dict" in err
    assert "bad.pth: not a readable PyTorch file" in err and ".safetensors" in err
    assert "Traceback" not in err


def test_convert_pretrained_writes_a_hub_folder_with_provenance(
    tmp_path, release_file, released, capsys, one_thread
):
    out = tmp_path / "eg-hub"
    assert main(["convert", str(release_file), str(out), "--pretrained"]) == 0
    assert "released egformer" in capsys.readouterr().out
    meta = read_student_metadata(out)  # the folder's model.safetensors keeps the provenance
    assert meta["source"] == "EGFormer_st3d.pth" and meta["release"] == "egformer-mp3d-st3d"
    card = ModelCard.load(out / "README.md")
    text = card.text
    assert card.data.license == "other" and "**not stated**" in text  # none in the release
    assert "Structured3D" in text and "| Stanford2D3D (zero-shot) | 0.086 | 0.923 |" in text
    assert "as reported in the Depth Anywhere paper" in text and "EGFormer_st3d.pth" in text
    x = torch.rand(1, 3, 64, 128)
    with torch.no_grad():
        assert torch.equal(Student360.from_pretrained(out)(x), released(x))


def test_predict_and_eval_take_a_release_file(tmp_path, release_file, domains, capsys, one_thread):
    src = save_pano(tmp_path / "pano.png", 64, 128)
    out = tmp_path / "out"
    args = [str(src), "--checkpoint", str(release_file), "--out", str(out), "--height", "64"]
    assert main(["predict", *args]) == 0
    sidecar = json.loads((out / "pano.json").read_text())
    assert sidecar["metric"] is False and sidecar["model"] == str(release_file)
    listing = domains["c"] / "list.txt"  # two synthetic rooms at 64×128 (tests/conftest.py)
    spec = tmp_path / "data.yaml"
    spec.write_text(f"class_path: panodepth.data.ListDataset\ninit_args:\n  list_file: {listing}\n"
                    "  depth_scale: 0.001\n  height: 64\n")  # fmt: skip
    capsys.readouterr()
    report = tmp_path / "eval.json"
    assert main(["eval", "--checkpoint", str(release_file), "--data", str(spec), "--protocol",
                 "release", "--out", str(report), "--no_progress"]) == 0  # fmt: skip
    assert json.loads(report.read_text())["images"] == 2
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"junk")
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(bad), "--data", str(spec), "--no_progress"]) == 2
    assert main(["predict", str(src), "--checkpoint", str(bad), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert err.count("bad.pth: not a readable PyTorch file") == 2 and "Traceback" not in err


def test_fine_tuning_starts_from_released_weights(release_file, released, one_thread):
    """`--model.init_weights` takes a release file too (DepthAnywhere → load_student_weights)."""
    from panodepth.training import DepthAnywhere

    module = DepthAnywhere(student="egformer", init_weights=str(release_file),
                           student_options={"head": "linear", "release_math": True})  # fmt: skip
    for key, value in released.state_dict().items():
        assert torch.equal(module.student.state_dict()[key], value)
