"""Tests of panodepth.geometry.depth: range ⇄ points, range ⇄ planar, depth ⇄ disparity."""

import math

import pytest
import torch

from panodepth.geometry import (
    depth_to_disparity,
    disparity_to_depth,
    equirect_to_cube,
    face_rotations,
    planar_to_range,
    points_to_range,
    range_to_planar,
    range_to_points,
    safe_reciprocal,
    view_rays,
)

from .geometry_testlib import pano_rays

F_, R_, B_, L_, U_, D_ = range(6)


def _range_map(batch: int = 2, height: int = 8, invalid: float = 0.2) -> torch.Tensor:
    """(B, 1, H, 2H) random ranges in [0.5, 10) with a fraction of invalid (0) pixels."""
    rng = torch.rand(batch, 1, height, 2 * height, dtype=torch.float64) * 9.5 + 0.5
    return rng * (torch.rand_like(rng) > invalid)


def _box_room(height: int, a: float, b: float, c: float) -> torch.Tensor:
    """(1, 1, H, 2H) range of the walls x = ±a, y = ±b, z = ±c seen from the origin."""
    rays = pano_rays(height)
    dist = torch.stack((a / rays[..., 0].abs(), b / rays[..., 1].abs(), c / rays[..., 2].abs()))
    return dist.amin(0)[None, None]


class TestRangeToPoints:
    def test_shape(self):
        assert range_to_points(_range_map()).shape == (2, 8, 16, 3)

    def test_convention_points_along_rays(self):
        rng = _range_map()
        points = range_to_points(rng)
        torch.testing.assert_close(points, rng[:, 0, :, :, None] * pano_rays(8))
        assert (points[:, 0, :, 1][rng[:, 0, 0] > 0] < 0).all()  # top row is above (−y)

    def test_round_trip(self):
        rng = _range_map()
        torch.testing.assert_close(points_to_range(range_to_points(rng)), rng)

    def test_invalid_pixels_stay_zero(self):
        rng = _range_map(invalid=0.5)
        invalid = rng[:, 0] == 0
        assert invalid.any()
        points = range_to_points(rng)
        assert (points[invalid] == 0).all()
        assert (points_to_range(points)[:, 0][invalid] == 0).all()

    def test_points_to_range_is_norm(self):
        points = torch.randn(1, 4, 8, 3, dtype=torch.float64)
        torch.testing.assert_close(points_to_range(points)[:, 0], points.norm(dim=-1))

    def test_keeps_dtype(self):
        rng = _range_map().float()
        assert range_to_points(rng).dtype == torch.float32
        assert range_to_points(rng.half()).dtype == torch.float16

    def test_gradient(self):
        rng = _range_map(1, 4, invalid=0.0).requires_grad_(True)
        assert torch.autograd.gradcheck(range_to_points, (rng,))


