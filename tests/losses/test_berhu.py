"""Tests of panodepth.losses.berhu: the reverse Huber loss with a per-image threshold."""

import pytest
import torch

from panodepth.losses import berhu_loss


class TestHandValues:
    def test_both_branches(self):
        # |d| = 1, 2, 3, 5 → c = 0.2 · 5 = 1
        # 1 ≤ c: 1;  others (d² + 1)/2: 2.5, 5, 13  → mean (1 + 2.5 + 5 + 13)/4 = 5.375
        pred = torch.tensor([[[1.0, -2.0], [3.0, 5.0]]], dtype=torch.float64)
        assert berhu_loss(pred, torch.zeros_like(pred)).item() == pytest.approx(5.375)

    def test_gradient_of_both_branches_with_detached_c(self):
        # d/dd: sign(d) on the L1 branch, d/c on the quadratic branch; mean over 4 pixels
        pred = torch.tensor([[[1.0, -2.0], [3.0, 5.0]]], dtype=torch.float64, requires_grad=True)
        berhu_loss(pred, torch.zeros_like(pred)).backward()
        expected = torch.tensor([[[1.0, -2.0], [3.0, 5.0]]], dtype=torch.float64) / 4
        torch.testing.assert_close(pred.grad, expected)

    def test_threshold_is_per_image(self):
        # image 0: |d| = 1, 10 → c = 5: 1 and (100 + 25)/10 = 12.5
        # image 1: |d| = 1, 2  → c = 1: 1 and (4 + 1)/2 = 2.5       → mean 17/4
        # (one batch-wide c = 5 would give 1 + 12.5 + 1 + 2 = 16.5 → 4.125)
        pred = torch.tensor([[[1.0, 10.0]], [[1.0, 2.0]]], dtype=torch.float64)
        loss = berhu_loss(pred, torch.zeros_like(pred), c_ratio=0.5)
        assert loss.item() == pytest.approx(17 / 4)

    def test_c_ratio_one_is_pure_l1(self):
        # c = max|d| = 1: every |d| ≤ c → mean(1, 0.5) = 0.75
        pred = torch.tensor([[2.0, 2.5]], dtype=torch.float64)
        target = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
        assert berhu_loss(pred, target, c_ratio=1.0).item() == pytest.approx(0.75)

    def test_equal_errors_above_c_are_quadratic(self):
        # |d| = 1, 1 and c = 0.2: (1 + 0.04) / 0.4 = 2.6 for both
        pred = torch.tensor([[2.0, 3.0]], dtype=torch.float64)
        target = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
        assert berhu_loss(pred, target, c_ratio=0.2).item() == pytest.approx(2.6)

    def test_identical_maps_give_zero(self):
        x = torch.rand(2, 1, 4, 8)
        assert berhu_loss(x, x) == 0.0


class TestMask:
    def test_masked_pixels_change_neither_c_nor_loss(self):
        pred = torch.tensor([[[1.0, -2.0], [3.0, 5.0]]], dtype=torch.float64)
        mask = torch.tensor([[[True, True], [True, True]]])
        ref = berhu_loss(pred, torch.zeros_like(pred), mask)
        pred2 = torch.cat([pred, torch.full((1, 2, 1), 1e6, dtype=torch.float64)], -1)
        pred2[0, 1, 2] = float("nan")
        mask2 = torch.cat([mask, torch.zeros(1, 2, 1, dtype=torch.bool)], -1)
        assert berhu_loss(pred2, torch.zeros_like(pred2), mask2).item() == pytest.approx(ref.item())
        assert not berhu_loss(pred2.nan_to_num(), torch.zeros_like(pred2)).isclose(ref)

    def test_no_valid_pixel_gives_zero_with_gradient(self):
        pred = torch.rand(1, 1, 3, 3, requires_grad=True)
        loss = berhu_loss(pred, torch.rand(1, 1, 3, 3), torch.zeros(1, 1, 3, 3, dtype=torch.bool))
        assert loss == 0.0 and loss.requires_grad
        loss.backward()
        assert (pred.grad == 0).all()


class TestBadInput:
    def test_c_ratio(self):
        with pytest.raises(ValueError, match="c_ratio"):
            berhu_loss(torch.rand(2, 2), torch.rand(2, 2), c_ratio=0.0)

    def test_shape_and_mask(self):
        with pytest.raises(ValueError, match="pred and target"):
            berhu_loss(torch.rand(2, 2), torch.rand(2, 3))
        with pytest.raises(ValueError, match="mask must be a bool"):
            berhu_loss(torch.rand(2, 2), torch.rand(2, 2), torch.ones(2, 2, dtype=torch.uint8))
