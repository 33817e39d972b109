"""Tests of panodepth.metrics.align: every alignment mode and the release crop."""

import numpy as np
import pytest
import torch

from panodepth.metrics import align, lsq_scale_shift, release_crop_rows


def _gt(shape=(2, 1, 8, 16)):
    return torch.rand(shape, dtype=torch.float64) * 9.0 + 0.5  # (0.5, 9.5) m


class TestModes:
    def test_none_is_identity(self):
        gt = _gt()
        pred = torch.rand_like(gt) + 1
        torch.testing.assert_close(align(pred, gt, gt > 0, "none"), pred)

    def test_median_recovers_scaled_depth(self):
        gt = _gt()
        factors = torch.tensor([3.0, 0.2], dtype=torch.float64).view(2, 1, 1, 1)
        torch.testing.assert_close(align(factors * gt, gt, gt > 0, "median"), gt)

    def test_median_uses_only_valid_pixels(self):
        # valid gt {1, 2, 4}, pred {2, 4, 8} → factor 1/2; invalid pixel value ignored
        gt = torch.tensor([[[1.0, 2.0, 4.0, 0.0]]], dtype=torch.float64)
        pred = torch.tensor([[[2.0, 4.0, 8.0, 1000.0]]], dtype=torch.float64)
        out = align(pred, gt, gt > 0, "median")
        assert out.tolist() == [[[1.0, 2.0, 4.0, 500.0]]]

    def test_median_guard_non_positive_median(self):
        gt = _gt((1, 4, 4))
        pred = torch.zeros_like(gt)
        torch.testing.assert_close(align(pred, gt, gt > 0, "median"), pred)

    def test_lsq_disparity_recovers_scaled_shifted_disparity(self):
        gt = _gt()
        disparity = 2.5 / gt + 0.3
        torch.testing.assert_close(align(disparity, gt, gt > 0, "lsq_disparity"), gt)

    def test_lsq_fit_hand_values(self):
        # target = 2·pred − 1 exactly
        pred = torch.tensor([[[1.0, 2.0, 3.0]]], dtype=torch.float64)
        scale, shift = lsq_scale_shift(pred, 2 * pred - 1, torch.ones(1, 1, 3, dtype=torch.bool))
        assert scale.item() == pytest.approx(2.0) and shift.item() == pytest.approx(-1.0)

    def test_lsq_any_leading_shape_and_invalid_nan(self):
        pred = torch.rand(2, 3, 4, 5, dtype=torch.float64) + 0.1
        target = 0.5 * pred + 2.0
        valid = torch.rand(2, 3, 4, 5) > 0.2
        target = torch.where(valid, target, torch.nan)  # invalid values never count
        scale, shift = lsq_scale_shift(pred, target, valid)
        assert scale.shape == shift.shape == (2, 3)
        torch.testing.assert_close(scale, torch.full((2, 3), 0.5, dtype=torch.float64))
        torch.testing.assert_close(shift, torch.full((2, 3), 2.0, dtype=torch.float64))

    def test_lsq_weights(self):
        # two clusters that disagree: the weights decide which one the fit follows
        pred = torch.tensor([[[1.0, 2.0, 3.0, 4.0]]], dtype=torch.float64)
        target = torch.tensor([[[2.0, 4.0, 30.0, 40.0]]], dtype=torch.float64)
        valid = torch.ones(1, 1, 4, dtype=torch.bool)
        weight = torch.tensor([1.0, 1.0, 1e-9, 1e-9], dtype=torch.float64)
        scale, shift = lsq_scale_shift(pred, target, valid, weight)
        torch.testing.assert_close(scale, torch.tensor([2.0], dtype=torch.float64), atol=1e-6,
                                   rtol=0)  # fmt: skip
        torch.testing.assert_close(shift, torch.tensor([0.0], dtype=torch.float64), atol=1e-6,
                                   rtol=0)  # fmt: skip
        # unit weights are the plain least-squares line (NumPy's fit as the reference)
        line = np.polyfit(pred.flatten().numpy(), target.flatten().numpy(), 1)
        for weights in (torch.ones(4, dtype=torch.float64), None):
            scale, shift = lsq_scale_shift(pred, target, valid, weights)
            assert (scale.item(), shift.item()) == pytest.approx(tuple(line), rel=1e-9)
        empty = lsq_scale_shift(pred, target, ~valid, weight)
        assert empty[0].item() == 0.0 and empty[1].item() == 0.0

    def test_lsq_constant_prediction_gives_best_constant(self):
        # 1/g = (1, 0.5, 0.25, 0.25), mean 0.5 → depth 2 everywhere
        gt = torch.tensor([[[1.0, 2.0], [4.0, 4.0]]], dtype=torch.float64)
        out = align(torch.full_like(gt, 0.7), gt, gt > 0, "lsq_disparity")
        torch.testing.assert_close(out, torch.full_like(gt, 2.0))

    def test_lsq_guard_non_positive_disparity(self):
        # the fit on the valid pixels is the identity; the invalid pixel's −10 → max_depth
        gt = torch.tensor([[[1.0, 2.0, 4.0, 0.0]]], dtype=torch.float64)
        pred = torch.tensor([[[1.0, 0.5, 0.25, -10.0]]], dtype=torch.float64)
        out = align(pred, gt, gt > 0, "lsq_disparity", max_depth=10.0)
        torch.testing.assert_close(
            out, torch.tensor([[[1.0, 2.0, 4.0, 10.0]]], dtype=torch.float64)
        )

    def test_paper_recovers_disparity_up_to_scale(self):
        gt = _gt()
        torch.testing.assert_close(align(7.0 / gt, gt, gt > 0, "paper"), gt)

    def test_paper_clamps_to_range(self):
        gt = torch.tensor([[[1.0, 1.0, 1.0, 0.05, 20.0]]], dtype=torch.float64)
        pred = 1.0 / gt  # median factor 1
        out = align(pred, gt, gt > 0, "paper", max_depth=10.0)
        assert out.tolist() == [[[1.0, 1.0, 1.0, 0.1, 10.0]]]

    def test_pred_kind_conversion(self):
        gt = _gt()  # within the paper's [0.1, 10] m: the clamp changes nothing
        torch.testing.assert_close(align(4.0 * gt, gt, gt > 0, "paper", pred_kind="depth"), gt)
        torch.testing.assert_close(align(0.25 / gt, gt, gt > 0, "paper"), gt)
        torch.testing.assert_close(align(1.0 / gt, gt, gt > 0, "none", pred_kind="disparity"), gt)

    def test_output_shape_follows_pred(self):
        gt = _gt((2, 1, 8, 16))
        assert align(1.0 / gt, gt, gt > 0, "release").shape == (2, 1, 8, 16)
        assert align(1.0 / gt[:, 0], gt[:, 0], gt[:, 0] > 0, "release").shape == (2, 8, 16)


