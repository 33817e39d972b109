"""Tests of panodepth.losses.gradient: the multi-scale gradient matching loss."""

import pytest
import torch

from panodepth.losses import gradient_matching_loss


class TestValues:
    def test_zero_for_identical_maps(self):
        x = torch.rand(2, 6, 1, 16, 16)
        assert gradient_matching_loss(x, x) == 0.0
        assert gradient_matching_loss(x, x, normalize=False) == 0.0

    def test_zero_for_per_map_affine_copy_when_normalised(self):
        target = torch.rand(1, 6, 1, 16, 16, dtype=torch.float64)
        scale = torch.rand(1, 6, 1, 1, 1, dtype=torch.float64) + 0.5
        pred = scale * target + 3.0
        assert gradient_matching_loss(pred, target) < 1e-12
        assert gradient_matching_loss(pred, target, normalize=False) > 0.1

    def test_positive_otherwise(self):
        pred, target = torch.rand(2, 1, 16, 16), torch.rand(2, 1, 16, 16)
        assert gradient_matching_loss(pred, target) > 0.1

    def test_hand_value_raw_one_scale(self):
        # residual (0, 1, 3): |1 − 0| + |3 − 1| = 3 over 3 valid pixels
        pred = torch.tensor([[0.0, 1.0, 3.0]], dtype=torch.float64)
        target = torch.zeros_like(pred)
        assert gradient_matching_loss(pred, target, scales=1, normalize=False).item() == 1.0

    def test_hand_value_raw_two_scales(self):
        # scale 0: 3/3 = 1;  scale 1 (stride 2): residual (0, 3) → 3/2;  summed: 2.5
        pred = torch.tensor([[0.0, 1.0, 3.0]], dtype=torch.float64)
        loss = gradient_matching_loss(pred, torch.zeros_like(pred), scales=2, normalize=False)
        assert loss.item() == pytest.approx(2.5)

    def test_hand_value_vertical(self):
        # residual column (0, 2): |2| over 2 valid pixels
        pred = torch.tensor([[0.0], [2.0]], dtype=torch.float64)
        loss = gradient_matching_loss(pred, torch.zeros_like(pred), scales=1, normalize=False)
        assert loss.item() == 1.0

    def test_mask_drops_pairs_with_an_invalid_pixel(self):
        # residual (0, 1, 100), last pixel invalid: only |1 − 0| over 2 valid pixels
        pred = torch.tensor([[0.0, 1.0, 100.0]], dtype=torch.float64)
        mask = torch.tensor([[True, True, False]])
        loss = gradient_matching_loss(pred, torch.zeros_like(pred), mask, 1, normalize=False)
        assert loss.item() == 0.5

    def test_constant_target_map_is_excluded_when_normalised(self):
        pred = torch.rand(2, 1, 8, 8)
        target = torch.rand(2, 1, 8, 8)
        target[1] = 0.3
        pred.requires_grad_(True)
        loss = gradient_matching_loss(pred, target)
        torch.testing.assert_close(loss, gradient_matching_loss(pred[:1], target[:1]))
        loss.backward()
        assert torch.isfinite(pred.grad).all() and (pred.grad[1] == 0).all()


class TestGradients:
    def test_gradient_flows(self):
        pred = torch.rand(2, 1, 16, 16, requires_grad=True)
        gradient_matching_loss(pred, torch.rand(2, 1, 16, 16)).backward()
        assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0

    def test_bad_scales(self):
        with pytest.raises(ValueError, match="scales"):
            gradient_matching_loss(torch.rand(4, 4), torch.rand(4, 4), scales=0)
