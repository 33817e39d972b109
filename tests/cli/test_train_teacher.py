"""End-to-end tests of `panodepth train-teacher` (through the real entry point)."""

from __future__ import annotations

import pytest
import torch

from panodepth.cli.main import main
from panodepth.teachers import SmallTeacher, build_teacher, read_metadata


@pytest.fixture(autouse=True)
def _restore_threads():
    """`--threads` sets torch's thread count for the process: put it back after each test."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TINY = ["--views", "8", "--size", "32", "--steps", "2", "--batch-size", "4", "--eval-views", "2"]


def test_tiny_run_writes_a_loadable_file(tmp_path, capsys) -> None:
    out = tmp_path / "teacher.safetensors"
    args = ["train-teacher", "--out", str(out), *TINY, "--seed", "3", "--threads", "1"]
    assert main(args) == 0
    assert "wrote" in capsys.readouterr().out
    meta = read_metadata(out)
    assert meta["command"].startswith("panodepth train-teacher --out ")
    world = "office hotel loft classroom outdoor"  # the defaults: the demo's teacher world
    for part in ("--steps 2", f"--domains {world}", "--size 32", "--seed 3", "--eval-domain cabin"):
        assert part in meta["command"]
    assert meta["train"]["steps"] == 2 and meta["views"] == 8 and meta["spec"]["size"] == 32
    assert meta["domains"] == world.split() and meta["eval_domain"] == "cabin"
    assert set(meta["eval"]) == {f"{d}@{s}" for d in ("cabin", *world.split()) for s in (32, 16)}
    assert meta["torch"] == torch.__version__ and meta["wall_time_s"]["total"] > 0
    assert "--widths" not in meta["command"]  # the default architecture is not repeated
    teacher = build_teacher(str(out))
    assert isinstance(teacher, SmallTeacher)
    assert teacher(torch.rand(1, 3, 32, 32)).shape == (1, 1, 32, 32)


def test_widths_choose_the_architecture(tmp_path) -> None:
    out = tmp_path / "wide.safetensors"
    assert main(["train-teacher", "--out", str(out), *TINY, "--widths", "8", "16", "24", "32",
                 "40", "--eval-domain", "none"]) == 0  # fmt: skip
    meta = read_metadata(out)
    assert "--widths 8 16 24 32 40" in meta["command"]
    teacher = build_teacher(str(out))
    assert teacher.net.config.widths == (8, 16, 24, 32, 40)
    assert teacher(torch.rand(1, 3, 32, 32)).shape == (1, 1, 32, 32)


def test_domain_list_and_no_eval(tmp_path) -> None:
    out = tmp_path / "t.safetensors"
    args = ["train-teacher", "--out", str(out), *TINY, "--domains", "home"]
    assert main([*args, "--eval-domain", "none", "--fov-range", "80", "90"]) == 0
    meta = read_metadata(out)
    assert meta["domains"] == ["home"] and meta["eval_domain"] is None
    assert set(meta["eval"]) == {"home@32", "home@16"}  # training domains are still scored
    assert meta["spec"]["fov_range"] == [80.0, 90.0] and "--fov-range 80 90" in meta["command"]


def test_validation_domain_picks_the_weights_and_is_recorded(tmp_path) -> None:
    out = tmp_path / "v.safetensors"
    args = ["train-teacher", "--out", str(out), *TINY, "--steps", "4", "--eval-domain", "cabin"]
    assert main([*args, "--val-every", "2"]) == 0
    meta = read_metadata(out)
    assert "--eval-domain cabin" in meta["command"] and "--val-every 2" in meta["command"]
    validation = meta["validation"]
    assert validation["domain"] == "cabin" and validation["every"] == 2
    assert [step for step, _ in validation["curve_abs_rel"]] == [2, 4]
    best = min(validation["curve_abs_rel"], key=lambda row: row[1])
    assert validation["best_step"] == best[0] and 0 < best[1] < 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--domains", "castle"], "unknown domain"),
        (["--domains", "office", "cabin"], "is a training domain"),
        (["--size", "40"], "multiple of 16"),
        (["--fov-range", "100", "60"], "fov_range"),
        (["--widths", "8", "16", "24", "32", "44"], "multiples of groups"),
        (["--val-every", "-1"], "--val-every"),
    ],
)
def test_bad_arguments(tmp_path, capsys, extra: list[str], message: str) -> None:
    out = tmp_path / "t.safetensors"
    assert main(["train-teacher", "--out", str(out), *TINY, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
