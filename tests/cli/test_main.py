"""The `panodepth` command itself: help, bad arguments as one line, a bare call."""

from __future__ import annotations

import pytest

from panodepth.cli.main import main


def _exit(capsys, argv: list[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return done.value.code, out, err


@pytest.mark.parametrize(
    ("argv", "message", "helps"),
    [
        (["bogus"], "invalid choice: 'bogus'", "panodepth --help"),
        (["predict", "x.png", "--formats", "jpg"], "invalid choice: 'jpg'", "panodepth predict"),
        (["project", "x.png", "--height", "tall"], "--height", "panodepth project --help"),
    ],
)
def test_a_bad_argument_is_one_line(capsys, argv, message, helps) -> None:
    code, out, err = _exit(capsys, argv)
    assert code == 2 and out == ""
    (line,) = err.splitlines()  # no usage dump, no "tip:" line
    assert line.startswith("error: ") and message in line and helps in line


def test_a_bare_call_prints_the_help(capsys) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    assert "Monocular depth for 360° panoramas" in out and "(required)" not in out
    assert "panodepth fit | validate | test" in out  # the Lightning commands are named
    assert "dispatches" not in out  # the module's own docstring is for developers


def test_a_subcommands_help_keeps_its_examples_and_has_no_rst(capsys) -> None:
    code, out, _ = _exit(capsys, ["eval", "--help"])
    assert code == 0
    lines = out.splitlines()
    assert (
        "    panodepth eval --checkpoint s.safetensors --data pairs.txt --depth_scale 0.001"
        in lines
    )
    assert "``" not in out
