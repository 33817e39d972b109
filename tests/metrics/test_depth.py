"""Tests of panodepth.metrics.depth: per-image metric values, written out by hand."""

import math

import pytest
import torch

from panodepth.metrics import METRIC_NAMES, per_image_metrics

# gt (1, 2, 4, 5), pred (2, 2, 6, 9): errors g − p = (−1, 0, −2, −4),
# ratios max(g/p, p/g) = (2, 1, 1.5, 1.8)
GT = torch.tensor([[[[1.0, 2.0], [4.0, 5.0]]]])
PRED = torch.tensor([[[[2.0, 2.0], [6.0, 9.0]]]])
L10 = math.log10

EXPECTED = {
    "abs_rel": (1 / 1 + 0 / 2 + 2 / 4 + 4 / 5) / 4,  # 0.575
    "sq_rel": (1 / 1 + 0 / 2 + 4 / 4 + 16 / 5) / 4,  # 1.3
    "rmse": math.sqrt((1 + 0 + 4 + 16) / 4),
    "mae": (1 + 0 + 2 + 4) / 4,
    "rmse_log10": math.sqrt(
        ((L10(1) - L10(2)) ** 2 + 0 + (L10(4) - L10(6)) ** 2 + (L10(5) - L10(9)) ** 2) / 4
    ),
    "rmse_log10p1": math.sqrt(
        ((L10(2) - L10(3)) ** 2 + 0 + (L10(5) - L10(7)) ** 2 + (L10(6) - L10(10)) ** 2) / 4
    ),
    "log10": (abs(L10(1 / 2)) + 0 + abs(L10(4 / 6)) + abs(L10(5 / 9))) / 4,
    "delta1": 1 / 4,  # only ratio 1 < 1.25
    "delta2": 2 / 4,  # 1, 1.5 < 1.5625
    "delta3": 3 / 4,  # 1, 1.5, 1.8 < 1.953125
}


def test_names():
    assert set(METRIC_NAMES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hand_values(name):
    metrics, has_valid = per_image_metrics(PRED, GT, GT > 0)
    assert has_valid.tolist() == [True]
    assert metrics[name].shape == (1,)
    assert metrics[name].item() == pytest.approx(EXPECTED[name], rel=1e-12)


def test_hand_constants():
    # guard against a slip in the expressions above
    assert EXPECTED["abs_rel"] == pytest.approx(0.575)
    assert EXPECTED["sq_rel"] == pytest.approx(1.3)
    assert EXPECTED["rmse"] == pytest.approx(2.2912878474779)
    assert EXPECTED["log10"] == pytest.approx((0.30103 + 0.176091 + 0.255273) / 4, abs=1e-6)


def test_delta_threshold_is_strict():
    # ratio 5/4 = 1.25 exactly: not < 1.25
    metrics, _ = per_image_metrics(
        torch.tensor([[[5.0]]]), torch.tensor([[[4.0]]]), torch.ones(1, 1, 1, dtype=torch.bool)
    )
    assert metrics["delta1"].item() == 0.0 and metrics["delta2"].item() == 1.0


def test_invalid_pixels_do_not_count():
    gt = torch.tensor([[[2.0, 0.0, 4.0]]])
    pred = torch.tensor([[[2.0, 0.0, 5.0]]])
    metrics, _ = per_image_metrics(pred, gt, gt > 0)
    assert metrics["abs_rel"].item() == pytest.approx((0 + 1 / 4) / 2)
    assert all(torch.isfinite(v).all() for v in metrics.values())


def test_image_without_valid_pixel():
    gt = torch.tensor([[[0.0, 0.0]], [[1.0, 2.0]]])
    metrics, has_valid = per_image_metrics(gt, gt, gt > 0)
    assert has_valid.tolist() == [False, True]
    assert all(torch.isfinite(v).all() for v in metrics.values())
    assert metrics["delta1"].tolist() == [0.0, 1.0]


def test_non_positive_prediction_fails_delta():
    gt = torch.tensor([[[1.0, 1.0]]])
    pred = torch.tensor([[[0.0, -1.0]]])
    metrics, _ = per_image_metrics(pred, gt, gt > 0)
    assert metrics["delta3"].item() == 0.0
    assert metrics["rmse_log10"].item() == math.inf or math.isnan(metrics["rmse_log10"].item())


class TestBadInput:
    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match="pred and gt"):
            per_image_metrics(
                torch.ones(1, 1, 2, 2),
                torch.ones(1, 1, 2, 3),
                torch.ones(1, 1, 2, 2, dtype=torch.bool),
            )

    def test_channels(self):
        with pytest.raises(ValueError, match=r"pred must have shape \(B, 1, H, W\)"):
            per_image_metrics(
                torch.ones(1, 3, 2, 2),
                torch.ones(1, 3, 2, 2),
                torch.ones(1, 3, 2, 2, dtype=torch.bool),
            )

    def test_valid_dtype(self):
        with pytest.raises(ValueError, match="valid must be a bool"):
            per_image_metrics(torch.ones(1, 2, 2), torch.ones(1, 2, 2), torch.ones(1, 2, 2))
