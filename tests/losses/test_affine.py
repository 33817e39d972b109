"""Tests of panodepth.losses.affine: the per-map median/MAD affine-invariant L1 loss."""

import pytest
import torch

from panodepth.losses import (
    affine_invariant_loss,
    affine_invariant_weights,
    affine_normalize,
)


def _pair(shape=(2, 6, 1, 8, 8)):
    return torch.rand(shape, dtype=torch.float64), torch.rand(shape, dtype=torch.float64)


class TestHandValues:
    def test_two_by_two(self):
        # target {1, 2, 3, 6}: t = 2 (lower median), s = (1 + 0 + 1 + 4)/4 = 1.5
        #   ĝ = (-1, 0, 1, 4) / 1.5
        # pred {0, 0, 0, 4}: t = 0, s = 1, p̂ = (0, 0, 0, 4)
        # |p̂ − ĝ| = (2/3, 0, 2/3, 4/3) → mean 2/3
        target = torch.tensor([[1.0, 2.0], [3.0, 6.0]], dtype=torch.float64)
        pred = torch.tensor([[0.0, 0.0], [0.0, 4.0]], dtype=torch.float64)
        torch.testing.assert_close(
            affine_invariant_loss(pred, target), torch.tensor(2 / 3).double()
        )

    def test_two_by_two_masked(self):
        # valid target {1, 2, 3}: t = 2, s = 2/3, ĝ = (-1.5, 0, 1.5)
        # valid pred {0, 1, 5}: t = 1, s = 5/3, p̂ = (-0.6, 0, 2.4) → |diff| = (0.9, 0, 0.9)
        target = torch.tensor([[1.0, 2.0], [3.0, 6.0]], dtype=torch.float64)
        pred = torch.tensor([[0.0, 1.0], [5.0, 999.0]], dtype=torch.float64)
        mask = torch.tensor([[True, True], [True, False]])
        torch.testing.assert_close(
            affine_invariant_loss(pred, target, mask), torch.tensor(0.6).double()
        )

    def test_constant_prediction_gives_mean_abs_of_normalised_target(self):
        # p̂ = 0 everywhere, so the loss is mean|ĝ| = MAD(g)/MAD(g) = 1
        target = torch.rand(4, 1, 5, 5, dtype=torch.float64)
        pred = torch.full_like(target, 3.0, requires_grad=True)
        loss = affine_invariant_loss(pred, target)
        torch.testing.assert_close(loss, torch.tensor(1.0).double())
        loss.backward()
        assert torch.isfinite(pred.grad).all()

    def test_normalize_hand_values(self):
        x_hat, t, s = affine_normalize(torch.tensor([[1.0, 2.0], [3.0, 6.0]]))
        assert t == 2.0 and s == 1.5
        torch.testing.assert_close(x_hat, torch.tensor([[-1.0, 0.0], [1.0, 4.0]]) / 1.5)


class TestInvariance:
    @pytest.mark.parametrize(("a", "b"), [(2.5, 0.7), (0.01, -3.0), (40.0, 0.0)])
    def test_prediction_scale_shift(self, a, b):
        pred, target = _pair()
        torch.testing.assert_close(
            affine_invariant_loss(a * pred + b, target), affine_invariant_loss(pred, target)
        )

    @pytest.mark.parametrize(("a", "b"), [(2.5, 0.7), (0.01, -3.0)])
    def test_target_scale_shift(self, a, b):
        pred, target = _pair()
        torch.testing.assert_close(
            affine_invariant_loss(pred, a * target + b), affine_invariant_loss(pred, target)
        )

    def test_negative_scale_is_not_invariant(self):
        noise, target = _pair()
        pred = target + 0.05 * noise
        assert affine_invariant_loss(pred, target) < 0.2
        assert affine_invariant_loss(-pred, target) > 1.0

    def test_affine_copy_gives_zero(self):
        _, target = _pair()
        assert affine_invariant_loss(3.0 * target + 1.0, target) < 1e-12


