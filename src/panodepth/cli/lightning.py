"""``panodepth fit | validate | test``: the recipe through Lightning's own CLI (LightningCLI).

Everything is configured by YAML (``--config configs/<file>.yaml``, several may be given and
are merged) or flags (``--model.lr 3e-4``, ``--trainer.devices 4``, ``--data.batch_size 2``);
``panodepth fit --help`` lists every option, ``--print_config`` the merged result. Resume a
run with ``--ckpt_path last`` (the newest ``last.ckpt`` under ``runs/panodepth/``; logging
continues in its version folder) or a path; start from trained weights without resuming with
``--model.init_weights CKPT``.

``model.max_depth`` also sets every dataset's ground-truth range (``data.max_depth`` is
linked to it); ``--data.height H`` sets every dataset's working height at once.

Defaults added on top of Lightning's: TensorBoard and CSV loggers sharing one
``runs/panodepth/version_N/`` (:mod:`panodepth.training.runs`), a checkpoint of every epoch's
end kept as ``last.ckpt`` (plus the best by ``val/abs_rel`` when a validation set is given), a
learning-rate monitor, ``seed_everything: 0``; ``validate`` / ``test`` print their metrics
under their protocol and write no run folder.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Sequence

COMMANDS = ("fit", "validate", "test")


DEFAULT_LOGGERS = [
    {"class_path": "lightning.pytorch.loggers.TensorBoardLogger",
     "init_args": {"save_dir": "runs", "name": "panodepth"}},
    {"class_path": "panodepth.training.runs.CSVLogger",
     "init_args": {"save_dir": "runs", "name": "panodepth"}},
]  # fmt: skip
DEFAULT_CALLBACKS = [
    {"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
     "init_args": {"save_last": True, "filename": "epoch{epoch:03d}",
                   "auto_insert_metric_name": False}},
    {"class_path": "lightning.pytorch.callbacks.LearningRateMonitor"},
]  # fmt: skip
QUIET = [
    # Lightning's use of jsonargparse's deprecated options ((?s): some start with a newline)
    r"(?s).*(skip_none|add_instantiator|instantiate_classes|LeafSpec"
    r"|JSONARGPARSE_DEPRECATION_WARNINGS)",
    # no validation data is the user's choice (the data module then has no val loader)
    r"Total length of `list` across ranks is zero",
    # a short run (a few batches per epoch) is the user's choice
    r"The number of training batches .* is smaller than the logging interval",
    # resuming: the run's own version folder already holds its checkpoints
    r"Checkpoint directory .* exists and is not empty",
]
RANK_ZERO_LOGGERS = (
    "lightning.pytorch.utilities.rank_zero",
    "lightning.fabric.utilities.rank_zero",
)
"""Lightning's info lines (rank_zero_info); its litlogger / litmodels adverts are dropped."""
USER_ERRORS = (ValueError, TypeError, KeyError, OSError)
"""Errors of building the model / data from the config: the user's settings, one line."""


class _NoAdverts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        return "litlogger" not in text and "litmodels" not in text


def _show_warning(message, *_args, **_kwargs) -> None:
    print(f"warning: {message}", file=sys.stderr)  # one line, no source path


def _innermost(err: BaseException) -> BaseException:
    while err.__cause__ is not None:  # jsonargparse wraps the dataset's own error
        err = err.__cause__
    return err


def build_cli(args: Sequence[str], run: bool = True):
    """The LightningCLI of :class:`~panodepth.training.DepthAnywhere` and its data module."""
    from lightning.pytorch.cli import LightningCLI

    from panodepth.metrics import format_table
    from panodepth.training import DepthAnywhere, PanoramaDataModule
    from panodepth.training.runs import RunError, prepare_run

    class PanodepthCLI(LightningCLI):
        def add_arguments_to_parser(self, parser) -> None:
            # defaults that a config or flag may replace (trainer_defaults' callbacks cannot)
            parser.set_defaults({"trainer.callbacks": DEFAULT_CALLBACKS})
            # one depth range for the loss, the metrics and every dataset's GT mask
            parser.link_arguments("model.max_depth", "data.max_depth")

        def parse_arguments(self, parser, args) -> None:
            super().parse_arguments(parser, args)
            sub = self.config.get("subcommand")
            if sub:
                defaults = self._parser(sub).get_defaults().get("model")
                note = prepare_run(self.config[sub], sub, defaults)
                if note:
                    print(f"warning: {note}", file=sys.stderr)

        def instantiate_classes(self) -> None:
            try:
                super().instantiate_classes()
            except USER_ERRORS as err:
                inner = _innermost(err)
                text = inner.args[0] if isinstance(inner, KeyError) and inner.args else inner
                raise RunError(" ".join(str(text).split())) from err

        def instantiate_trainer(self, **kwargs):
            if self.subcommand != "fit":  # results are printed, no config.yaml to save
                self.save_config_callback = None
            return super().instantiate_trainer(**kwargs)

        def before_fit(self) -> None:
            student = self.model.student
            count = sum(p.numel() for p in student.parameters())
            print(f"student {self.model.hparams.student}: {count / 1e6:.2f} M parameters")

        def _before_eval(self, subcommand: str) -> None:
            self.config_init[subcommand].verbose = False  # our table instead of Lightning's

        def _after_eval(self, stage: str) -> None:
            if not self.trainer.is_global_zero:
                return
            prefix = f"{stage}/"
            metrics = {
                key[len(prefix) :]: float(value)
                for key, value in self.trainer.callback_metrics.items()
                if key.startswith(prefix)
            }
            images = int(metrics.pop("images", 0))
            protocol = self.model.protocols[stage]
            print(f"{stage}: {images} panoramas scored, protocol {protocol}")
            print(format_table(metrics, labels=True))

        def before_validate(self) -> None:
            self._before_eval("validate")

        def before_test(self) -> None:
            self._before_eval("test")

        def after_validate(self) -> None:
            self._after_eval("val")

        def after_test(self) -> None:
            self._after_eval("test")

    for pattern in QUIET:
        warnings.filterwarnings("ignore", message=pattern)
    if list(args)[:1] != ["fit"]:  # validate / test leave the fit-only callbacks out on purpose
        warnings.filterwarnings("ignore", message=r"Be aware that when using `ckpt_path`")
    return PanodepthCLI(
        DepthAnywhere,
        PanoramaDataModule,
        # the command line as given: LightningCLI warns when args repeat sys.argv
        args=None if list(args) == sys.argv[1:] else list(args),
        run=run,
        seed_everything_default=0,
        trainer_defaults={
            "default_root_dir": "runs",
            "logger": DEFAULT_LOGGERS,
            "enable_model_summary": False,  # its FLOPs column reads 0; before_fit's one line
        },
        save_config_kwargs={"overwrite": True},
        parser_kwargs={"prog": "panodepth", "description": __doc__.splitlines()[0]},
        auto_configure_optimizers=False,
    )


def run(args: Sequence[str]) -> int:
    """Run ``panodepth <fit|validate|test> ...`` (``args`` starts with the subcommand)."""
    from panodepth.training.runs import VERSION_ENV, RunError

    adverts = _NoAdverts()
    for name in RANK_ZERO_LOGGERS:
        logging.getLogger(name).addFilter(adverts)
    inherited = VERSION_ENV in os.environ  # a DDP worker: its launcher chose the version
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            build_cli(args)
    except RunError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    finally:
        for name in RANK_ZERO_LOGGERS:
            logging.getLogger(name).removeFilter(adverts)
        if not inherited:
            os.environ.pop(VERSION_ENV, None)
    return 0
