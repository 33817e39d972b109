"""The shipped configs parse: every key, type and class path is valid for `panodepth fit`."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml

from panodepth.cli.lightning import build_cli

ROOT = Path(__file__).parents[2] / "configs"
# training configs; configs/eval/ holds dataset specs for `panodepth eval` (tested with the readers)
CONFIGS = sorted(p for p in ROOT.rglob("*.yaml") if p.parent.name != "eval")


def test_configs_are_shipped():
    names = {p.relative_to(ROOT).as_posix() for p in CONFIGS}
    for student in ("unifuse", "bifusepp", "hohonet", "egformer"):
        assert f"paper/{student}.yaml" in names


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.stem)
def test_config_parses(config, capsys):
    with pytest.raises(SystemExit) as done:
        build_cli(["fit", "--config", str(config), "--print_config"])
    assert done.value.code in (0, None)
    printed = yaml.safe_load(capsys.readouterr().out)
    source = yaml.safe_load(config.read_text())
    assert printed["model"]["student"] == source["model"]["student"]
    assert printed["model"]["lr"] == pytest.approx(float(source["model"]["lr"]))
    assert printed["data"]["labeled"]["class_path"] == source["data"]["labeled"]["class_path"]


def test_paper_optimizers_follow_the_released_configs():
    expected = {"unifuse": ("adam", 1e-4), "bifusepp": ("adam", 3e-4),
                "hohonet": ("adam", 1e-4), "egformer": ("adamw", 5e-5)}  # fmt: skip
    for student, (optimizer, lr) in expected.items():
        model = yaml.safe_load((ROOT / "paper" / f"{student}.yaml").read_text())["model"]
        assert (model["optimizer"], float(model["lr"])) == (optimizer, lr)
        assert model["teacher"]["init_args"]["model"] == "LiheYoung/depth-anything-large-hf"


@pytest.mark.parametrize("student", ["unifuse", "bifusepp", "hohonet", "egformer"])
def test_paper_student_options_build(student):
    """The paper configs' student options are accepted by the builders (ImageNet weights are
    requested where the original uses them; building without them is checked here)."""
    from panodepth.models import build_model

    options = yaml.safe_load((ROOT / "paper" / f"{student}.yaml").read_text())["model"]
    options = {**options["student_options"], "pretrained": False} if student != "egformer" else {}
    with torch.device("meta"):  # the options are checked; no memory is spent on weights
        model = build_model(student, **options)
    assert model.model_name == student and model.model_options == options


def test_model_max_depth_sets_every_datasets_gt_range(domains, tmp_path):
    from tests.training.conftest import write_config

    config = write_config(tmp_path / "c.yaml", domains, teacher=None)
    cli = build_cli(["--config", str(config), "--model.max_depth", "20",
                     "--data.height", "32"], run=False)  # fmt: skip
    assert cli.model.hparams.max_depth == 20
    for dataset in (cli.datamodule.labeled, cli.datamodule.val):
        assert dataset.max_depth == 20 and dataset.height == 32
    assert dataset[0]["rgb"].shape[-2:] == (32, 64)


def test_data_module_applies_height_and_max_depth_to_its_datasets():
    from types import SimpleNamespace

    from panodepth.training import PanoramaDataModule

    labeled, val = SimpleNamespace(height=64, max_depth=10.0), SimpleNamespace(height=64)
    PanoramaDataModule(labeled=labeled, val=val, height=128, max_depth=20.0)
    assert (labeled.height, labeled.max_depth, val.height) == (128, 20.0, 128)
    untouched = SimpleNamespace(height=64, max_depth=10.0)
    PanoramaDataModule(labeled=untouched)
    assert (untouched.height, untouched.max_depth) == (64, 10.0)
    with pytest.raises(ValueError, match="multiple of 32"):
        PanoramaDataModule(labeled=untouched, height=100)
    with pytest.raises(ValueError, match="max_depth must be a positive"):
        PanoramaDataModule(labeled=untouched, max_depth=0)


@pytest.mark.parametrize("config", sorted((ROOT / "paper").glob("*.yaml")), ids=lambda p: p.stem)
def test_paper_configs_score_as_the_release_does(config, capsys):
    """Validation with the release's validation evaluator, the test with its zero-shot one."""
    with pytest.raises(SystemExit):
        build_cli(["fit", "--config", str(config), "--print_config"])
    model = yaml.safe_load(capsys.readouterr().out)["model"]
    assert (model["val_protocol"], model["test_protocol"]) == ("release_val", "release")


def test_the_synthetic_config_states_its_protocols():
    model = yaml.safe_load((ROOT / "synthetic.yaml").read_text())["model"]
    assert (model["val_protocol"], model["test_protocol"]) == ("release_val", "release_val")


def test_module_protocols_default_to_the_release_pair_and_the_old_option_sets_both():
    from panodepth.training import DepthAnywhere

    small = {"student": "pano-unet", "student_options": {"width": 4}}
    module = DepthAnywhere(**small)
    assert (module.metrics["val"].protocol, module.metrics["test"].protocol) == (
        "release_val", "release",
    )  # fmt: skip
    old = DepthAnywhere(**small, eval_protocol="paper")  # a config or checkpoint of before
    assert (old.metrics["val"].protocol, old.metrics["test"].protocol) == ("paper", "paper")
    mixed = DepthAnywhere(**small, eval_protocol="paper", test_protocol="release")
    assert (mixed.metrics["val"].protocol, mixed.metrics["test"].protocol) == (
        "paper", "release",
    )  # fmt: skip
