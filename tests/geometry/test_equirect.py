"""Tests of panodepth.geometry.equirect: rotating panoramas on the sphere."""

import math

import pytest
import torch

from panodepth.geometry import random_rotation, rotate_equirect, rotation_matrix

from .geometry_testlib import angle, decode_dirs, direction_pano, pano_rays

PI = math.pi


class TestRotateEquirect:
    def test_shape(self):
        assert rotate_equirect(torch.rand(2, 3, 8, 16), torch.eye(3)).shape == (2, 3, 8, 16)

    def test_identity(self):
        img = torch.rand(2, 3, 16, 32)
        torch.testing.assert_close(rotate_equirect(img, torch.eye(3)), img, atol=1e-5, rtol=0)

    def test_yaw_180_is_half_roll(self):
        img = torch.rand(2, 3, 16, 32)
        half_turn = rotation_matrix(torch.tensor(PI), 0.0, 0.0)
        torch.testing.assert_close(
            rotate_equirect(img, half_turn), img.roll(16, -1), atol=1e-4, rtol=0
        )

    def test_yaw_by_whole_pixels_is_roll(self):
        img = torch.rand(1, 2, 16, 32)
        yaw = 3 * 2 * PI / 32  # three pixels to the right
        out = rotate_equirect(img, rotation_matrix(torch.tensor(yaw, dtype=torch.float64), 0, 0))
        # output column u samples input longitude lon + yaw, i.e. column u + 3
        torch.testing.assert_close(out, img.roll(-3, -1), atol=1e-4, rtol=0)

    def test_convention_samples_at_rotated_ray(self, device):
        """Output ray d shows the input at R @ d (camera-to-world)."""
        height = 32
        rot = rotation_matrix(torch.tensor(0.5, dtype=torch.float64), 0.3, -0.6)
        out = rotate_equirect(direction_pano(height).to(device), rot.to(device)).cpu()
        got = decode_dirs(out[0], dim=0).permute(1, 2, 0)
        expected = pano_rays(height) @ rot.T
        assert angle(got, expected).max() < 2e-3

    def test_rotate_back_is_identity(self):
        img = direction_pano(64)
        rot = rotation_matrix(0.4, -0.3, 0.7)
        back = rotate_equirect(rotate_equirect(img, rot), rot.T)
        torch.testing.assert_close(back, img, atol=1e-3, rtol=0)  # two interpolations
        assert (back - img).abs().mean() < 2e-4

    def test_per_sample_rotations_are_independent(self):
        img = torch.rand(3, 2, 16, 32)
        rot = random_rotation(3, 90, generator=torch.Generator().manual_seed(5))
        batched = rotate_equirect(img, rot)
        for i in range(3):
            alone = rotate_equirect(img[i : i + 1], rot[i])
            torch.testing.assert_close(batched[i : i + 1], alone, atol=2e-5, rtol=0)

    def test_shared_rotation_applies_to_every_sample(self):
        img = torch.rand(2, 1, 16, 32)
        rot = rotation_matrix(0.3, 0.2, 0.1)
        torch.testing.assert_close(
            rotate_equirect(img, rot), rotate_equirect(img, rot.expand(2, 3, 3))
        )

    def test_no_seam_artefact(self):
        """An image continuous across ±180° stays continuous when rotated across the seam."""
        height = 32
        rays = pano_rays(height)
        img = torch.sin(torch.atan2(rays[..., 0], rays[..., 2]))[None, None].float()
        rot = rotation_matrix(torch.tensor(PI / 2 + 0.013, dtype=torch.float64), 0, 0)
        out = rotate_equirect(img, rot)[0, 0].double()
        src = rays @ rot.T
        expected = torch.sin(torch.atan2(src[..., 0], src[..., 2]))
        assert (out - expected).abs().max() < 2e-3

    def test_nearest_mode_copies_pixels(self):
        img = torch.rand(1, 1, 16, 32)
        out = rotate_equirect(img, rotation_matrix(0.3, 0.4, 0.5), mode="nearest")
        assert torch.isin(out, img).all()

    def test_gradcheck_image(self):
        img = torch.rand(1, 1, 4, 8, dtype=torch.float64, requires_grad=True)
        rot = rotation_matrix(0.3, 0.2, 0.1)  # some samples cross the seam and the poles
        assert torch.autograd.gradcheck(lambda x: rotate_equirect(x, rot), (img,))

    def test_every_sample_passes_full_gradient(self):
        img = torch.rand(2, 1, 16, 32, dtype=torch.float64, requires_grad=True)
        rot = random_rotation(2, 90, generator=torch.Generator().manual_seed(4))
        rotate_equirect(img, rot).sum().backward()
        # the top and bottom rows and the border columns are sampled too, with weights 1
        torch.testing.assert_close(img.grad.sum((1, 2, 3)), torch.full((2,), 16.0 * 32).double())

    def test_gradient_wrt_rotation(self):
        img = direction_pano(16, torch.float64)
        weights = torch.rand(1, 3, 16, 32, dtype=torch.float64)
        yaw = torch.tensor(0.4, dtype=torch.float64, requires_grad=True)

        def loss(y: torch.Tensor) -> torch.Tensor:
            return (rotate_equirect(img, rotation_matrix(y, 0.3, 0.0)) * weights).sum()

        loss(yaw).backward()
        assert torch.isfinite(yaw.grad) and yaw.grad.abs() > 1e-3
        with torch.no_grad():
            fd = (loss(yaw + 1e-3) - loss(yaw - 1e-3)) / 2e-3
        assert yaw.grad.item() == pytest.approx(fd.item(), rel=0.05)

    @pytest.mark.parametrize(
        ("dtype", "tol"), [(torch.float16, 2e-3), (torch.bfloat16, 1e-2), (torch.float64, 1e-5)]
    )
    def test_dtypes(self, dtype, tol):
        img = torch.rand(2, 3, 16, 32)
        rot = rotation_matrix(0.3, 0.2, 0.1)
        ref = rotate_equirect(img, rot)
        out = rotate_equirect(img.to(dtype), rot)
        assert out.dtype == dtype
        torch.testing.assert_close(out.float(), ref, atol=tol, rtol=0)
