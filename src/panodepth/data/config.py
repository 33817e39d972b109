"""Datasets from YAML: the ``class_path`` / ``init_args`` form the training configs use.

A file may hold one dataset spec at its top level, or be a whole ``panodepth fit`` config
(then ``data.test``, else ``data.val``, is taken), so ``panodepth eval --data`` accepts the
same files as training. Classes are instantiated with jsonargparse, as LightningCLI does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from jsonargparse import ArgumentParser
from torch.utils.data import Dataset

from .datasets.base import DatasetError


def dataset_spec(config: dict[str, Any], source: str = "") -> dict[str, Any]:
    """The dataset spec in a parsed YAML file (see the module docstring)."""
    if "class_path" in config:
        return config
    data = config.get("data")
    if isinstance(data, dict):
        for key in ("test", "val"):
            if isinstance(data.get(key), dict):
                return data[key]
    raise DatasetError(
        f"{source}: no dataset found: expected a top-level class_path/init_args or a "
        "training config with data.test or data.val"
    )


def dataset_from_config(path: str | os.PathLike, **overrides: Any) -> Dataset:
    """Instantiate the dataset described in the YAML file ``path``.

    Args:
        overrides: ``init_args`` to replace (e.g. ``height=256``).

    Raises:
        DatasetError: unreadable YAML, no dataset spec, or arguments the class refuses.
    """
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise DatasetError(f"{path}: cannot read the dataset config ({err})") from None
    if not isinstance(config, dict):
        raise DatasetError(f"{path}: expected a YAML mapping")
    spec = dict(dataset_spec(config, str(path)))
    spec["init_args"] = {**(spec.get("init_args") or {}), **overrides}
    parser = ArgumentParser(exit_on_error=False)
    parser.add_argument("--dataset", type=Dataset)
    try:
        cfg = parser.parse_object({"dataset": spec})
        return parser.instantiate_classes(cfg).dataset
    except DatasetError:
        raise
    except Exception as err:  # jsonargparse reports bad class paths / arguments this way
        raise DatasetError(f"{path}: invalid dataset spec: {err}") from None
