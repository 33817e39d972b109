"""Colour maps, their display range, the depth colour bar, even subsampling."""

from __future__ import annotations

import pytest
import torch

from panodepth.viz import colorize, depth_colorbar, display_range, evenly_spaced


@pytest.mark.parametrize("n", [5, 1_000_001, 2**24 + 3, 33_554_432, 134_217_728])
def test_evenly_spaced_is_exact_past_float32(n):
    """Regression: a float32 linspace gave index n (out of bounds) for n > 2²⁴."""
    idx = evenly_spaced(n, 1_000_000)
    assert idx.dtype == torch.int64 and len(idx) == min(n, 1_000_000)
    assert int(idx[0]) == 0 and int(idx[-1]) == n - 1
    assert bool((idx[1:] > idx[:-1]).all())
    assert evenly_spaced(n, 1).tolist() == [0]


def test_display_range_of_a_map_larger_than_2_24_pixels():
    values = torch.arange(2**24 + 1000, dtype=torch.float32)  # more than a 6080×3040 map
    lo, hi = display_range(values)
    n = values.numel()
    assert lo == pytest.approx(0.02 * n, rel=1e-3) and hi == pytest.approx(0.98 * n, rel=1e-3)


def test_display_range_ignores_invalid_and_non_finite():
    values = torch.tensor([1.0, 2.0, 3.0, float("inf"), 100.0])
    valid = torch.tensor([True, True, True, True, False])
    lo, hi = display_range(values, valid)
    assert 1.0 <= lo < hi <= 3.0
    assert display_range(torch.zeros(3), torch.zeros(3, dtype=torch.bool)) == (0.0, 1.0)


def test_colorize_maps_the_display_range_and_blacks_out_invalid():
    values = torch.linspace(0, 1, 100).reshape(1, 10, 10)
    valid = torch.ones(10, 10, dtype=torch.bool)
    valid[0, 0] = False
    rgb = colorize(values, valid)
    assert rgb.shape == (3, 10, 10) and float(rgb[:, 0, 0].abs().sum()) == 0
    same = colorize(values, valid, *display_range(values, valid))
    torch.testing.assert_close(rgb, same)


def test_depth_colorbar_is_a_wide_image_with_depth_ticks():
    bar = depth_colorbar(0.1, 2.0, "depth (m)", width=400)
    assert bar.shape[0] == 3 and bar.shape[2] == 400 and bar.shape[1] < 200
    assert float(bar.min()) >= 0 and float(bar.max()) <= 1 and float(bar.std()) > 0.05
    # a degenerate range (constant depth) still draws
    assert depth_colorbar(1.0, 1.0, "x").shape[0] == 3
