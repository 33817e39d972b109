"""The ``panodepth`` command: parses arguments and dispatches to one subcommand module each.

Subcommands hold no logic of their own: each module under :mod:`panodepth.cli` declares its
arguments and calls the library.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence

from jsonargparse import ArgumentParser

from . import (
    app,
    convert,
    demo,
    evaluate,
    lightning,
    predict,
    project,
    pseudo_label,
    synth,
    train_teacher,
)

SUBCOMMANDS = {
    "demo": demo,
    "project": project,
    "synth": synth,
    "pseudo-label": pseudo_label,
    "predict": predict,
    "eval": evaluate,
    "train-teacher": train_teacher,
    "convert": convert,
    "app": app,
}


NEEDS_EXTRA = {"fit": "train", "validate": "train", "test": "train", "demo": "train",
               "app": "app"}  # fmt: skip
"""Subcommands that need an optional extra (:mod:`panodepth.extras`), checked before they run."""


def _missing_extra(command: str) -> str | None:
    """The message for a subcommand whose extra is not installed, else None."""
    from panodepth.extras import MissingExtraError, require

    try:
        if command in NEEDS_EXTRA:
            require(NEEDS_EXTRA[command], f"panodepth {command}")
    except MissingExtraError as err:
        return str(err)
    return None


def build_parser() -> ArgumentParser:
    import panodepth

    parser = ArgumentParser(
        prog="panodepth",
        description=__doc__.splitlines()[0],
        epilog="Training: panodepth fit | validate | test --config CONFIG (see "
        "`panodepth fit --help`; Lightning's CLI).",
        version=panodepth.__version__,
    )
    subcommands = parser.add_subcommands(dest="command")
    for name, module in SUBCOMMANDS.items():
        sub = ArgumentParser(description=module.__doc__)
        module.add_arguments(sub)
        subcommands.add_subcommand(name, sub, help=module.__doc__.splitlines()[0])
    return parser


def _show_warning(message: Warning | str, *_args: object, **_kwargs: object) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        problem = _missing_extra(args[0]) if args else None
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return 2
        if args and args[0] in lightning.COMMANDS:
            return lightning.run(args)
        parser = build_parser()
        cfg = parser.parse_args(args)
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning  # one line per warning, no source excerpt
            return SUBCOMMANDS[cfg.command].run(cfg[cfg.command])
    except KeyboardInterrupt:
        # files are written atomically: an interrupted write leaves no partial file behind
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
