"""Tests of panodepth.geometry.perspective: pinhole views of a panorama and back."""

import math

import pytest
import torch

from panodepth.geometry import (
    equirect_to_cube,
    equirect_to_perspective,
    equirect_to_views,
    face_rotations,
    perspective_to_equirect,
    random_rotation,
    rotation_matrix,
    view_rays,
    views_to_equirect,
)

from .geometry_testlib import angle, decode_dirs, direction_pano, pano_rays

PI = math.pi
F_, R_, B_, L_, U_, D_ = range(6)


def _rot(yaw: float = 0.0, pitch: float = 0.0, roll: float = 0.0) -> torch.Tensor:
    return rotation_matrix(torch.tensor(yaw, dtype=torch.float64), pitch, roll)


class TestViewRays:
    def test_convention_pixel_rays(self):
        h, w, fov = 4, 6, 70.0
        rays = view_rays((h, w), fov, dtype=torch.float64)
        assert rays.shape == (h, w, 3)
        assert torch.equal(rays[..., 2], torch.ones(h, w, dtype=torch.float64))
        f = (w / 2) / math.tan(math.radians(fov) / 2)
        j = torch.arange(w, dtype=torch.float64)
        i = torch.arange(h, dtype=torch.float64)
        torch.testing.assert_close(rays[0, :, 0], (j + 0.5 - w / 2) / f)  # x right
        torch.testing.assert_close(rays[:, 0, 1], (i + 0.5 - h / 2) / f)  # y down

    def test_convention_field_of_view(self):
        size, fov = 8, 90.0
        rays = view_rays(size, fov, dtype=torch.float64)
        # the image's left/right edges (half a pixel beyond the outer centres) are ±fov/2
        edge = rays[0, -1, 0] + (rays[0, -1, 0] - rays[0, -2, 0]) / 2
        assert edge.item() == pytest.approx(math.tan(math.radians(fov) / 2))
        torch.testing.assert_close(rays[..., :2].mean((0, 1)), torch.zeros(2).double())

    def test_returns_a_fresh_tensor(self):
        first = view_rays(4, 60.0)
        expected = first.clone()
        first.zero_()
        assert torch.equal(view_rays(4, 60.0), expected)