class TestRangePlanar:
    def test_convention_planar_is_z_in_face_frame(self):
        size = 8
        rng = torch.rand(2, 6, 1, size, size, dtype=torch.float64) * 5 + 0.5
        planar = range_to_planar(rng)
        # the 3-D point of each face pixel, in the world frame, then in the face's frame
        unit = torch.nn.functional.normalize(view_rays(size, 90.0, dtype=torch.float64), dim=-1)
        rot = face_rotations(dtype=torch.float64)
        world = rng[:, :, 0, :, :, None] * torch.einsum("kij,hwj->khwi", rot, unit)
        local = torch.einsum("kji,bkhwj->bkhwi", rot, world)  # Rᵀ p
        torch.testing.assert_close(planar[:, :, 0], local[..., 2])

    def test_convention_planar_is_range_times_cosine(self):
        (h, w), fov = (6, 10), 70.0
        rng = torch.rand(3, h, w, dtype=torch.float64) + 1.0
        # cos(angle to the optical axis) of pixel (i, j), the pinhole written out by hand
        f = (w / 2) / math.tan(math.radians(fov) / 2)
        x = (torch.arange(w, dtype=torch.float64) + 0.5 - w / 2) / f
        y = (torch.arange(h, dtype=torch.float64)[:, None] + 0.5 - h / 2) / f
        cosine = 1 / torch.sqrt(1 + x**2 + y**2)
        torch.testing.assert_close(range_to_planar(rng, fov), rng * cosine)

    def test_planar_at_most_range(self):
        rng = torch.rand(1, 6, 1, 8, 8) + 0.5
        planar = range_to_planar(rng)
        assert (planar <= rng).all() and (planar > 0.5 * rng).all()

    @pytest.mark.parametrize("fov", [90.0, 60.0, 120.0])
    def test_planar_to_range_inverts(self, fov):
        rng = torch.rand(2, 6, 1, 8, 8, dtype=torch.float64) * 5 + 0.5
        torch.testing.assert_close(planar_to_range(range_to_planar(rng, fov), fov), rng)
        torch.testing.assert_close(range_to_planar(planar_to_range(rng, fov), fov), rng)

    def test_invalid_pixels_stay_zero(self):
        rng = torch.rand(1, 6, 1, 8, 8) + 0.5
        rng[torch.rand_like(rng) < 0.3] = 0
        assert (range_to_planar(rng)[rng == 0] == 0).all()
        assert (planar_to_range(rng)[rng == 0] == 0).all()
        assert torch.isfinite(planar_to_range(rng)).all()

    def test_accepts_single_view(self):
        assert range_to_planar(torch.ones(5, 5)).shape == (5, 5)

    def test_does_not_depend_on_the_view(self):
        rng = torch.rand(4, 4) + 1.0
        planar = range_to_planar(rng.expand(1, 6, 1, 4, 4))
        assert (planar == planar[:, :1]).all()  # same pixel, same planar depth on every face

    @pytest.mark.parametrize(("a", "b", "c"), [(3.0, 2.5, 2.0), (2.0, 2.0, 2.0)])
    def test_box_room_front_wall_is_flat(self, a, b, c):
        """The range panorama of a box room, cut into cube faces: the F face's planar depth
        is the distance to the wall z = c (F sees only that wall since c ≤ a, b)."""
        height, size, margin = 128, 64, 3
        faces = equirect_to_cube(_box_room(height, a, b, c).float(), size)
        planar = range_to_planar(faces)[0, :, 0, margin:-margin, margin:-margin]
        # bilinear interpolation of range (smooth, ∝ 1/cos) on a 128-row panorama
        torch.testing.assert_close(planar[F_], torch.full_like(planar[F_], c), atol=2e-3, rtol=0)
        torch.testing.assert_close(planar[B_], torch.full_like(planar[B_], c), atol=2e-3, rtol=0)
        if a == b == c:  # a cube room: every face sees its own wall
            torch.testing.assert_close(planar, torch.full_like(planar, c), atol=2e-3, rtol=0)
        else:  # the side faces also see the nearer walls z = ±c
            assert planar[R_].min() < a - 0.1

    def test_gradient(self):
        rng = torch.rand(1, 6, 1, 3, 3, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(range_to_planar, (rng,))
        assert torch.autograd.gradcheck(planar_to_range, (rng,))

    def test_keeps_dtype(self):
        rng = torch.rand(1, 6, 1, 4, 4) + 0.5
        for dtype in (torch.float16, torch.bfloat16, torch.float64):
            out = range_to_planar(rng.to(dtype))
            assert out.dtype == dtype
            torch.testing.assert_close(out.float(), range_to_planar(rng), atol=1e-2, rtol=1e-2)


class TestDisparity:
    def test_reciprocal_of_positive(self):
        depth = torch.rand(2, 1, 4, 8, dtype=torch.float64) + 0.1
        torch.testing.assert_close(depth_to_disparity(depth), 1 / depth)
        torch.testing.assert_close(disparity_to_depth(1 / depth), depth)

    @pytest.mark.parametrize("fn", [depth_to_disparity, disparity_to_depth])
    def test_zero_stays_zero(self, fn):
        x = torch.tensor([0.0, 2.0, 0.0, 0.5, 1e-30])
        out = fn(x)
        assert torch.equal(out[[0, 2]], torch.zeros(2))
        assert torch.isfinite(out).all()
        torch.testing.assert_close(out[[1, 3]], torch.tensor([0.5, 2.0]))

    def test_round_trip_keeps_invalid(self):
        depth = _range_map(invalid=0.3)
        torch.testing.assert_close(disparity_to_depth(depth_to_disparity(depth)), depth)

    @pytest.mark.parametrize("fn", [depth_to_disparity, disparity_to_depth])
    def test_gradient_finite_at_zero(self, fn):
        x = torch.tensor([0.0, 0.5, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
        fn(x).sum().backward()
        assert torch.isfinite(x.grad).all()
        assert x.grad[0] == 0 and x.grad[2] == 0
        torch.testing.assert_close(x.grad[[1, 3]], -1 / x.detach()[[1, 3]] ** 2)

    def test_safe_reciprocal_is_the_unchecked_core(self):
        x = torch.tensor([2.0, 0.0, -1.0, math.nan, math.inf])
        out = safe_reciprocal(x)
        torch.testing.assert_close(out, torch.tensor([0.5, 0.0, 0.0, 0.0, 0.0]))
        torch.testing.assert_close(depth_to_disparity(x[:3]), out[:3])
        valid = torch.tensor([True, True, False, True, True])
        assert safe_reciprocal(x, valid)[0] == 0.5 and safe_reciprocal(x, ~valid)[0] == 0.0

    def test_valid_mask(self):
        depth = torch.tensor([[1.0, 2.0], [4.0, 0.0]])
        valid = torch.tensor([[True, False], [True, True]])
        out = depth_to_disparity(depth, valid)
        torch.testing.assert_close(out, torch.tensor([[1.0, 0.0], [0.25, 0.0]]))

    def test_valid_mask_broadcasts(self):
        depth = torch.ones(2, 1, 2, 4)
        valid = torch.tensor([True, False, True, False])
        out = depth_to_disparity(depth, valid)
        assert torch.equal(out, valid.float().expand_as(depth))

    def test_keeps_dtype(self):
        for dtype in (torch.float16, torch.bfloat16, torch.float64):
            out = depth_to_disparity(torch.tensor([0.0, 4.0], dtype=dtype))
            assert out.dtype == dtype
            assert out.tolist() == [0.0, 0.25]
