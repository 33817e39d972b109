"""The run folders of ``panodepth fit | validate | test``: one version per run, resuming, checks.

A run writes everything under one ``<save_dir>/<name>/version_N/`` (TensorBoard events,
``metrics.csv``, ``config.yaml``, ``checkpoints/``): :func:`prepare_run` gives every logger
that has a ``version`` the same N (Lightning picks each logger's next free version on its
own, so two loggers of one root ended in two folders). ``--ckpt_path last`` resumes the newest
``version_*/checkpoints/last.ckpt`` of the loggers' roots and keeps logging in its folder;
``validate`` / ``test`` print their results and write no run folder. A checkpoint whose
student differs from an architecture chosen on the command line or in a config is refused
(Lightning would silently take the checkpoint's hyperparameters).

:class:`CSVLogger` is Lightning's, except that a resumed run appends to ``metrics.csv``
instead of deleting it. The functions work on the parsed config (a jsonargparse Namespace).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from lightning.pytorch.loggers import CSVLogger as _LightningCSVLogger
from lightning.pytorch.loggers.csv_logs import ExperimentWriter

VERSION_ENV = "PANODEPTH_RUN_VERSION"
"""The version chosen by the launching process, inherited by DDP's worker processes."""

_VERSION = re.compile(r"version_(\d+)$")
_EVAL_ONLY = ("ModelCheckpoint", "LearningRateMonitor")  # callbacks that only fit uses


class RunError(ValueError):
    """A user's mistake about a run (no checkpoint to resume, another architecture)."""


class _AppendingWriter(ExperimentWriter):
    """Lightning's CSV writer, continuing an existing ``metrics.csv`` (its header included)."""

    def _check_log_dir_exists(self) -> None:
        if self._fs.isfile(self.metrics_file_path):
            with self._fs.open(self.metrics_file_path, "r", newline="") as file:
                header = file.readline().strip()
            self.metrics_keys = [key for key in header.split(",") if key]


class CSVLogger(_LightningCSVLogger):
    """Lightning's ``CSVLogger`` that appends to the ``metrics.csv`` of a resumed version."""

    @property
    def experiment(self) -> ExperimentWriter:
        if self._experiment is None:
            self._fs.makedirs(self.root_dir, exist_ok=True)
            self._experiment = _AppendingWriter(log_dir=self.log_dir)
        return self._experiment


def _items(value: Any) -> list:
    if value is None or isinstance(value, bool):
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _versioned(loggers: list) -> list:
    """The loggers' init_args that have a save_dir, a name and a version (TensorBoard, CSV)."""
    found = []
    for logger in loggers:
        args = logger.get("init_args") if hasattr(logger, "get") else None
        if args is not None and all(k in args for k in ("save_dir", "name", "version")):
            found.append(args)
    return found


def _root(args: Any) -> Path:
    return Path(args.save_dir) / (args.name or "")


def _versions(root: Path) -> dict[int, Path]:
    if not root.is_dir():
        return {}
    matches = ((_VERSION.match(p.name), p) for p in root.iterdir() if p.is_dir())
    return {int(m[1]): p for m, p in matches if m}


def newest_last_checkpoint(roots: list[Path]) -> tuple[Path, int] | None:
    """The most recently written ``version_N/checkpoints/last.ckpt`` under ``roots``, and N."""
    found = [
        (folder / "checkpoints" / "last.ckpt", n)
        for root in roots
        for n, folder in _versions(root).items()
        if (folder / "checkpoints" / "last.ckpt").is_file()
    ]
    return max(found, key=lambda item: (item[0].stat().st_mtime, item[1]), default=None)


def _version_of(ckpt: Path, roots: list[Path]) -> int | None:
    """N when ``ckpt`` lies in ``<root>/version_N/checkpoints/``."""
    folder = ckpt.resolve().parent
    match = _VERSION.match(folder.parent.name)
    if folder.name != "checkpoints" or not match:
        return None
    if folder.parent.parent not in {root.resolve() for root in roots}:
        return None
    return int(match[1])


def check_architecture(ckpt_path: str, model: Any, defaults: Any) -> None:
    """Refuse a checkpoint whose student / head differs from one chosen in the config."""
    import torch

    try:
        state = torch.load(ckpt_path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as err:  # not a zip of tensors: Lightning's own message would be a traceback
        first = (str(err).splitlines() or [type(err).__name__])[0]
        raise RunError(f"{ckpt_path}: not a Lightning checkpoint ({first})") from err
    saved = state.get("hyper_parameters") or {}
    for key in ("student", "output"):
        chosen, stored = model.get(key), saved.get(key)
        if stored is None or chosen == stored or chosen == defaults.get(key):
            continue  # not chosen by the user: the checkpoint's value is used
        raise RunError(
            f"{ckpt_path}: the checkpoint holds a {stored!r} student (model.{key}), but "
            f"--model.{key} is {chosen!r}; drop the option or give a checkpoint of {chosen!r}"
        )


def prepare_run(config: Any, subcommand: str, model_defaults: Any) -> str | None:
    """Settle the run's version, ``--ckpt_path last`` and the checkpoint's architecture.

    Edits ``config`` (one subcommand's parsed config) in place; returns a line to tell the
    user (a fresh start asked to resume), or None. Raises :class:`RunError`.
    """
    trainer = config.trainer
    loggers = _versioned(_items(trainer.get("logger")))
    roots = list(dict.fromkeys(_root(args) for args in loggers))
    callbacks = _items(trainer.get("callbacks"))
    explicit_dir = any(
        cb.get("class_path", "").endswith("ModelCheckpoint") and cb.init_args.get("dirpath")
        for cb in callbacks
        if hasattr(cb, "get")
    )
    note, version = None, None
    if config.get("ckpt_path") == "last" and not explicit_dir:  # Lightning finds it otherwise
        where = " or ".join(f"{root}/version_*/checkpoints/" for root in roots) or "the logs"
        found = newest_last_checkpoint(roots)
        if found is None and subcommand != "fit":
            raise RunError(f"--ckpt_path last: no last.ckpt in {where}")
        if found is None:
            note = f"--ckpt_path last: no last.ckpt in {where} yet; training from scratch"
            config.ckpt_path = None
        else:
            config.ckpt_path, version = str(found[0]), found[1]
    ckpt = config.get("ckpt_path")
    if ckpt and ckpt != "last":
        if not Path(ckpt).is_file():
            raise RunError(f"--ckpt_path {ckpt}: no such checkpoint file")
        check_architecture(ckpt, config.model, model_defaults)
    if subcommand != "fit":  # the results are printed: no run folder, no checkpoints
        trainer.logger = False
        trainer.enable_checkpointing = False  # else Lightning adds a ModelCheckpoint of its own
        trainer.callbacks = [
            cb for cb in callbacks if not str(cb.get("class_path", "")).endswith(_EVAL_ONLY)
        ]
        return note
    if ckpt and ckpt != "last" and version is None:
        version = _version_of(Path(ckpt), roots)  # resuming a path: continue its folder
    if version is None:
        version = os.environ.get(VERSION_ENV)
    if version is None:
        taken = [n for root in roots for n in _versions(root)]
        version = max(taken, default=-1) + 1
    version = int(version)
    os.environ[VERSION_ENV] = str(version)
    for args in loggers:
        if args.version is None:
            args.version = version
    return note
