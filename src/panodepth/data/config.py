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

from .datasets.base import DEPTH_SUFFIXES, DatasetError


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


LAYOUTS = (
    "a YAML dataset spec or training config (.yaml/.yml)",
    "a list file (.txt/.lst/.list: 'rgb depth' per line; PNG depth needs --depth_scale)",
    "a `panodepth synth` folder (meta.json)",
    "a Stanford2D3D folder (area_* folders)",
    "a Structured3D folder (scene_* folders)",
    "a Matterport3D folder (scene folders of UniFuse's stitched panoramas)",
)


def dataset_from_source(
    source: str | os.PathLike,
    *,
    height: int | None,
    max_depth: float = 10.0,
    depth_scale: float | None = None,
) -> Dataset:
    """A labeled dataset from what a user points ``panodepth eval --data`` at (:data:`LAYOUTS`):
    a YAML spec (``height`` overrides its own only when given), a list file of
    ``rgb depth`` pairs (``depth_scale``: metres per PNG step), or a dataset folder whose
    layout is recognised.

    Raises:
        DatasetError: a missing source, one that is none of the layouts (all are named), or
            a list file of PNG depth without ``depth_scale`` (``--depth_scale`` is named).
    """
    from panodepth.io.inputs import IMAGE_SUFFIXES, LIST_SUFFIXES

    from .datasets import (
        ListDataset,
        Matterport3D,
        Stanford2D3D,
        Structured3D,
        SyntheticPanoramas,
    )

    path = Path(source)
    common: dict[str, Any] = {"height": height, "max_depth": max_depth}
    if path.suffix.lower() in (".yaml", ".yml"):
        if not path.is_file():
            raise DatasetError(f"{path}: dataset config not found")
        return dataset_from_config(path, **({"height": height} if height else {}))
    if path.suffix.lower() in LIST_SUFFIXES:
        if depth_scale is None:
            _require_depth_scale(path)
        return ListDataset(path, depth_scale=depth_scale, **common)
    if not path.exists():
        raise DatasetError(f"{path}: not found; --data takes {'; '.join(LAYOUTS)}")
    if not path.is_dir():
        single = (
            " (for single panoramas, write a list file of 'rgb depth' lines)"
            if path.suffix.lower() in IMAGE_SUFFIXES + DEPTH_SUFFIXES
            else ""
        )
        raise DatasetError(
            f"{path}: exists, but a {path.suffix or 'suffix-less'} file is not a --data "
            f"source{single}; --data takes {'; '.join(LAYOUTS)}"
        )
    root = path / "Structured3D" if (path / "Structured3D").is_dir() else path
    if (path / "meta.json").is_file():
        return SyntheticPanoramas(path, **common)
    if any(p.is_dir() and p.name.lower().startswith("area_") for p in path.iterdir()):
        return Stanford2D3D(path, **common)
    if any(p.is_dir() and p.name.startswith("scene_") for p in root.iterdir()):
        return Structured3D(root, **common)
    try:
        return Matterport3D(path, **common)
    except DatasetError:
        raise DatasetError(
            f"{path}: not a dataset layout panodepth knows; --data takes {'; '.join(LAYOUTS)}"
        ) from None


def _require_depth_scale(list_file: Path) -> None:
    """Raise when the list file's depth PNGs have no scale, naming the option that gives it
    (:class:`~.datasets.ListDataset` names its argument, ``depth_scale=``)."""
    from .datasets.listfile import pair_records

    if any(
        r.depth is not None and r.depth.suffix.lower() == ".png" for r in pair_records(list_file)
    ):
        raise DatasetError(
            f"{list_file}: its depth PNGs need a scale: pass --depth_scale (metres per PNG "
            "step, e.g. 0.001 for millimetres, 0.00025 for Matterport3D, 0.001953125 for "
            "Stanford2D3D); the scale is never guessed"
        )
