"""Tests of panodepth.metrics.evaluate: protocols end to end, masks, averaging, accumulation."""

import math

import pytest
import torch

from panodepth.metrics import METRIC_NAMES, DepthMetrics, evaluate, release_crop_rows
from tests.sync_counter import count_host_reads, total


def _gt(shape=(2, 1, 16, 32)):
    return torch.rand(shape) * 9.0 + 0.5


class TestValidPixels:
    def test_zero_and_far_gt_excluded(self):
        # valid gt {2, 4} (0 and 12 m excluded): |2−2|/2 = 0, |4−5|/4 = 0.25 → 0.125
        gt = torch.tensor([[[[2.0, 0.0, 12.0, 4.0]]]])
        pred = torch.tensor([[[[2.0, 5.0, 5.0, 5.0]]]])
        out = evaluate(pred, gt, "none", pred_kind="depth")
        assert out["abs_rel"] == pytest.approx(0.125)
        assert out["delta1"] == pytest.approx(0.5)  # ratios 1 and 1.25 (not < 1.25)
        assert out["mae"] == pytest.approx(0.5)

    def test_max_depth_is_a_parameter(self):
        gt = torch.tensor([[[[2.0, 0.0, 12.0, 4.0]]]])
        pred = torch.tensor([[[[2.0, 5.0, 5.0, 5.0]]]])
        # with max_depth 20 the 12 m pixel counts: (0 + 7/12 + 1/4) / 3
        out = evaluate(pred, gt, "none", pred_kind="depth", max_depth=20.0)
        assert out["abs_rel"] == pytest.approx((0 + 7 / 12 + 0.25) / 3)

    def test_mask_argument_excludes_pixels(self):
        gt = torch.tensor([[[[2.0, 0.0, 12.0, 4.0]]]])
        pred = torch.tensor([[[[3.0, 5.0, 5.0, 5.0]]]])
        mask = torch.tensor([[[[False, True, True, True]]]])
        assert evaluate(pred, gt, "none", "depth", mask=mask)["abs_rel"] == pytest.approx(0.25)
        assert evaluate(pred, gt, "none", "depth")["abs_rel"] == pytest.approx((0.5 + 0.25) / 2)


