"""Shared helpers of the training tests: a config writer for tiny `panodepth fit` runs.

The tiny synthetic domains (``domains``) and the tiny teacher (``teacher_dir``) are the
shared session fixtures of ``tests/conftest.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import DOMAIN_HEIGHT

HEIGHT = DOMAIN_HEIGHT  # the height of the shared ``domains``


@pytest.fixture(autouse=True)
def _plain_argv(monkeypatch):
    """`main([...])` in-process: LightningCLI warns when pytest's own argv is also present."""
    monkeypatch.setattr(sys, "argv", ["panodepth"])


def synthetic(root: Path, labeled: bool = True, augment: bool = False) -> dict:
    args: dict = {"root": str(root), "labeled": labeled, "height": HEIGHT}
    if augment:
        args["augment"] = {"class_path": "panodepth.data.Augment"}
    return {"class_path": "panodepth.data.SyntheticPanoramas", "init_args": args}


def write_config(
    path: Path,
    domains: dict[str, Path],
    teacher: Path | None,
    pseudo_labels: Path | None = None,
    max_epochs: int = 2,
    root_dir: Path | None = None,
) -> Path:
    """A tiny `panodepth fit` config: A labeled, B unlabeled (online teacher or cache), C val."""
    # pano-unet (0.5 M params): a UniFuse checkpoint is 360 MB, written twice per run
    model: dict = {"student": "pano-unet", "lr": 1e-3}
    if teacher is not None:
        model["teacher"] = {
            "class_path": "panodepth.teachers.DepthAnythingTeacher",
            "init_args": {"model": str(teacher), "input_size": 56},
        }
    root_dir = root_dir or path.parent / "runs"
    config = {
        "seed_everything": 0,
        "model": model,
        "data": {
            "labeled": synthetic(domains["a"], augment=True),
            "unlabeled": synthetic(domains["b"], labeled=False, augment=True),
            "val": synthetic(domains["c"]),
            "test": synthetic(domains["c"]),
            "pseudo_labels": None if pseudo_labels is None else str(pseudo_labels),
            "batch_size": 2,
            "num_workers": 0,
        },
        "trainer": {
            "max_epochs": max_epochs,
            "accelerator": "cpu",
            "devices": 1,
            "log_every_n_steps": 1,
            "enable_progress_bar": False,
            "default_root_dir": str(root_dir),
            "logger": [
                {
                    "class_path": "lightning.pytorch.loggers.CSVLogger",
                    "init_args": {"save_dir": str(root_dir), "name": "tiny"},
                },
            ],
            "callbacks": [
                {
                    "class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
                    "init_args": {"dirpath": str(root_dir / "checkpoints"), "save_last": True},
                },
            ],
        },
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
