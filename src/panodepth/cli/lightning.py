"""``panodepth fit | validate | test``: the recipe through Lightning's own CLI (LightningCLI).

Everything is configured by YAML (``--config configs/<file>.yaml``, several may be given and
are merged) or flags (``--model.lr 3e-4``, ``--trainer.devices 4``, ``--data.batch_size 2``);
``panodepth fit --help`` lists every option, ``--print_config`` the merged result. Resume a
run with ``--ckpt_path last`` (or a path); start from trained weights without resuming with
``--model.init_weights CKPT``.

``model.max_depth`` also sets every dataset's ground-truth range (``data.max_depth`` is
linked to it); ``--data.height H`` sets every dataset's working height at once.

Defaults added on top of Lightning's: TensorBoard and CSV loggers under ``runs/``, a
checkpoint of every epoch's end kept as ``last.ckpt`` (plus the best by ``val/abs_rel`` when
a validation set is given), a learning-rate monitor, ``seed_everything: 0``.
"""

from __future__ import annotations

from collections.abc import Sequence

COMMANDS = ("fit", "validate", "test")


DEFAULT_LOGGERS = [
    {"class_path": "lightning.pytorch.loggers.TensorBoardLogger",
     "init_args": {"save_dir": "runs", "name": "panodepth"}},
    {"class_path": "lightning.pytorch.loggers.CSVLogger",
     "init_args": {"save_dir": "runs", "name": "panodepth"}},
]  # fmt: skip
DEFAULT_CALLBACKS = [
    {"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
     "init_args": {"save_last": True, "filename": "epoch{epoch:03d}",
                   "auto_insert_metric_name": False}},
    {"class_path": "lightning.pytorch.callbacks.LearningRateMonitor"},
]  # fmt: skip


def build_cli(args: Sequence[str], run: bool = True):
    """The LightningCLI of :class:`~panodepth.training.DepthAnywhere` and its data module."""
    from lightning.pytorch.cli import LightningCLI

    from panodepth.training import DepthAnywhere, PanoramaDataModule

    class PanodepthCLI(LightningCLI):
        def add_arguments_to_parser(self, parser) -> None:
            # defaults that a config or flag may replace (trainer_defaults' callbacks cannot)
            parser.set_defaults({"trainer.callbacks": DEFAULT_CALLBACKS})
            # one depth range for the loss, the metrics and every dataset's GT mask
            parser.link_arguments("model.max_depth", "data.max_depth")

    import sys
    import warnings

    # Lightning's own use of jsonargparse's deprecated options is not the user's concern
    # ((?s): some of these messages start with a newline)
    warnings.filterwarnings(
        "ignore",
        message=r"(?s).*(skip_none|add_instantiator|instantiate_classes|LeafSpec"
        r"|JSONARGPARSE_DEPRECATION_WARNINGS)",
    )
    # no validation data is the user's choice (the data module then has no val loader)
    warnings.filterwarnings("ignore", message=r"Total length of `list` across ranks is zero")
    return PanodepthCLI(
        DepthAnywhere,
        PanoramaDataModule,
        # the command line as given: LightningCLI warns when args repeat sys.argv
        args=None if list(args) == sys.argv[1:] else list(args),
        run=run,
        seed_everything_default=0,
        trainer_defaults={"default_root_dir": "runs", "logger": DEFAULT_LOGGERS},
        save_config_kwargs={"overwrite": True},
        parser_kwargs={"prog": "panodepth", "description": __doc__.splitlines()[0]},
        auto_configure_optimizers=False,
    )


def run(args: Sequence[str]) -> int:
    """Run ``panodepth <fit|validate|test> ...`` (``args`` starts with the subcommand)."""
    build_cli(args)
    return 0