class TestPerMap:
    def test_each_face_has_its_own_scale_and_shift(self):
        target = torch.rand(1, 6, 1, 8, 8, dtype=torch.float64)
        scale = torch.rand(1, 6, 1, 1, 1, dtype=torch.float64) * 10 + 0.1
        shift = torch.randn(1, 6, 1, 1, 1, dtype=torch.float64) * 5
        pred = scale * target + shift
        assert affine_invariant_loss(pred, target) < 1e-12
        # stitched into one map, one global normalisation cannot absorb per-face affines
        assert affine_invariant_loss(pred.reshape(1, 1, 48, 8), target.reshape(1, 1, 48, 8)) > 0.1

    def test_reduction_none_shape_and_mean(self):
        pred, target = _pair((2, 6, 1, 8, 8))
        per_map = affine_invariant_loss(pred, target, reduction="none")
        assert per_map.shape == (2, 6, 1)
        torch.testing.assert_close(affine_invariant_loss(pred, target), per_map.mean())
        torch.testing.assert_close(
            affine_invariant_loss(pred, target, reduction="sum"), per_map.sum()
        )
        # each map alone gives its own entry
        torch.testing.assert_close(
            affine_invariant_loss(pred[1, 4], target[1, 4]), per_map[1, 4, 0]
        )

    def test_equirect_batch_is_per_image(self):
        pred, target = _pair((3, 1, 8, 16))
        pred[1] = 7.0 * target[1] - 2.0
        per_map = affine_invariant_loss(pred, target, reduction="none")
        assert per_map.shape == (3, 1)
        assert per_map[1, 0] < 1e-12 and (per_map[[0, 2], 0] > 0.1).all()

    def test_broadcast_mask(self):
        pred, target = _pair((2, 6, 1, 8, 8))
        mask = torch.rand(8, 8) > 0.3
        torch.testing.assert_close(
            affine_invariant_loss(pred, target, mask),
            affine_invariant_loss(pred, target, mask.expand(2, 6, 1, 8, 8)),
        )


class TestDegenerateMaps:
    def test_constant_target_face_is_excluded(self):
        pred, target = _pair((1, 6, 1, 8, 8))
        target[0, 2] = 0.25  # a face looking straight at a flat wall
        pred.requires_grad_(True)
        loss = affine_invariant_loss(pred, target)
        assert torch.isfinite(loss)
        weights = affine_invariant_weights(target)
        assert weights.shape == (1, 6, 1)
        assert weights[0, :, 0].tolist() == [True, True, False, True, True, True]
        per_map = affine_invariant_loss(pred, target, reduction="none")
        assert per_map[0, 2, 0] == 0.0 and torch.isfinite(per_map).all()
        torch.testing.assert_close(loss, per_map[weights].mean())
        loss.backward()
        assert torch.isfinite(pred.grad).all()
        assert (pred.grad[0, 2] == 0).all() and (pred.grad[0, 0] != 0).any()

    def test_nearly_constant_target_is_excluded_by_min_mad(self):
        _, target = _pair((2, 1, 8, 8))
        target[1] = 0.5 + 1e-9 * torch.rand(8, 8, dtype=torch.float64)
        assert affine_invariant_weights(target).tolist() == [[True], [False]]
        assert affine_invariant_weights(target, min_mad=1e-12).tolist() == [[True], [True]]

    def test_fewer_than_two_valid_pixels_excluded(self):
        pred, target = _pair((3, 1, 4, 4))
        mask = torch.zeros(3, 1, 4, 4, dtype=torch.bool)
        mask[0, 0, 1, 2] = True  # one valid pixel
        mask[2] = True
        assert affine_invariant_weights(target, mask).tolist() == [[False], [False], [True]]
        per_map = affine_invariant_loss(pred, target, mask, reduction="none")
        assert per_map[0, 0] == 0.0 and per_map[1, 0] == 0.0 and per_map[2, 0] > 0
        torch.testing.assert_close(affine_invariant_loss(pred, target, mask), per_map[2, 0])

    def test_no_usable_map_gives_zero_with_gradient_path(self):
        pred, target = _pair((2, 6, 1, 4, 4))
        target[:] = 1.0
        pred.requires_grad_(True)
        loss = affine_invariant_loss(pred, target)
        assert loss == 0.0 and loss.requires_grad
        loss.backward()
        assert torch.isfinite(pred.grad).all() and (pred.grad == 0).all()

    def test_empty_mask_gives_zero(self):
        pred, target = _pair((2, 1, 4, 4))
        pred.requires_grad_(True)
        loss = affine_invariant_loss(pred, target, torch.zeros(2, 1, 4, 4, dtype=torch.bool))
        assert loss == 0.0 and loss.requires_grad


