"""Tests of panodepth.losses.targets: GT disparity targets and the total loss."""

import pytest
import torch

from panodepth.losses import gt_disparity_target, total_loss


class TestGtDisparityTarget:
    def test_hand_values(self):
        depth = torch.tensor([[0.0, 0.5, 2.0, 10.0, 10.5, -1.0, float("nan")]])
        disparity, valid = gt_disparity_target(depth)
        assert valid.tolist() == [[False, True, True, True, False, False, False]]
        torch.testing.assert_close(disparity, torch.tensor([[0.0, 2.0, 0.5, 0.1, 0, 0, 0]]))

    def test_max_depth(self):
        _, valid = gt_disparity_target(torch.tensor([[4.0, 6.0]]), max_depth=5.0)
        assert valid.tolist() == [[True, False]]

    def test_extra_mask_is_and_ed_not_dropped(self):
        depth = torch.tensor([[1.0, 2.0, 0.0]])
        disparity, valid = gt_disparity_target(depth, mask=torch.tensor([[True, False, True]]))
        assert valid.tolist() == [[True, False, False]]
        assert disparity.tolist() == [[1.0, 0.0, 0.0]]

    def test_bad_input(self):
        with pytest.raises(ValueError, match="mask must be a bool"):
            gt_disparity_target(torch.ones(2, 2), mask=torch.ones(2, 2))
        with pytest.raises(ValueError, match="max_depth"):
            gt_disparity_target(torch.ones(2, 2), max_depth=0.0)


class TestTotalLoss:
    def test_default_weights(self):
        assert total_loss(torch.tensor(2.0), torch.tensor(4.0)) == 3.0

    def test_custom_weights_not_renormalised(self):
        assert total_loss(torch.tensor(2.0), torch.tensor(4.0), w_gt=1.0, w_pseudo=2.0) == 10.0

    def test_gradients_reach_both_terms(self):
        a = torch.tensor(2.0, requires_grad=True)
        b = torch.tensor(4.0, requires_grad=True)
        total_loss(a, b, w_gt=0.25, w_pseudo=0.75).backward()
        assert a.grad == 0.25 and b.grad == 0.75

    def test_bad_input(self):
        with pytest.raises(ValueError, match="gt_loss must be a scalar"):
            total_loss(torch.ones(2), torch.tensor(1.0))
        with pytest.raises(ValueError, match="w_pseudo"):
            total_loss(torch.tensor(1.0), torch.tensor(1.0), w_pseudo=-0.5)
