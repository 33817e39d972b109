"""Datasets from YAML specs (`panodepth eval --data`)."""

from __future__ import annotations

import pytest
import yaml

from panodepth.data import DatasetError, SyntheticPanoramas
from panodepth.data.config import dataset_from_config


@pytest.fixture(scope="module")
def synth(domains):
    return domains["c"]  # two synthetic rooms (tests/conftest.py)


def spec(root, **extra):
    return {"class_path": "panodepth.data.SyntheticPanoramas",
            "init_args": {"root": str(root), "height": 32, **extra}}  # fmt: skip


def test_a_top_level_spec_and_a_training_config_both_work(synth, tmp_path):
    one = tmp_path / "one.yaml"
    one.write_text(yaml.safe_dump(spec(synth)))
    ds = dataset_from_config(one)
    assert isinstance(ds, SyntheticPanoramas) and len(ds) == 2 and ds.height == 32
    fit = tmp_path / "fit.yaml"
    fit.write_text(yaml.safe_dump({"model": {}, "data": {"val": spec(synth, height=64)}}))
    assert dataset_from_config(fit).height == 64  # data.val when there is no data.test
    assert dataset_from_config(fit, height=32).height == 32  # overrides


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("data: {labeled: {}}", "no dataset found"),
        ("- just\n- a list", "YAML mapping"),
        ("class_path: panodepth.data.NoSuchSet\ninit_args: {}", "invalid dataset spec"),
        (": : :", "cannot read"),
    ],
)
def test_bad_specs_name_the_file(tmp_path, content, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    with pytest.raises(DatasetError, match=message) as err:
        dataset_from_config(bad)
    assert "bad.yaml" in str(err.value)


def test_a_missing_root_is_the_readers_error(tmp_path):
    bad = tmp_path / "missing.yaml"
    bad.write_text(yaml.safe_dump(spec(tmp_path / "nowhere")))
    with pytest.raises(DatasetError, match="nowhere"):
        dataset_from_config(bad)
