"""The masker interface: NoMask, keep / min_valid, valid shares, the mask combination."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from panodepth.masks import Masker, NoMask, check_images, combine_valid, valid_share


class HalfMask(Masker):
    """Left half invalid: a masker with a known answer."""

    def forward(self, images: Tensor) -> Tensor:
        images = check_images(images)
        valid = torch.ones_like(images[:, :1], dtype=torch.bool)
        valid[..., : images.shape[-1] // 2] = False
        return valid


class TestNoMask:
    def test_all_valid(self) -> None:
        images = torch.rand(3, 3, 8, 16)
        valid = NoMask()(images)
        assert valid.shape == (3, 1, 8, 16)
        assert valid.dtype == torch.bool
        assert valid.all()

    def test_keeps_everything(self) -> None:
        masker = NoMask()
        assert masker.min_valid == 0.2
        assert masker.keep(masker(torch.rand(2, 3, 4, 8))).tolist() == [True, True]

    def test_follows_input_device_and_dtype(self) -> None:
        images = torch.rand(1, 3, 4, 8, dtype=torch.float64)
        assert NoMask()(images).device == images.device

    def test_is_not_trainable(self) -> None:
        masker = NoMask()
        assert not masker.training
        masker.train()
        assert not masker.training


class TestKeep:
    def test_drops_images_below_min_valid(self) -> None:
        valid = torch.ones(3, 1, 10, 10, dtype=torch.bool)
        valid[0].view(-1)[:85] = False  # 85 % masked: 15 % valid < 20 %
        valid[1].view(-1)[:80] = False  # exactly 20 % valid: kept (>=)
        masker = NoMask()
        assert masker.keep(valid).tolist() == [False, True, True]
        assert valid_share(valid).tolist() == pytest.approx([0.15, 0.20, 1.0])

    def test_min_valid_is_configurable(self) -> None:
        valid = HalfMask(min_valid=0.6)(torch.rand(1, 3, 4, 8))
        assert valid_share(valid).item() == 0.5
        assert HalfMask(min_valid=0.6).keep(valid).tolist() == [False]
        assert HalfMask(min_valid=0.5).keep(valid).tolist() == [True]

    @pytest.mark.parametrize("bad", [-0.1, 1.5, True])
    def test_min_valid_must_be_a_share(self, bad: float) -> None:
        with pytest.raises(ValueError, match="min_valid"):
            NoMask(min_valid=bad)

    def test_keep_rejects_non_bool_masks(self) -> None:
        with pytest.raises(ValueError, match="bool"):
            NoMask().keep(torch.ones(1, 1, 4, 4))
        with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
            NoMask().keep(torch.ones(4, 4, dtype=torch.bool))


class TestImagesChecked:
    @pytest.mark.parametrize(
        ("images", "match"),
        [
            (torch.rand(3, 8, 16), r"\(N, 3, H, W\)"),
            (torch.rand(1, 1, 8, 16), r"\(N, 3, H, W\)"),
            (torch.randint(0, 255, (1, 3, 8, 16), dtype=torch.uint8), "floating"),
            (torch.rand(1, 3, 8, 16) * 255, r"\[0, 1\].*255"),
            (torch.full((1, 3, 8, 16), float("nan")), r"\[0, 1\]"),
        ],
    )
    def test_bad_images(self, images: Tensor, match: str) -> None:
        with pytest.raises(ValueError, match=match):
            NoMask()(images)

    def test_not_a_tensor(self) -> None:
        with pytest.raises(TypeError, match=r"torch\.Tensor"):
            NoMask()([[0.0]])


class TestCombineValid:
    """Depth validity AND mask, written explicitly (the release wrote ``depths > 0 & mask``)."""

    def setup_method(self) -> None:
        self.depth = torch.tensor([[[[0.0, 1.0, 2.0, float("inf")]]]])
        self.mask = torch.tensor([[[[True, False, True, True]]]])

    def test_both_conditions(self) -> None:
        out = combine_valid(self.depth, self.mask)
        assert out.dtype == torch.bool
        # no depth → invalid; masked → invalid (the mask is not dropped); inf → invalid
        assert out.flatten().tolist() == [False, False, True, False]

    def test_the_precedence_slip_would_be_caught(self) -> None:
        # Python parses this as depth > (0 & mask)
        slip = self.depth > 0 & self.mask
        assert slip.flatten()[1]  # the slip keeps the masked pixel ...
        assert not combine_valid(self.depth, self.mask).flatten()[1]  # ... we do not

    def test_with_a_masker(self) -> None:
        images = torch.rand(2, 3, 4, 8)
        depth = torch.rand(2, 1, 4, 8) + 0.1
        valid = combine_valid(depth, HalfMask()(images))
        assert not valid[..., :4].any()
        assert valid[..., 4:].all()

    def test_mask_must_be_bool(self) -> None:
        with pytest.raises(ValueError, match="bool"):
            combine_valid(self.depth, self.mask.float())