class TestRelease:
    @pytest.mark.parametrize(("height", "crop"), [(512, 68), (1024, 136), (256, 34), (64, 9)])
    def test_crop_rows(self, height, crop):
        assert release_crop_rows(height) == crop

    def test_crop_bad_height(self):
        assert release_crop_rows(3) == 0
        with pytest.raises(ValueError, match="height"):
            release_crop_rows(0)
        with pytest.raises(ValueError, match="height"):
            release_crop_rows(64.0)

    def test_recovers_scaled_shifted_disparity(self):
        gt = _gt((2, 1, 64, 128))
        torch.testing.assert_close(align(0.4 / gt + 0.05, gt, gt > 0, "release"), gt)

    def test_fit_ignores_cropped_rows(self):
        gt = _gt((1, 1, 64, 128))
        disparity = 0.4 / gt + 0.05
        crop = release_crop_rows(64)
        disparity[..., :crop, :] = -3.0  # garbage the fit must not see
        disparity[..., -crop:, :] = 1e3
        out = align(disparity, gt, gt > 0, "release")
        torch.testing.assert_close(out[..., crop:-crop, :], gt[..., crop:-crop, :])

    def test_negative_disparity_ends_at_min_clamp(self):
        # the release inverts, clips to [0, max], median-scales, clamps to [0.1, max]
        gt = torch.full((1, 1, 8, 16), 2.0, dtype=torch.float64)
        gt[..., 1:7, 0] = torch.arange(1.0, 7.0, dtype=torch.float64)
        gt[0, 0, 4, 5] = 0.0  # invalid pixel
        disparity = 1.0 / gt.clamp_min(1e-3)
        disparity[0, 0, 4, 5] = -1.0
        out = align(disparity, gt, gt > 0, "release")
        assert out[0, 0, 4, 5].item() == pytest.approx(0.1)
        torch.testing.assert_close(out[0, 0, 1:7, 0], gt[0, 0, 1:7, 0])


class TestBadInput:
    def test_unknown_mode(self):
        gt = _gt()
        with pytest.raises(ValueError, match="mode must be one of"):
            align(gt, gt, gt > 0, "least_squares")

    def test_pred_kind(self):
        gt = _gt()
        with pytest.raises(ValueError, match="pred_kind"):
            align(gt, gt, gt > 0, "median", pred_kind="inverse_depth")

    def test_valid_shape(self):
        gt = _gt((2, 1, 8, 16))
        with pytest.raises(ValueError, match="valid of shape"):
            align(gt, gt, torch.ones(2, 1, 8, 8, dtype=torch.bool), "median")

    def test_max_depth(self):
        gt = _gt()
        with pytest.raises(ValueError, match="max_depth"):
            align(gt, gt, gt > 0, "lsq_disparity", max_depth=-1.0)
