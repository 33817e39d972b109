"""HoHoNet: contract, size, yaw-roll equivariance, training, checkpoints, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from panodepth.models import build_model
from panodepth.models.hohonet import dct_basis, upsample_width
from panodepth.models.layers import CircularConv2d, CircularMaxPool2d

from .student_checks import overfit

PAPER_PARAMS = 49.47e6  # original code at 512×1024 (REFERENCE.md, Students)


def test_parameter_count_matches_the_original(shared_student):
    # Built only (no forward): nothing is sized by the input, so this is the count at 512×1024.
    model = shared_student("hohonet")
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - PAPER_PARAMS) / PAPER_PARAMS < 0.02, n
    assert n == 49_466_433
    # the row kernels keep the original's lengths at H = 512 (128, 64, 32, 16 rows)
    assert [c.weight.shape for c in model.compress] == [
        (64, 128),
        (128, 64),
        (256, 32),
        (512, 16),
    ]
    # the bias starts where the head gives the original's first prediction, 2.5 m
    assert model.bias.item() == pytest.approx(math.log(math.expm1(1 / 2.5)))


def test_row_weights_resample_over_latitude(shared_student):
    stage = shared_student("hohonet").compress[0]  # 128 rows at H = 512
    w = stage.weight
    assert stage.row_weights(128) is w
    # at H = 256 each row covers two of the stored ones: pairwise sums
    assert torch.allclose(stage.row_weights(64), w.view(64, 64, 2).sum(-1), atol=1e-6)
    # the total weight per channel is the same at any height
    for h in (2, 16, 256):
        assert torch.allclose(stage.row_weights(h).sum(-1), w.sum(-1), atol=1e-4)


def test_dct_basis_and_circular_upsampling():
    basis = dct_basis(64, 64, dtype=torch.float64)
    assert basis.shape == (64, 64)
    gram = basis @ basis.T  # DCT-II rows are orthogonal: 64 for k = 0, 32 otherwise
    expected = torch.full((64,), 32.0, dtype=torch.float64)
    expected[0] = 64.0
    assert torch.allclose(gram, torch.diag(expected), atol=1e-9)
    x = torch.rand(1, 3, 8)
    up = upsample_width(x, 4)
    assert up.shape == (1, 3, 32)
    assert torch.allclose(upsample_width(x.roll(1, -1), 4), up.roll(4, -1), atol=1e-6)


def test_circular_padding_and_yaw_roll(shared_student, monkeypatch):
    torch.manual_seed(0)
    model = shared_student("hohonet")
    layers = list(model.modules())
    assert any(isinstance(m, CircularConv2d) for m in layers)
    assert any(isinstance(m, CircularMaxPool2d) for m in layers)
    assert not any(type(m) is torch.nn.Conv2d and any(m.padding) for m in layers)
    x = torch.rand(1, 3, 64, 128)
    with torch.no_grad():
        # up to the transformer, a yaw turn by a multiple of 32 px commutes (1 column = 4 px)
        feat = model.horizontal_features(x)
        rolled = model.horizontal_features(x.roll(32, -1))
        assert torch.allclose(rolled, feat.roll(8, -1), atol=1e-4)
        # the absolute positional encoding (as in the original) breaks it after that ...
        assert (model(x.roll(32, -1)) - model(x).roll(32, -1)).abs().max() > 1e-3
        # ... and without it the whole model is equivariant (same weights)
        monkeypatch.setattr(model, "position_encoding", False)
        for shift in (32, 64):
            assert torch.allclose(model(x.roll(shift, -1)), model(x).roll(shift, -1), atol=1e-4)


@pytest.mark.slow
def test_overfits_one_panorama(scenes):
    torch.manual_seed(0)
    sample = scenes["office"]
    model = build_model("hohonet", output="depth", max_depth=10.0)
    losses = overfit(model, sample.rgb[None], sample.depth[None], sample.valid[None])
    assert losses[-1] * 10 <= losses[0], losses[::5]


def test_first_prediction_is_the_originals_2_5_m(shared_student, monkeypatch):
    x = torch.rand(1, 3, 64, 128)
    for output, expected in (("depth", 2.5), ("disparity", 0.4)):
        model = shared_student("hohonet", output=output)
        last = model.coefficients[-1]  # zeroed, only the bias is left (undone after the test)
        monkeypatch.setattr(last, "weight", torch.nn.Parameter(torch.zeros_like(last.weight)))
        with torch.no_grad():
            assert torch.allclose(model(x), torch.full((1, 1, 64, 128), expected), atol=1e-5)


def test_bad_options():
    with pytest.raises(ValueError, match="n_components"):
        build_model("hohonet", n_components=0)