class TestMask:
    def test_masked_pixels_do_not_change_the_loss(self):
        pred, target = _pair((2, 6, 1, 8, 8))
        mask = torch.rand(2, 6, 1, 8, 8) > 0.4
        ref = affine_invariant_loss(pred, target, mask)
        pred2, target2 = pred.clone(), target.clone()
        junk = torch.randn(int((~mask).sum()), dtype=torch.float64) * 1e3
        junk[0] = float("inf")
        pred2[~mask] = junk
        target2[~mask] = float("nan")
        torch.testing.assert_close(affine_invariant_loss(pred2, target2, mask), ref)

    def test_mask_is_not_dropped(self):
        # cf. the release's `depths > 0 & mask` slip: outliers under the mask must not count
        pred, target = _pair((2, 1, 8, 8))
        mask = torch.ones(2, 1, 8, 8, dtype=torch.bool)
        mask[:, :, :2] = False
        pred = pred.clone()
        pred[:, :, :2] = 100.0
        masked = affine_invariant_loss(pred, target, mask)
        unmasked = affine_invariant_loss(pred, target)
        assert not torch.isclose(masked, unmasked)
        torch.testing.assert_close(masked, affine_invariant_loss(pred[:, :, 2:], target[:, :, 2:]))

    def test_gradient_is_zero_at_masked_pixels_even_with_nan(self):
        pred, target = _pair((1, 1, 6, 6))
        mask = torch.rand(1, 1, 6, 6) > 0.3
        pred[~mask] = float("nan")
        pred.requires_grad_(True)
        affine_invariant_loss(pred, target, mask).backward()
        assert torch.isfinite(pred.grad).all()
        assert (pred.grad[~mask] == 0).all() and (pred.grad[mask] != 0).any()


class TestGradients:
    def test_gradient_flows(self):
        pred, target = _pair((2, 6, 1, 8, 8))
        pred.requires_grad_(True)
        affine_invariant_loss(pred, target).backward()
        assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0

    def test_gradcheck(self):
        pred, target = _pair((2, 3, 3))
        pred.requires_grad_(True)
        assert torch.autograd.gradcheck(lambda p: affine_invariant_loss(p, target), (pred,))

    def test_loss_decreases_under_gradient_descent(self):
        pred, target = _pair((1, 6, 1, 8, 8))
        pred.requires_grad_(True)
        start = affine_invariant_loss(pred, target).item()
        opt = torch.optim.Adam([pred], lr=0.02)
        for _ in range(50):
            opt.zero_grad()
            affine_invariant_loss(pred, target).backward()
            opt.step()
        assert affine_invariant_loss(pred, target).item() < 0.5 * start


class TestBadInput:
    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match="pred and target"):
            affine_invariant_loss(torch.rand(1, 1, 4, 4), torch.rand(1, 1, 4, 5))

    def test_float_mask(self):
        with pytest.raises(ValueError, match="mask must be a bool"):
            affine_invariant_loss(torch.rand(1, 1, 4, 4), torch.rand(1, 1, 4, 4), torch.ones(4, 4))

    def test_mask_shape(self):
        with pytest.raises(ValueError, match="mask of shape"):
            affine_invariant_loss(
                torch.rand(1, 1, 4, 4), torch.rand(1, 1, 4, 4), torch.ones(3, 4, dtype=torch.bool)
            )

    def test_mask_that_would_grow_the_batch(self):
        with pytest.raises(ValueError, match="mask"):
            affine_invariant_loss(
                torch.rand(1, 1, 4, 4),
                torch.rand(1, 1, 4, 4),
                torch.ones(2, 1, 4, 4, dtype=torch.bool),
            )

    def test_too_few_dims_and_int_dtype(self):
        with pytest.raises(ValueError, match="pred must have shape"):
            affine_invariant_loss(torch.rand(4), torch.rand(4))
        with pytest.raises(ValueError, match="target must be a floating-point"):
            affine_invariant_loss(torch.rand(2, 2), torch.ones(2, 2, dtype=torch.long))

    def test_bad_reduction_and_min_mad(self):
        x = torch.rand(1, 4, 4)
        with pytest.raises(ValueError, match="reduction"):
            affine_invariant_loss(x, x, reduction="max")
        with pytest.raises(ValueError, match="min_mad"):
            affine_invariant_loss(x, x, min_mad=0.0)
