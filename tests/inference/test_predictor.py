"""The tensor side of inference: working size, rotation ensembles, depth from disparity."""

from __future__ import annotations

import math

import pytest
import torch

from panodepth import geometry as geo
from panodepth.inference import (
    Predictor,
    align_affine,
    depth_from_disparity,
    ensemble_disparity,
    ensemble_rotations,
    resize_disparity,
    working_height,
)
from panodepth.inference.predictor import feather_weights


def smooth_pano(b: int = 1, h: int = 32, seed: int = 0) -> torch.Tensor:
    """Colours that are a smooth (linear) function of the ray direction: smooth on the sphere."""
    gen = torch.Generator().manual_seed(seed)
    mix = torch.rand(b, 3, 3, generator=gen) - 0.5
    rays = geo.equirect_rays(h, 2 * h)  # (H, W, 3)
    return (0.5 + 0.5 * torch.einsum("bcj,hwj->bchw", mix, rays)).clamp(0, 1)


def pointwise(images: torch.Tensor) -> torch.Tensor:
    """An exactly rotation-equivariant "network": disparity is a function of the colour."""
    return 0.5 + images.mean(1, keepdim=True)


class Scrambled(torch.nn.Module):
    """Equivariant up to a different scale and shift on every call (a relative predictor)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return (1 + 0.5 * self.calls) * pointwise(images) + 0.1 * self.calls


def test_ensemble_rotations_start_with_identity_and_are_deterministic():
    for mode in ("yaw", "full"):
        rots = ensemble_rotations(5, mode, seed=3)
        assert rots.shape == (5, 3, 3)
        torch.testing.assert_close(rots[0], torch.eye(3))
        torch.testing.assert_close(rots @ rots.transpose(1, 2), torch.eye(3).expand(5, 3, 3))
        torch.testing.assert_close(rots, ensemble_rotations(5, mode, seed=3))
    yaw_only = ensemble_rotations(4, "yaw", max_tilt_deg=0.0)
    expected = geo.rotation_matrix(torch.arange(4.0) * math.pi / 2, 0.0, 0.0)
    torch.testing.assert_close(yaw_only, expected, atol=1e-6, rtol=0)
    tilted = ensemble_rotations(6, "yaw", max_tilt_deg=5.0)
    forward_y = tilted[:, 1, 2]  # y component of the rotated forward axis: ≤ sin 5°
    assert float(forward_y.abs().max()) <= math.sin(math.radians(5)) + 1e-6
    with pytest.raises(ValueError):
        ensemble_rotations(0)
    with pytest.raises(ValueError):
        ensemble_rotations(2, "roll")  # type: ignore[arg-type]


def test_working_height_rounds_down_to_a_multiple():
    assert working_height(512) == 512
    assert working_height(70) == 64
    assert working_height(45, multiple=1) == 45
    with pytest.raises(ValueError, match="at least 32"):
        working_height(31)


@pytest.mark.parametrize("relative", [True, False])
def test_ensemble_of_an_equivariant_predictor_equals_the_single_prediction(relative):
    img = smooth_pano(2)
    single = pointwise(img)
    yaw = ensemble_disparity(pointwise, img, ensemble_rotations(4, "yaw", 0.0), relative)
    torch.testing.assert_close(yaw, single, atol=1e-4, rtol=0)  # whole-pixel yaws: exact
    full = ensemble_disparity(pointwise, img, ensemble_rotations(4, "full", seed=1), relative)
    assert float((full - single).abs().mean()) < 5e-3  # bilinear resampling only
    one = ensemble_disparity(pointwise, img, ensemble_rotations(1))
    torch.testing.assert_close(one, single)


def test_relative_copies_are_aligned_to_the_first():
    img = smooth_pano()
    net = Scrambled()
    out = ensemble_disparity(net, img, ensemble_rotations(4, "yaw", 0.0), relative=True)
    torch.testing.assert_close(out, 1.5 * pointwise(img) + 0.1, atol=1e-4, rtol=0)
    net = Scrambled()
    unaligned = ensemble_disparity(net, img, ensemble_rotations(4, "yaw", 0.0), relative=False)
    assert float((unaligned - (1.5 * pointwise(img) + 0.1)).abs().max()) > 0.1


def test_predictor_with_k1_equals_the_plain_network_and_resizes_back():
    img = smooth_pano(3, h=40)
    predictor = Predictor(torch.nn.Identity(), metric=False, height=40, multiple=8, batch_size=2)
    assert predictor.height == 40 and predictor.ensemble == 1
    predictor.network = pointwise  # any callable network works
    torch.testing.assert_close(predictor.disparity(img), pointwise(img))
    small = Predictor(torch.nn.Identity(), metric=False, height=16, multiple=8)
    small.network = pointwise
    out = small.disparity(img)
    assert out.shape == (3, 1, 40, 80)
    assert float((out - pointwise(img)).abs().mean()) < 0.05
    depth = predictor(img)
    assert depth.shape == (3, 1, 40, 80)
    for d in depth:
        assert float(d[d > 0].median()) == pytest.approx(1.0, rel=1e-3)


def test_align_affine_recovers_scale_and_shift():
    gen = torch.Generator().manual_seed(0)
    ref = torch.rand(2, 1, 8, 16, generator=gen) + 0.5
    src = (ref - 0.3) / 2.5
    mask = torch.ones_like(ref, dtype=torch.bool)
    torch.testing.assert_close(align_affine(src, ref, mask), ref, atol=1e-5, rtol=0)
    empty = torch.zeros_like(mask)
    torch.testing.assert_close(align_affine(src, ref, empty), src)


def test_depth_from_disparity_metric_and_relative():
    disp = torch.tensor([[[[0.5, 0.25, 0.0, 1.0]]]]).expand(1, 1, 2, 4).contiguous()
    depth, valid = depth_from_disparity(disp, metric=True)
    torch.testing.assert_close(depth[0, 0, 0], torch.tensor([2.0, 4.0, 0.0, 1.0]))
    assert valid[0, 0, 0].tolist() == [True, True, False, True]
    rel, _ = depth_from_disparity(disp, metric=False)
    assert float(rel[rel > 0].median()) == pytest.approx(1.0)
    scaled, _ = depth_from_disparity(disp, metric=False, median_depth=3.0)
    torch.testing.assert_close(scaled, 3.0 * rel)
    far = disp.clone()
    far[..., 0] = 1e-4  # 5000× farther than the median: indistinguishable from sky
    _, valid = depth_from_disparity(far, metric=False)
    assert not bool(valid[..., 0].any())


def test_resize_disparity_keeps_invalid_pixels_out():
    disp = torch.full((1, 1, 8, 16), 2.0)
    disp[..., :, :4] = 0
    up = resize_disparity(disp, 16, 32)
    ok = up > 0
    torch.testing.assert_close(up[ok], torch.full_like(up[ok], 2.0))  # no mixing with the 0s
    assert not bool(ok[..., :6].any()) and bool(ok[..., 10:].all())


def test_student_predictor(student_ckpt, metric_ckpt):
    predictor = Predictor.from_student(str(student_ckpt), height=40)
    assert predictor.height == 32 and not predictor.metric and predictor.kind == "relative"
    assert predictor.name == str(student_ckpt)
    img = smooth_pano(1, h=48)
    disp = predictor.disparity(img)
    assert disp.shape == (1, 1, 48, 96) and bool((disp >= 0).all())
    metric = Predictor.from_student(str(metric_ckpt), height=32, ensemble=2)
    assert metric.metric
    depth = metric(img)
    assert depth.shape == (1, 1, 48, 96)
    assert float(depth[depth > 0].min()) > 0 and float(depth.max()) <= 10.0 + 1e-4


class Disagreeing(torch.nn.Module):
    """A relative predictor whose copies disagree beyond a scale and a shift (call k adds
    (k − 1)/2 × the blue channel) and whose copies after the first are invalid (0) where the
    red channel is above ``threshold``: colours are smooth functions of the direction, so
    that is one region of the sphere in every copy's frame (a stitched teacher's "≤ 0")."""

    def __init__(self, threshold: float) -> None:
        super().__init__()
        self.threshold = threshold
        self.calls = 0

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        disp = pointwise(images) + 0.5 * (self.calls - 1) * images[:, 2:]
        hole = (images[:, :1] > self.threshold) & (self.calls > 1)
        return torch.where(hole, torch.zeros_like(disp), disp)


def max_step(disp: torch.Tensor) -> float:
    """The largest relative change between neighbouring pixels (across the seam too)."""
    d = disp[0, 0]
    across = (d.roll(-1, 1) / d - 1).abs()
    down = (d[1:] / d[:-1] - 1).abs()
    return float(torch.cat((across.flatten(), down.flatten())).max())


def test_a_copy_invalid_on_a_region_fades_out_instead_of_leaving_a_hard_edge():
    """The defect: a teacher-mode ensemble with a copy invalid on part of the ceiling drew a
    hard-edged patch there (one copy less in the average: a jump of (that copy − the others'
    mean)/K in one pixel). Copies now fade out towards their invalid regions."""
    img = smooth_pano(h=128, seed=1)
    threshold = float(img[:, 0].quantile(0.8))  # copies 1 and 2 invalid on 20 % of the sphere
    rotations = ensemble_rotations(3, "full")
    assert max_step(pointwise(img)) < 0.003  # the scene itself is smooth
    hard = ensemble_disparity(Disagreeing(threshold), img, rotations, feather_deg=0)
    assert max_step(hard) > 0.05  # what the hard 0/1 weights did: a 6 % step
    out = ensemble_disparity(Disagreeing(threshold), img, rotations)
    assert bool((out > 0).all()) and max_step(out) < 0.03


def test_feather_weights_rise_from_the_border_wrap_the_seam_and_cross_the_poles():
    valid = torch.ones(1, 1, 32, 64, dtype=torch.bool)
    torch.testing.assert_close(feather_weights(valid, 2), torch.ones(1, 1, 32, 64))
    valid[..., 10:20, :4] = False  # a hole at the seam
    valid[..., :2, 20:24] = False  # and one at the north pole
    w = feather_weights(valid, 2)
    assert bool((w[~valid] == 0).all()) and bool((w[valid] > 0).all())
    row = w[0, 0, 15]  # mid-hole: a ramp over 2·2 + 1 = 5 columns on both sides
    torch.testing.assert_close(row[4:9], torch.tensor([0.2, 0.4, 0.6, 0.8, 1.0]))
    torch.testing.assert_close(row[[63, 62, 58]], torch.tensor([0.2, 0.4, 1.0]))  # across
    assert bool((w[0, 0, 0, 52:56] < 1).all())  # the pole hole's opposite meridian (+32)
    assert bool((w[0, 0, 16, 30:40] == 1).all())  # far from both holes