class TestEquirectToPerspective:
    def test_shape(self):
        img = torch.rand(2, 3, 16, 32)
        assert equirect_to_perspective(img, 60.0, 8).shape == (2, 3, 8, 8)
        assert equirect_to_perspective(img, 60.0, (6, 10)).shape == (2, 3, 6, 10)

    def test_fov_90_identity_is_front_face(self):
        img = torch.rand(2, 3, 32, 64)
        faces = equirect_to_cube(img, 16)
        torch.testing.assert_close(equirect_to_perspective(img, 90.0, 16), faces[:, F_])

    @pytest.mark.parametrize(
        ("angles", "face"),
        [
            ((PI / 2, 0, 0), R_),
            ((PI, 0, 0), B_),
            ((-PI / 2, 0, 0), L_),
            ((0, PI / 2, 0), U_),
            ((0, -PI / 2, 0), D_),
        ],
    )
    def test_rotated_view_is_cube_face(self, angles, face):
        img = torch.rand(1, 3, 32, 64)
        faces = equirect_to_cube(img, 16)
        view = equirect_to_perspective(img, 90.0, 16, rotation=_rot(*angles))
        # the rotations equal the face's up to float rounding (cos(π/2) ≠ 0 in float)
        torch.testing.assert_close(view, faces[:, face], atol=1e-4, rtol=0)

    def test_convention_direction_pano(self):
        h, w, fov = 9, 13, 75.0
        rot = _rot(0.8, -0.5, 0.4)
        out = equirect_to_perspective(direction_pano(32), fov, (h, w), rotation=rot)[0]
        got = decode_dirs(out, dim=0).permute(1, 2, 0)
        rays = torch.nn.functional.normalize(view_rays((h, w), fov, dtype=torch.float64), dim=-1)
        assert angle(got, rays @ rot.T).max() < 2e-3
        # the centre pixel (odd size) looks along rotation @ forward
        assert angle(got[h // 2, w // 2], rot[:, 2]) < 2e-3

    def test_per_sample_rotations(self):
        img = torch.rand(3, 2, 16, 32)
        rot = random_rotation(3, 90, generator=torch.Generator().manual_seed(2))
        out = equirect_to_perspective(img, 60.0, 8, rotation=rot)
        for i in range(3):
            alone = equirect_to_perspective(img[i : i + 1], 60.0, 8, rotation=rot[i])
            torch.testing.assert_close(out[i : i + 1], alone, atol=2e-5, rtol=0)

    def test_gradcheck_image(self):
        img = torch.rand(1, 1, 8, 16, dtype=torch.float64, requires_grad=True)
        rot = rotation_matrix(2.9, 1.2, 0.0)  # looks across the seam, near the pole
        assert torch.autograd.gradcheck(
            lambda x: equirect_to_perspective(x, 100.0, 5, rotation=rot), (img,)
        )

    def test_gradient_wrt_rotation(self):
        """Like a cube face, a perspective view is differentiable w.r.t. its rotation."""
        img = direction_pano(32, torch.float64)
        weights = torch.rand(1, 3, 8, 8, dtype=torch.float64)
        yaw = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
        out = equirect_to_perspective(img, 60.0, 8, rotation=rotation_matrix(yaw, 0.2, 0.0))
        assert out.requires_grad, "the output is detached from the rotation"
        (out * weights).sum().backward()
        assert torch.isfinite(yaw.grad) and yaw.grad.abs() > 1e-3

    @pytest.mark.parametrize(
        ("dtype", "tol"), [(torch.float16, 2e-3), (torch.bfloat16, 1e-2), (torch.float64, 1e-5)]
    )
    def test_dtypes(self, dtype, tol):
        img = torch.rand(2, 3, 16, 32)
        ref = equirect_to_perspective(img, 70.0, 8, rotation=_rot(0.3))
        out = equirect_to_perspective(img.to(dtype), 70.0, 8, rotation=_rot(0.3))
        assert out.dtype == dtype
        torch.testing.assert_close(out.float(), ref, atol=tol, rtol=0)


def _in_view(rays: torch.Tensor, rot: torch.Tensor, fov: float, h: int, w: int) -> torch.Tensor:
    """Analytic field of view: direction within the pinhole's image rectangle."""
    local = rays @ rot  # Rᵀ d, in the view's frame
    x, y, z = local.unbind(-1)
    tx = math.tan(math.radians(fov) / 2)
    ty = tx * h / w
    return (z > 0) & (x.abs() <= z * tx) & (y.abs() <= z * ty)


class TestPerspectiveToEquirect:
    def test_shapes(self):
        out, valid = perspective_to_equirect(torch.rand(2, 3, 8, 8), 60.0, 16, 32)
        assert out.shape == (2, 3, 16, 32)
        assert valid.shape == (2, 1, 16, 32)
        assert valid.dtype == torch.bool

    @pytest.mark.parametrize(
        ("angles", "fov", "hw"),
        [((0.0, 0.0, 0.0), 90.0, (48, 64)), ((2.0, 0.6, 0.3), 60.0, (20, 20))],
    )
    def test_mask_covers_exactly_the_view(self, angles, fov, hw, device):
        height = 64
        rot = _rot(*angles)
        img = torch.rand(1, 1, *hw, device=device)
        _, valid = perspective_to_equirect(img, fov, height, 2 * height, rot.to(device))
        assert valid.device.type == device
        valid = valid.cpu()
        rays = pano_rays(height)
        expected = _in_view(rays, rot, fov, *hw)
        # away from the boundary (where float rounding may decide) the mask is exact
        inner = _in_view(rays, rot, fov * 0.98, hw[0] * 0.98, hw[1])
        outer = _in_view(rays, rot, min(fov * 1.02, 179.0), hw[0] * 1.02, hw[1])
        decided = inner | ~outer
        assert torch.equal(valid[0, 0][decided], expected[decided])
        assert (valid[0, 0] != expected).float().mean() < 1e-3

    def test_mask_spot_checks(self):
        height = 64
        _, valid = perspective_to_equirect(torch.rand(1, 1, 16, 16), 90.0, height, 2 * height)
        _, valid_r = perspective_to_equirect(
            torch.rand(1, 1, 16, 16), 90.0, height, 2 * height, rotation=_rot(PI / 2)
        )

        def at(mask, lon_deg, lat_deg):
            u = round((math.radians(lon_deg) + PI) / (2 * PI) * 2 * height - 0.5) % (2 * height)
            v = round((PI / 2 - math.radians(lat_deg)) / PI * height - 0.5)
            return bool(mask[0, 0, v, u])

        assert at(valid, 0, 0) and at(valid, 40, 0) and at(valid, -40, 0) and at(valid, 0, 40)
        assert not at(valid, 50, 0) and not at(valid, 0, 50) and not at(valid, 180, 0)
        assert not at(valid, 90, 0) and not at(valid, 35, -60)
        assert at(valid_r, 90, 0) and at(valid_r, 130, 0) and at(valid_r, 90, -40)
        assert not at(valid_r, 0, 0) and not at(valid_r, 140, 0)

    def test_zero_outside_the_view(self):
        out, valid = perspective_to_equirect(torch.rand(2, 3, 8, 8) + 1.0, 60.0, 16, 32)
        assert (out[valid.expand_as(out)] > 0).all()
        assert (out[~valid.expand_as(out)] == 0).all()

    def test_round_trip_inside_the_view(self):
        height = 64
        img = direction_pano(height)
        rot = _rot(-0.7, 0.3, 0.2)
        view = equirect_to_perspective(img, 80.0, 48, rotation=rot)
        back, valid = perspective_to_equirect(view, 80.0, height, 2 * height, rotation=rot)
        assert valid.float().mean() > 0.05
        err = (back - img).abs()[valid.expand_as(img)]
        assert err.max() < 5e-3  # the view samples finer than the panorama near its centre
        assert err.mean() < 1e-3

    def test_valid_mask_does_not_alias_a_cache(self):
        args = (77.7, 10, 20)  # a size used nowhere else
        img = torch.rand(1, 3, 10, 10)
        _, first = perspective_to_equirect(img, *args)
        count = int(first.sum())
        assert count > 0
        first.zero_()  # the caller owns the returned mask
        out, second = perspective_to_equirect(img, *args)
        assert int(second.sum()) == count
        assert (out != 0).any()

    def test_gradcheck(self):
        img = torch.rand(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
        rot = rotation_matrix(PI - 0.2, 0.3, 0.0)
        assert torch.autograd.gradcheck(
            lambda x: perspective_to_equirect(x, 90.0, 8, 16, rotation=rot)[0], (img,)
        )

    @pytest.mark.parametrize(
        ("dtype", "tol"), [(torch.float16, 2e-3), (torch.bfloat16, 1e-2), (torch.float64, 1e-4)]
    )
    def test_dtypes(self, dtype, tol):
        # float64 vs float32: the float32 reference rounds its strip coordinates (~1e-5)
        img = torch.rand(2, 3, 8, 8)
        ref, _ = perspective_to_equirect(img, 70.0, 16, 32)
        out, _ = perspective_to_equirect(img.to(dtype), 70.0, 16, 32)
        assert out.dtype == dtype
        torch.testing.assert_close(out.float(), ref, atol=tol, rtol=0)


class TestViews:
    def test_cube_rotations_give_cube(self):
        img = torch.rand(2, 3, 16, 32)
        views = equirect_to_views(img, face_rotations(), 90.0, 8)
        torch.testing.assert_close(views, equirect_to_cube(img, 8))

    def test_views_to_equirect_cube_covers_everything(self):
        views = torch.ones(1, 6, 1, 8, 8)
        out, valid = views_to_equirect(views, face_rotations(), 90.0, 16, 32)
        assert valid.all()
        torch.testing.assert_close(out, torch.ones(1, 1, 16, 32))

    def test_per_sample_view_rotations(self):
        img = torch.rand(2, 1, 16, 32)
        rots = torch.stack([face_rotations(), rotation_matrix(0.5, 0.0, 0.0) @ face_rotations()])
        views = equirect_to_views(img, rots, 90.0, 8)
        torch.testing.assert_close(views[0], equirect_to_cube(img[:1], 8)[0])
        rotated = equirect_to_cube(img[1:], 8, rotation=rotation_matrix(0.5, 0.0, 0.0))
        torch.testing.assert_close(views[1], rotated[0], atol=2e-5, rtol=0)

    def test_equirect_to_views_gradient_wrt_rotations(self):
        img = direction_pano(16, torch.float64)
        yaw = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)
        rots = rotation_matrix(yaw, 0.1, 0.0) @ face_rotations(dtype=torch.float64)  # (6, 3, 3)
        views = equirect_to_views(img, rots, 80.0, 6)
        assert views.requires_grad, "the output is detached from the rotations"
        (views * torch.rand_like(views)).sum().backward()
        assert torch.isfinite(yaw.grad) and yaw.grad.abs() > 1e-3
