"""Tests of panodepth.checks: shape patterns, typed errors, value checks, the debug switch."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import pytest
import torch

from panodepth import checks
from panodepth.checks import (
    ArgumentError,
    CheckError,
    DTypeError,
    NotATensorError,
    ShapeError,
    ValueCheckError,
)
from tests.sync_counter import count_host_reads, total


class TestErrors:
    @pytest.mark.parametrize("error", [ShapeError, DTypeError, ValueCheckError, ArgumentError])
    def test_typed_errors_are_value_errors(self, error):
        assert issubclass(error, CheckError) and issubclass(error, ValueError)

    def test_not_a_tensor_is_a_type_error(self):
        assert issubclass(NotATensorError, TypeError)
        assert not issubclass(NotATensorError, ValueError)


class TestCheckShape:
    @pytest.mark.parametrize(
        ("shape", "pattern"),
        [
            ((2, 3, 4, 8), ["B", "3", "H", "W"]),
            ((2, 6, 3, 4, 4), ["B", "6", "C", "S", "S"]),
            ((4, 4), ["*", "H", "W"]),
            ((1, 2, 3, 4, 4), ["*", "H", "W"]),
            ((5, 3), ["*", "3"]),
            ((3,), ["*", "3"]),
        ],
    )
    def test_match(self, shape, pattern):
        x = torch.zeros(shape)
        assert checks.check_shape(x, pattern, name="x") is x

    @pytest.mark.parametrize(
        ("shape", "pattern", "message"),
        [
            ((2, 4, 4, 8), ["B", "3", "H", "W"], r"x must have shape \(B, 3, H, W\), got"),
            ((2, 6, 3, 4, 5), ["B", "6", "C", "S", "S"], r"\(B, 6, C, S, S\), got \(2, 6, 3"),
            ((4,), ["*", "H", "W"], r"x must have shape \(\.\.\., H, W\), got \(4,\)"),
            ((3, 4), ["*", "3"], r"x must have shape \(\.\.\., 3\)"),
            ((3, 8, 16), ["B", "C", "H", "W"], r"x must have 4 dimensions, got shape \(3, 8, 16\)"),
        ],
    )
    def test_mismatch(self, shape, pattern, message):
        with pytest.raises(ShapeError, match=message):
            checks.check_shape(torch.zeros(shape), pattern, name="x")

    def test_alternatives(self):
        patterns = (["3", "3"], ["B", "3", "3"])
        checks.check_shape(torch.zeros(3, 3), *patterns, name="r")
        checks.check_shape(torch.zeros(5, 3, 3), *patterns, name="r")
        with pytest.raises(ShapeError, match=r"r must have shape \(3, 3\) or \(B, 3, 3\), got"):
            checks.check_shape(torch.zeros(1, 1, 3, 3), *patterns, name="r")

    def test_needs_a_pattern(self):
        with pytest.raises(TypeError):
            checks.check_shape(torch.zeros(2))


class TestCheckTensor:
    def test_order_and_types(self):
        with pytest.raises(NotATensorError, match=r"x must be a torch\.Tensor, got list"):
            checks.check_tensor([1.0], "x")
        with pytest.raises(ShapeError, match="x must have 2 dimensions"):
            checks.check_tensor(torch.ones(3, dtype=torch.long), "x", ["H", "W"])
        with pytest.raises(DTypeError, match="x must be a floating-point tensor, got dtype"):
            checks.check_tensor(torch.ones(3, dtype=torch.long), "x")
        with pytest.raises(ShapeError, match=r"x is empty \(shape \(0, 3\)\)"):
            checks.check_tensor(torch.ones(0, 3), "x")
        with pytest.raises(ShapeError, match="x must have 1 or 2 dimensions"):
            checks.check_tensor(torch.ones(1, 1, 1), "x", ndim=(1, 2))

    def test_reads_no_values(self):
        x = torch.full((2, 3, 8, 16), math.nan)
        with count_host_reads() as counts:
            checks.check_tensor(x, "x", ["B", "3", "H", "W"])
            checks.check_equirect(x)
            checks.check_mask(x > 0, x)
            checks.check_rotation(torch.eye(3), 2)
        assert total(counts) == 0


class TestMasks:
    def test_none_is_all_valid(self):
        like = torch.zeros(2, 3, 4)
        mask = checks.check_mask(None, like)
        assert mask.dtype == torch.bool and mask.shape == like.shape and bool(mask.all())

    def test_broadcast_and_refusals(self):
        like = torch.zeros(2, 3, 4)
        assert checks.check_mask(torch.ones(3, 4, dtype=torch.bool), like).shape == like.shape
        with pytest.raises(DTypeError, match=r"mask must be a bool tensor, got dtype .*float32"):
            checks.check_mask(torch.ones(3, 4), like)
        with pytest.raises(ShapeError, match=r"mask of shape \(2, 2, 3, 4\) does not broadcast"):
            checks.check_mask(torch.ones(2, 2, 3, 4, dtype=torch.bool), like)
        with pytest.raises(NotATensorError):
            checks.check_mask([True], like)

    def test_batch_mask_drops_the_channel(self):
        mask = torch.ones(2, 1, 4, 8, dtype=torch.bool)
        assert checks.check_batch_mask(mask, (2, 4, 8), "valid").shape == (2, 4, 8)
        with pytest.raises(ShapeError, match=r"valid of shape \(3, 1, 4, 8\) does not match"):
            checks.check_batch_mask(torch.ones(3, 1, 4, 8, dtype=torch.bool), (2, 4, 8), "valid")


class TestValueChecks:
    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_finite(self, bad):
        x = torch.rand(4, 4)
        x[1, 2] = bad
        with pytest.raises(ValueCheckError, match="x contains NaN or Inf values; mark invalid"):
            checks.check_finite(x, "x")

    def test_finite_with_mask_ignores_invalid_pixels(self):
        x = torch.rand(4, 4)
        x[1, 2] = math.nan
        mask = torch.ones(4, 4, dtype=torch.bool)
        mask[1, 2] = False
        checks.check_finite(x, "x", mask=mask)
        with pytest.raises(ValueCheckError, match="x contains NaN or Inf values at valid pixels"):
            checks.check_finite(x, "x", mask=~mask)

    def test_finite_accepts_large_integers_and_empty(self):
        checks.check_finite(torch.full((2,), 3e38), "x")
        checks.check_finite(torch.arange(4), "x")
        checks.check_finite(torch.zeros(0), "x")

    def test_one_read_per_value_check(self):
        x = torch.rand(8, 8)
        with count_host_reads() as counts:
            checks.check_finite(x, "x")
            checks.check_non_negative(x, "x")
            checks.check_in_range(x, 0, 1, "x")
        assert total(counts) == 3

    def test_non_negative(self):
        checks.check_non_negative(torch.zeros(3), "d")
        with pytest.raises(ValueCheckError, match="d has negative values; depth must be ≥ 0"):
            checks.check_non_negative(torch.tensor([1.0, -0.5]), "d", hint="depth must be ≥ 0")

    def test_in_range(self):
        checks.check_in_range(torch.tensor([0.0, 1.0]), 0, 1, "rgb")
        with pytest.raises(ValueCheckError, match=r"rgb must have values in \[0, 1\], got"):
            checks.check_in_range(torch.tensor([0.0, 1.5]), 0, 1, "rgb")
        with pytest.raises(ValueCheckError):  # NaN is not in any range
            checks.check_in_range(torch.tensor([0.5, math.nan]), 0, 1, "rgb")


class TestArguments:
    @pytest.mark.parametrize("value", [0, -1, 2.0, "3", None, True])
    def test_positive_int(self, value):
        with pytest.raises(ArgumentError, match="n must be a positive integer, got"):
            checks.check_positive_int(value, "n")

    def test_positive(self):
        assert checks.check_positive(2, "w") == 2.0
        assert checks.check_positive(0, "w", allow_zero=True) == 0.0
        for bad in (0.0, -1.0, math.nan, math.inf):
            with pytest.raises(ArgumentError, match=r"w must be a finite number > 0"):
                checks.check_positive(bad, "w")

    def test_choice(self):
        assert checks.check_choice("a", ("a", "b"), "mode") == "a"
        with pytest.raises(ArgumentError, match=r"mode must be one of \('a', 'b'\), got 'c'"):
            checks.check_choice("c", ("a", "b"), "mode")


class TestDebugSwitch:
    def test_context_manager_sets_and_restores(self):
        before = checks.debug_checks_enabled()
        with checks.debug_checks():
            assert checks.debug_checks_enabled()
            with checks.debug_checks(False):
                assert not checks.debug_checks_enabled()
            assert checks.debug_checks_enabled()
        assert checks.debug_checks_enabled() == before

    def test_restored_after_an_error(self):
        before = checks.debug_checks_enabled()
        with pytest.raises(ValueCheckError), checks.debug_checks():
            checks.check_equirect(torch.full((1, 3, 4, 8), math.nan))
        assert checks.debug_checks_enabled() == before

    def test_composite_checks_read_values_only_when_on(self):
        img = torch.full((1, 3, 4, 8), math.nan)
        with checks.debug_checks(False):
            checks.check_equirect(img)  # passes: the values are not read
        with checks.debug_checks(), pytest.raises(ValueCheckError, match="img contains NaN"):
            checks.check_equirect(img)

    @pytest.mark.slow  # a fresh interpreter per case
    @pytest.mark.parametrize(("value", "expected"), [("on", True), ("0", False)])
    def test_environment_variable(self, value, expected):
        env = {**os.environ, checks.DEBUG_ENV: value}
        code = "from panodepth.checks import debug_checks_enabled as f; print(f())"
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == str(expected)
