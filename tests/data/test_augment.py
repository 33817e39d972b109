"""Student augmentations (panodepth.data.augment): roll / flip conventions, jitter, seeding."""

from __future__ import annotations

import pytest
import torch
import torchvision.transforms.v2.functional as TF

from panodepth.data.augment import (
    Augment,
    AugmentParams,
    apply_params,
    apply_roll_flip,
    color_jitter,
    undo_roll_flip,
)


def _sample(h=4, w=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    depth = torch.rand(1, h, w, generator=g) * 5 + 0.5
    return {
        "rgb": torch.rand(3, h, w, generator=g),
        "depth": depth,
        "valid": depth > 2,
        "region_valid": torch.rand(1, h, w, generator=g) > 0.3,
    }


def _gen(seed):
    return torch.Generator().manual_seed(seed)


class TestRollFlip:
    def test_convention_roll_right_then_flip(self):
        x = torch.arange(8.0).reshape(1, 1, 1, 8)
        rolled = apply_roll_flip(x, torch.tensor([2]), torch.tensor([False]))
        assert rolled.flatten().tolist() == [6, 7, 0, 1, 2, 3, 4, 5]  # torch.roll(shifts=+2)
        both = apply_roll_flip(x, torch.tensor([2]), torch.tensor([True]))
        assert both.flatten().tolist() == [5, 4, 3, 2, 1, 0, 7, 6]  # flip after the roll

    @pytest.mark.parametrize("dtype", [torch.float32, torch.bool])
    def test_undo_apply_is_identity_per_sample(self, dtype):
        x = torch.rand(5, 2, 3, 16) > 0.5 if dtype == torch.bool else torch.rand(5, 2, 3, 16)
        roll = torch.tensor([0, 1, 7, 15, 3])
        flip = torch.tensor([False, True, True, False, True])
        y = apply_roll_flip(x, roll, flip)
        assert not torch.equal(y, x)
        assert torch.equal(undo_roll_flip(y, roll, flip), x)
        assert torch.equal(apply_roll_flip(undo_roll_flip(x, roll, flip), roll, flip), x)

    def test_undo_is_differentiable(self):
        x = torch.rand(2, 1, 2, 8, requires_grad=True)
        undo_roll_flip(x, torch.tensor([3, 5]), torch.tensor([True, False])).sum().backward()
        assert torch.equal(x.grad, torch.ones_like(x))

    def test_other_width_rescales_roll(self):
        x = torch.rand(1, 1, 2, 32)
        half = torch.nn.functional.avg_pool2d(x, (1, 2))  # a map at half width
        y = apply_roll_flip(x, torch.tensor([6]), torch.tensor([True]))
        y_half = apply_roll_flip(half, torch.tensor([6]), torch.tensor([True]), width=32)
        assert torch.allclose(torch.nn.functional.avg_pool2d(y, (1, 2)), y_half)
        with pytest.raises(ValueError, match="not whole pixels"):
            apply_roll_flip(half, torch.tensor([5]), torch.tensor([True]), width=32)

    def test_wrong_batch_size(self):
        with pytest.raises(ValueError, match="one value per sample"):
            undo_roll_flip(torch.rand(3, 1, 2, 8), torch.tensor([1, 2]), torch.tensor([True]))


class TestAugment:
    def test_geometry_is_consistent_across_keys(self):
        s = _sample()
        out = apply_params(s, AugmentParams(roll=3, flip=True))
        for key in ("rgb", "depth", "valid", "region_valid"):
            expected = s[key].roll(3, dims=-1).flip(-1)  # the convention: roll right, then flip
            assert torch.equal(out[key], expected), key
        assert int(out["roll"]) == 3 and bool(out["flip"])
        assert out["roll"].dtype == torch.int64 and out["flip"].dtype == torch.bool
        assert out["rgb_teacher"] is out["rgb"]  # no jitter: the same tensor

    def test_teacher_image_is_not_jittered(self):
        s = _sample()
        aug = Augment(jitter_p=1.0, flip_p=1.0)
        out = aug(s, _gen(0))
        roll, flip = int(out["roll"]), bool(out["flip"])
        assert flip
        assert torch.equal(out["rgb_teacher"], s["rgb"].roll(roll, dims=-1).flip(-1))
        assert not torch.allclose(out["rgb"], out["rgb_teacher"])
        assert out["rgb"].min() >= 0 and out["rgb"].max() <= 1
        assert torch.equal(s["rgb"], _sample()["rgb"])  # the input is not modified

    def test_same_generator_seed_same_augmentation(self):
        aug = Augment(jitter_p=0.5)
        draws = [aug(_sample(w=64), _gen(7)) for _ in range(2)]
        for key in ("rgb", "rgb_teacher", "depth", "valid", "roll", "flip"):
            assert torch.equal(draws[0][key], draws[1][key]), key
        params = {aug.draw(64, _gen(seed)) for seed in range(40)}
        assert len({p.roll for p in params}) > 10
        assert {p.flip for p in params} == {True, False}
        assert {p.jitter is None for p in params} == {True, False}

    def test_switching_options_keeps_the_other_draws(self):
        a = Augment().draw(64, _gen(5))
        b = Augment(roll=False).draw(64, _gen(5))
        assert b.roll == 0 and (a.flip, a.jitter, a.order) == (b.flip, b.jitter, b.order)

    def test_draw_ranges(self):
        aug = Augment(jitter_p=1.0)
        for seed in range(30):
            p = aug.draw(16, _gen(seed))
            assert 0 <= p.roll < 16
            bright, contrast, sat, hue = p.jitter
            assert 0.8 <= bright <= 1.2 and 0.8 <= contrast <= 1.2 and 0.8 <= sat <= 1.2
            assert -0.1 <= hue <= 0.1 and sorted(p.order) == [0, 1, 2, 3]

    def test_off_is_identity(self):
        s = _sample()
        out = Augment(roll=False, flip_p=0.0, jitter_p=0.0)(s, _gen(0))
        for key in ("rgb", "depth", "valid", "region_valid"):
            assert torch.equal(out[key], s[key])

    @pytest.mark.parametrize(
        "kwargs",
        [{"flip_p": 1.5}, {"jitter_p": -0.1}, {"brightness": (1.2, 0.8)}, {"hue": 0.7}],
    )
    def test_bad_options(self, kwargs):
        with pytest.raises(ValueError, match="Augment"):
            Augment(**kwargs)


class TestColorJitter:
    def test_ops_in_the_given_order(self):
        rgb = torch.rand(3, 8, 8, generator=_gen(1))
        factors = (1.1, 0.9, 1.2, 0.05)
        bright = TF.adjust_brightness(rgb, 1.1)
        expected = TF.adjust_hue(TF.adjust_contrast(TF.adjust_saturation(bright, 1.2), 0.9), 0.05)
        torch.testing.assert_close(color_jitter(rgb, factors, (0, 2, 1, 3)), expected)
        assert color_jitter(rgb, None) is rgb

    def test_ops_left_out_of_the_order_are_skipped(self):
        rgb = torch.rand(2, 3, 8, 8, generator=_gen(2))
        factors = (1.1, 0.9, 1.2, 0.2)
        expected = TF.adjust_contrast(TF.adjust_brightness(rgb, 1.1), 0.9)
        expected = TF.adjust_saturation(expected, 1.2)
        three = color_jitter(rgb, factors, (0, 1, 2))
        torch.testing.assert_close(three, expected)
        assert not torch.allclose(three, color_jitter(rgb, factors))  # the hue op did change it
        assert torch.equal(color_jitter(rgb, factors, ()), rgb)
