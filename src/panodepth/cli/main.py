"""The ``panodepth`` command: parses arguments and dispatches to one subcommand module each.

Subcommands hold no logic of their own: each module under :mod:`panodepth.cli` declares its
arguments and calls the library. A bad argument is one line on stderr (``error: …`` and which
``--help`` to read), exit status 2 — no usage dump.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from collections.abc import Sequence

from jsonargparse import ArgumentParser, DefaultHelpFormatter

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


DESCRIPTION = """\
Monocular depth for 360° panoramas (Depth Anywhere, NeurIPS 2024). Run a subcommand;
`panodepth SUBCOMMAND --help` lists its options. Training (Lightning's CLI, extra [train]):
panodepth fit | validate | test --config CONFIG."""


_EXPECTED = {"int": "expected an integer", "float": "expected a number", "bool": "expected true "
             "or false", "str": "expected a string"}  # fmt: skip


class HelpFormatter(DefaultHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """jsonargparse's help, with each subcommand's description kept as its module wrote it."""


class Parser(ArgumentParser):
    """jsonargparse's parser with a one-line error: ``error: MESSAGE (see `PROG --help`)``."""

    def error(self, message: str, ex: Exception | None = None):  # type: ignore[override]
        if not self.exit_on_error:
            super().error(message, ex)
        parser = getattr(ex, "subcommand_parser", None) or self
        prog = parser.prog.replace(" [options]", "")
        text = re.sub(r'Parser key "([\w.]+)":', r"--\1:", " ".join(str(message).split()))
        text = re.sub(r"Expected an? <class '(\w+)'>", lambda m: _EXPECTED.get(m[1], m[0]), text)
        print(f"error: {text} (see `{prog} --help`)", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> ArgumentParser:
    import panodepth

    parser = Parser(
        prog="panodepth",
        description=DESCRIPTION,
        formatter_class=HelpFormatter,  # the subcommands' parsers take the main one's
        epilog="Training: panodepth fit | validate | test --config CONFIG (see "
        "`panodepth fit --help`; Lightning's CLI).",
        version=panodepth.__version__,
    )
    subcommands = parser.add_subcommands(dest="command", required=False)
    for name, module in SUBCOMMANDS.items():
        # the module's doc as written (its examples keep their lines), without RST markup
        doc = module.__doc__.replace("``", "`")
        sub = Parser(description=doc)
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
        if cfg.command is None:  # bare `panodepth`: what it can do, not an error message
            parser.print_help()
            return 2
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning  # one line per warning, no source excerpt
            return SUBCOMMANDS[cfg.command].run(cfg[cfg.command])
    except KeyboardInterrupt:
        # files are written atomically: an interrupted write leaves no partial file behind
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