class TestAveraging:
    def test_mean_of_per_image_means_not_pooled(self):
        # image A: 1 valid pixel, AbsRel 0.5; image B: 3 valid pixels, AbsRel 0
        # per-image mean (0.5 + 0)/2 = 0.25; pooled would be 0.5/4 = 0.125
        gt = torch.tensor([[[2.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [3.0, 0.0]]])
        pred = torch.tensor([[[3.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [3.0, 1.0]]])
        out = evaluate(pred, gt, "none", pred_kind="depth")
        assert out["abs_rel"] == pytest.approx(0.25)
        assert out["delta1"] == pytest.approx(0.5)

    def test_image_without_valid_pixel_is_left_out(self):
        gt = torch.tensor([[[2.0, 4.0]], [[0.0, 0.0]]])
        pred = torch.tensor([[[3.0, 4.0]], [[1.0, 1.0]]])
        out = evaluate(pred, gt, "none", pred_kind="depth")
        assert out["abs_rel"] == pytest.approx(0.25)

    def test_nothing_valid_gives_nan(self):
        gt = torch.zeros(1, 1, 2, 2)
        out = evaluate(torch.ones_like(gt), gt, "paper")
        assert set(out) == set(METRIC_NAMES) and all(math.isnan(v) for v in out.values())


class TestProtocols:
    def test_paper_disparity_up_to_scale_is_perfect(self, device):
        gt = _gt().to(device)
        out = evaluate(3.0 / gt, gt, "paper")
        assert set(out) == set(METRIC_NAMES)
        assert out["abs_rel"] < 1e-6 and out["rmse"] < 1e-5 and out["delta1"] == 1.0

    def test_paper_scale_matters_only_through_median(self):
        gt = _gt()
        noisy = (1.0 / gt) * (1 + 0.1 * torch.randn_like(gt))
        a = evaluate(noisy, gt, "paper")
        b = evaluate(25.0 * noisy, gt, "paper")
        assert a["abs_rel"] > 0.01
        assert a == pytest.approx(b)

    def test_pred_kind_depth_equals_disparity(self):
        gt = _gt()
        depth = gt * (1 + 0.1 * torch.rand_like(gt))
        for protocol in ("paper", "release", "median", "lsq_disparity"):
            a = evaluate(depth, gt, protocol, pred_kind="depth")
            b = evaluate(1.0 / depth, gt, protocol, pred_kind="disparity")
            assert a == pytest.approx(b, rel=1e-6), protocol

    def test_release_metrics_ignore_cropped_rows(self):
        gt = _gt((2, 1, 64, 128))
        crop = release_crop_rows(64)
        disparity = 0.4 / gt + 0.05
        disparity[..., :crop, :] = -3.0
        disparity[..., -crop:, :] = 1e3
        out = evaluate(disparity, gt, "release")
        assert out["abs_rel"] < 1e-6 and out["delta1"] == 1.0
        # the same garbage under a protocol that sees those rows
        assert evaluate(disparity, gt, "lsq_disparity")["abs_rel"] > 0.05

    def test_release_gt_in_cropped_rows_does_not_matter(self):
        gt = _gt((1, 1, 64, 128))
        pred = (1.0 / gt) * (1 + 0.2 * torch.rand_like(gt))
        ref = evaluate(pred, gt, "release")
        crop = release_crop_rows(64)
        gt2 = gt.clone()
        gt2[..., :crop, :] = 0.7
        gt2[..., -crop:, :] = 0.0
        assert evaluate(pred, gt2, "release") == pytest.approx(ref)
        assert evaluate(pred, gt2, "paper")["abs_rel"] != pytest.approx(
            evaluate(pred, gt, "paper")["abs_rel"]
        )

    def test_release_clamps_gt(self):
        # GT 0.05 m is valid (> 0) and clamped to 0.1, like the prediction
        gt = torch.full((1, 1, 8, 16), 2.0)
        gt[0, 0, 4, 4] = 0.05
        out = evaluate(1.0 / gt, gt, "release")
        assert out["abs_rel"] < 1e-6 and out["delta1"] == 1.0

    def test_lsq_disparity_protocol(self):
        gt = _gt()
        out = evaluate(2.0 / gt - 0.01, gt, "lsq_disparity")
        assert out["abs_rel"] < 1e-6

    def test_none_protocol_takes_metric_depth(self):
        gt = torch.tensor([[[[2.0, 4.0]]]])
        out = evaluate(torch.tensor([[[[1.0, 2.0]]]]), gt, "none", pred_kind="depth")
        assert out["abs_rel"] == pytest.approx(0.5)
        # the same numbers given as disparity
        out = evaluate(torch.tensor([[[[1.0, 0.5]]]]), gt, "none", pred_kind="disparity")
        assert out["abs_rel"] == pytest.approx(0.5)


class TestDepthMetrics:
    def test_accumulates_per_image_means_over_batches(self):
        acc = DepthMetrics(protocol="none", pred_kind="depth")
        acc.update(torch.tensor([[[3.0, 1.0]]]), torch.tensor([[[2.0, 0.0]]]))  # AbsRel 0.5
        gt = torch.tensor([[[1.0, 2.0]], [[4.0, 4.0]], [[0.0, 0.0]]])  # 0, 0, no valid pixel
        acc.update(gt.clone(), gt)
        assert acc.count == 3
        out = acc.compute()
        assert out["abs_rel"] == pytest.approx(0.5 / 3)
        assert out["delta1"] == pytest.approx(2 / 3)

    def test_matches_evaluate_on_one_batch(self):
        gt = _gt()
        pred = (1.0 / gt) * (1 + 0.2 * torch.rand_like(gt))
        acc = DepthMetrics("paper")
        acc.update(pred, gt)
        assert acc.compute() == pytest.approx(evaluate(pred, gt, "paper"))

    def test_split_batches_equal_one_batch(self):
        gt = _gt((4, 1, 16, 32))
        pred = (1.0 / gt) * (1 + 0.2 * torch.rand_like(gt))
        acc = DepthMetrics("release")
        acc.update(pred[:1], gt[:1])
        acc.update(pred[1:], gt[1:])
        assert acc.compute() == pytest.approx(evaluate(pred, gt, "release"))

    def test_merge_and_reset(self):
        gt = _gt((2, 1, 16, 32))
        pred = (1.0 / gt) * (1 + 0.2 * torch.rand_like(gt))
        a, b = DepthMetrics("paper"), DepthMetrics("paper")
        a.update(pred[:1], gt[:1])
        b.update(pred[1:], gt[1:])
        a.merge(b)
        assert a.count == 2
        assert a.compute() == pytest.approx(evaluate(pred, gt, "paper"))
        a.reset()
        assert a.count == 0 and all(math.isnan(v) for v in a.compute().values())
        with pytest.raises(ValueError, match="same protocol"):
            a.merge(DepthMetrics("release"))

    def test_bad_protocol(self):
        with pytest.raises(ValueError, match="protocol"):
            DepthMetrics("unifuse")


class TestHostReads:
    """Numbers come back to the host in one transfer per call (one device sync on a GPU)."""

    def test_evaluate_reads_once(self):
        gt = _gt((3, 1, 16, 32))
        gt[2] = 0.0  # an image without valid pixels is left out, still in the same read
        pred = (1.0 / gt.clamp_min(0.5)) * (1 + 0.2 * torch.rand_like(gt))
        with count_host_reads() as counts:
            result = evaluate(pred, gt, "release")
        assert total(counts) == 1
        two = evaluate(pred[:2], gt[:2], "release")
        assert result == pytest.approx(two)

    def test_update_reads_once(self):
        gt = _gt((2, 1, 16, 32))
        acc = DepthMetrics("paper")
        with count_host_reads() as counts:
            acc.update(1.0 / gt, gt)
        assert total(counts) == 1 and acc.count == 2


class TestBadInput:
    def test_unknown_protocol(self):
        gt = _gt()
        with pytest.raises(ValueError, match="protocol must be one of"):
            evaluate(gt, gt, "median_align")

    def test_pred_kind(self):
        gt = _gt()
        with pytest.raises(ValueError, match="pred_kind"):
            evaluate(gt, gt, "paper", pred_kind="inverse")

    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match="pred and gt"):
            evaluate(torch.rand(1, 1, 4, 8), torch.rand(1, 1, 8, 16))

    def test_float_mask(self):
        gt = _gt()
        with pytest.raises(ValueError, match="mask must be a bool"):
            evaluate(gt, gt, "paper", mask=torch.ones_like(gt))

    def test_mask_shape(self):
        gt = _gt((2, 1, 16, 32))
        with pytest.raises(ValueError, match="mask of shape"):
            evaluate(gt, gt, "paper", mask=torch.ones(2, 1, 16, 16, dtype=torch.bool))

    def test_not_a_tensor(self):
        with pytest.raises(TypeError, match=r"pred must be a torch\.Tensor"):
            evaluate([[1.0]], torch.ones(1, 1, 1))


class TestReleaseValidation:
    """``release_val``: the release's validation evaluator (least squares in disparity,
    median scaling, clamp) — ``release`` without the crop."""

    def test_hand_computed_affine_disparity(self):
        # GT depths 1, 2, 4; prediction 1/GT + 0.5 (disparity with a shift)
        gt = torch.tensor([[[[1.0, 2.0, 4.0]]]])
        pred = 1.0 / gt + 0.5
        assert evaluate(pred, gt, "release_val")["abs_rel"] == pytest.approx(0.0, abs=1e-12)
        # paper (median only): 1/pred = 2/3, 1, 4/3, × median ratio 2 → 4/3, 2, 8/3:
        # AbsRel = (1/3 + 0 + 4/3 / 4) / 3 = 2/9
        assert evaluate(pred, gt, "paper")["abs_rel"] == pytest.approx(2 / 9)

    def test_hand_computed_median_and_clamp_after_the_fit(self):
        # the fit is exact on 1, 2 and 8 m; with max_depth 5 the 8 m pixel is not scored
        gt = torch.tensor([[[[1.0, 2.0, 8.0]]]])
        pred = 3.0 / gt + 1.0
        out = evaluate(pred, gt, "release_val", max_depth=10.0)
        assert out["abs_rel"] == pytest.approx(0.0, abs=1e-12)
        clamped = evaluate(pred, gt, "release_val", max_depth=5.0)  # 8 m GT invalid (> 5)
        assert clamped["abs_rel"] == pytest.approx(0.0, abs=1e-12)

    def test_scores_the_rows_that_release_crops(self):
        gt = _gt((1, 1, 64, 128))
        crop = release_crop_rows(64)
        disparity = 0.4 / gt + 0.05
        disparity[..., :crop, :] = 1e3  # garbage where the zero-shot test crops
        assert evaluate(disparity, gt, "release")["abs_rel"] < 1e-6
        assert evaluate(disparity, gt, "release_val")["abs_rel"] > 0.05
        clean = 0.4 / gt + 0.05
        assert evaluate(clean, gt, "release_val")["abs_rel"] < 1e-6

    def test_a_constant_prediction_gives_finite_metrics(self):
        # the release's fit divides by zero here (NaN); ours falls back to the best constant
        gt = torch.tensor([[[[1.0, 2.0, 4.0]]]])
        out = evaluate(torch.full_like(gt, 0.3), gt, "release_val")
        assert all(math.isfinite(v) for v in out.values())
