"""Tests for panodepth.data.synthetic.watermark: stamped text/logo and its exact mask."""

from __future__ import annotations

import pytest
import torch

from panodepth.data.synthetic.watermark import (
    MIN_CHANGE,
    WATERMARK_KINDS,
    stamp_watermark,
)

SIZES = [(64, 128), (256, 512)]


def _background(kind: str, h: int, w: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if kind == "random":
        return torch.rand(3, h, w, generator=g)
    if kind == "smooth":
        y = torch.linspace(0, 1, h)[:, None].expand(h, w)
        x = torch.linspace(0, 1, w)[None, :].expand(h, w)
        return torch.stack([x, y, 1 - x * y])
    value = {"white": 1.0, "black": 0.0, "grey": 0.5}[kind]
    return torch.full((3, h, w), value)


def _stamp(rgb: torch.Tensor, seed: int, **kw) -> tuple[torch.Tensor, torch.Tensor]:
    return stamp_watermark(rgb, torch.Generator().manual_seed(seed), **kw)


class TestMask:
    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("kind", WATERMARK_KINDS)
    @pytest.mark.parametrize("bg", ["random", "smooth", "white", "black", "grey"])
    def test_mask_is_exactly_the_changed_pixels(self, size, kind, bg):
        rgb = _background(bg, *size)
        for seed in range(6):
            new, mask = _stamp(rgb, seed, kind=kind)
            assert mask.shape == (1, *size) and mask.dtype == torch.bool
            changed = (new != rgb).any(0, keepdim=True)
            assert torch.equal(mask, changed)
            change = (new - rgb).abs().amax(0, keepdim=True)
            assert change[mask].min() >= MIN_CHANGE - 1e-6 > 1 / 255

    @pytest.mark.parametrize("size", SIZES)
    @pytest.mark.parametrize("kind", WATERMARK_KINDS)
    def test_mask_covers_a_plausible_fraction(self, size, kind):
        rgb = _background("smooth", *size)
        for seed in range(25):
            _, mask = _stamp(rgb, seed, kind=kind)
            frac = mask.float().mean().item()
            assert 0.001 <= frac <= 0.10, f"seed {seed}: {frac:.4%} of the pixels"

    def test_opacity_bounds_the_change(self):
        rgb = _background("grey", 128, 256)
        for seed in range(10):
            new, mask = _stamp(rgb, seed, opacity=(0.4, 0.4))
            assert (new - rgb).abs().max() <= 0.5 * 0.4 + 1e-5
            assert mask.any()
        for seed in range(10):  # opaque ink moves grey by up to 0.5
            new, _ = _stamp(rgb, seed, opacity=(1.0, 1.0))
            assert (new - rgb).abs().max() > 0.3  # (thin glyphs never reach full coverage)

    def test_output_in_range_and_type(self):
        rgb = _background("random", 96, 192)
        for seed in range(10):
            new, _ = _stamp(rgb, seed)
            assert new.dtype == rgb.dtype and new.shape == rgb.shape
            assert new.min() >= 0 and new.max() <= 1
        new, _ = _stamp(rgb.double(), 0)
        assert new.dtype == torch.float64


class TestRandomness:
    def test_deterministic(self):
        rgb = _background("random", 64, 128)
        for seed in range(5):
            a, ma = _stamp(rgb, seed)
            b, mb = _stamp(rgb, seed)
            assert torch.equal(a, b) and torch.equal(ma, mb)

    def test_different_seeds_give_different_placement(self):
        rgb = _background("smooth", 128, 256)
        masks = [_stamp(rgb, seed)[1] for seed in range(8)]
        centroids = set()
        for m in masks:
            ys, xs = torch.nonzero(m[0], as_tuple=True)
            centroids.add((round(ys.float().mean().item()), round(xs.float().mean().item())))
        assert len(centroids) >= 6

    def test_often_near_a_border(self):
        h, w = 128, 256
        rgb = _background("smooth", h, w)
        near = 0
        for seed in range(40):
            ys = torch.nonzero(_stamp(rgb, seed)[1][0], as_tuple=True)[0]
            near += bool(ys.min() < 0.15 * h or ys.max() > 0.85 * h)
        assert near >= 24  # corners and bottom centre dominate (80 % by design)

    def test_both_kinds_drawn_when_unspecified(self):
        rgb = _background("black", 128, 256)
        # a logo is roughly square, a text line is much wider than tall
        aspects = []
        for seed in range(20):
            ys, xs = torch.nonzero(_stamp(rgb, seed)[1][0], as_tuple=True)
            aspects.append((xs.max() - xs.min() + 1).item() / (ys.max() - ys.min() + 1).item())
        assert min(aspects) < 1.6 and max(aspects) > 2.5

    def test_generator_state_advances(self):
        rgb = _background("random", 64, 128)
        g = torch.Generator().manual_seed(0)
        _, m1 = stamp_watermark(rgb, g)
        _, m2 = stamp_watermark(rgb, g)
        assert not torch.equal(m1, m2)


class TestKinds:
    def test_text_is_wide_and_logo_is_squarish(self):
        rgb = _background("black", 256, 512)
        for seed in range(5):
            ys, xs = torch.nonzero(_stamp(rgb, seed, kind="text")[1][0], as_tuple=True)
            assert (xs.max() - xs.min()) > 2 * (ys.max() - ys.min())
            ys, xs = torch.nonzero(_stamp(rgb, seed, kind="logo")[1][0], as_tuple=True)
            ratio = (xs.max() - xs.min() + 1).item() / (ys.max() - ys.min() + 1).item()
            assert 0.8 <= ratio <= 1.25

    def test_given_text_selects_text_kind_and_length_matters(self):
        rgb = _background("black", 256, 512)
        _, short = _stamp(rgb, 3, text="Ab")
        _, long = _stamp(rgb, 3, text="© A Much Longer Watermark 2019")

        def width(m: torch.Tensor) -> int:
            xs = torch.nonzero(m[0], as_tuple=True)[1]
            return int(xs.max() - xs.min() + 1)

        assert width(long) > 3 * width(short)

    def test_logo_uses_given_letter(self):
        rgb = _background("black", 256, 512)
        a, _ = _stamp(rgb, 1, kind="logo", text="Q-Views")
        b, _ = _stamp(rgb, 1, kind="logo", text="Z-Views")
        assert not torch.equal(a, b)  # same shape and place, different letter

    def test_bad_input(self):
        g = torch.Generator()
        with pytest.raises(ValueError, match="3×H×W"):
            stamp_watermark(torch.rand(1, 64, 128), g)
        with pytest.raises(ValueError, match="3×H×W"):
            stamp_watermark(torch.zeros(3, 64, 128, dtype=torch.uint8), g)
        with pytest.raises(ValueError, match="at least 16"):
            stamp_watermark(torch.rand(3, 8, 16), g)
        with pytest.raises(ValueError, match="unknown watermark kind"):
            stamp_watermark(torch.rand(3, 64, 128), g, kind="nadir")
        with pytest.raises(ValueError, match="opacity"):
            stamp_watermark(torch.rand(3, 64, 128), g, opacity=(0.8, 0.2))


class TestPurity:
    @pytest.mark.parametrize("size", [*SIZES, (16, 16), (17, 300)])
    def test_input_not_modified_and_small_sizes(self, size):
        rgb = _background("random", *size)
        keep = rgb.clone()
        for seed in range(4):
            for kind in WATERMARK_KINDS:
                new, mask = _stamp(rgb, seed, kind=kind)
                assert torch.equal(rgb, keep)
                assert new.data_ptr() != rgb.data_ptr()
                assert mask.any()
                assert torch.equal(mask, (new != rgb).any(0, keepdim=True))

    if torch.cuda.is_available():  # GPU parity checks, collected only with a GPU

        def test_cuda_matches_cpu(self):
            rgb = _background("random", 128, 256)
            for kind in WATERMARK_KINDS:
                new_c, mask_c = _stamp(rgb, 2, kind=kind)
                new_g, mask_g = _stamp(rgb.cuda(), 2, kind=kind)
                assert new_g.device.type == "cuda" and mask_g.device.type == "cuda"
                assert torch.equal(mask_g.cpu(), mask_c)
                assert (new_g.cpu() - new_c).abs().max() < 1e-6
