"""Tests of panodepth.geometry.rotation: Euler angles → camera-to-world matrices."""

import math

import pytest
import torch
from scipy.spatial.transform import Rotation

from panodepth.geometry import random_rotation, rotation_matrix, xyz_to_lonlat

PI = math.pi
FORWARD = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
RIGHT = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
DOWN = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)


def _rot(yaw: float, pitch: float, roll: float) -> torch.Tensor:
    f = torch.tensor
    return rotation_matrix(
        f(yaw, dtype=torch.float64), f(pitch, dtype=torch.float64), f(roll, dtype=torch.float64)
    )


def _euler(rot: torch.Tensor) -> torch.Tensor:
    """Recover (yaw, pitch, roll) from R = R_y(yaw) R_x(pitch) R_z(roll), |pitch| < 90°."""
    yaw = torch.atan2(rot[..., 0, 2], rot[..., 2, 2])
    pitch = -torch.asin(rot[..., 1, 2].clamp(-1, 1))
    roll = torch.atan2(rot[..., 1, 0], rot[..., 1, 1])
    return torch.stack((yaw, pitch, roll), -1)


def _assert_proper(rot: torch.Tensor, atol: float = 1e-6) -> None:
    eye = torch.eye(3, dtype=rot.dtype).expand_as(rot)
    torch.testing.assert_close(rot @ rot.transpose(-1, -2), eye, atol=atol, rtol=0)
    torch.testing.assert_close(
        torch.linalg.det(rot), torch.ones(rot.shape[:-2], dtype=rot.dtype), atol=atol, rtol=0
    )


class TestRotationMatrix:
    def test_orthonormal_det_one(self):
        angles = (torch.rand(3, 64, dtype=torch.float64) * 2 - 1) * 4
        _assert_proper(rotation_matrix(*angles), atol=1e-12)

    def test_zero_is_identity(self):
        torch.testing.assert_close(_rot(0.0, 0.0, 0.0), torch.eye(3, dtype=torch.float64))

    def test_convention_yaw_turns_right(self):
        torch.testing.assert_close(_rot(PI / 2, 0, 0) @ FORWARD, RIGHT, atol=1e-12, rtol=0)
        for yaw in (0.3, -1.2, 2.5):
            lon, lat = xyz_to_lonlat(_rot(yaw, 0, 0) @ FORWARD)
            assert lon.item() == pytest.approx(yaw)  # longitude grows by +yaw
            assert lat.item() == pytest.approx(0.0, abs=1e-12)
        torch.testing.assert_close(_rot(0.7, 0, 0) @ DOWN, DOWN)  # yaw keeps the vertical

    def test_convention_pitch_tilts_up(self):
        up = -DOWN
        torch.testing.assert_close(_rot(0, PI / 2, 0) @ FORWARD, up, atol=1e-12, rtol=0)
        lon, lat = xyz_to_lonlat(_rot(0, 0.4, 0) @ FORWARD)
        assert lat.item() == pytest.approx(0.4)  # latitude grows by +pitch
        assert lon.item() == pytest.approx(0.0, abs=1e-12)
        torch.testing.assert_close(_rot(0, 0.7, 0) @ RIGHT, RIGHT)  # pitch keeps x

    def test_convention_roll_clockwise(self):
        torch.testing.assert_close(_rot(0, 0, PI / 2) @ RIGHT, DOWN, atol=1e-12, rtol=0)
        torch.testing.assert_close(_rot(0, 0, 0.9) @ FORWARD, FORWARD)  # roll keeps the axis

    def test_convention_composition_order(self):
        yaw, pitch, roll = 0.4, -0.7, 1.1
        composed = _rot(yaw, 0, 0) @ _rot(0, pitch, 0) @ _rot(0, 0, roll)
        torch.testing.assert_close(_rot(yaw, pitch, roll), composed)
        assert not torch.allclose(_rot(yaw, pitch, roll), _rot(0, 0, roll) @ _rot(0, pitch, 0))

    def test_matches_scipy_intrinsic_yxz(self):
        angles = (torch.rand(32, 3, dtype=torch.float64) * 2 - 1) * PI
        ours = rotation_matrix(*angles.unbind(-1))
        # scipy: upper-case axes are intrinsic, "YXZ" composes as R_y @ R_x @ R_z
        ref = torch.from_numpy(Rotation.from_euler("YXZ", angles.numpy()).as_matrix())
        torch.testing.assert_close(ours, ref)

    def test_transpose_is_inverse(self):
        rot = _rot(0.3, 0.2, -0.5)
        inverse = _rot(0, 0, 0.5) @ _rot(0, -0.2, 0) @ _rot(-0.3, 0, 0)
        torch.testing.assert_close(rot.T, inverse)

    def test_broadcasting(self):
        yaw = torch.tensor([0.1, 0.2, 0.3, 0.4])
        out = rotation_matrix(yaw, 0.5, torch.tensor([-0.2]))
        assert out.shape == (4, 3, 3)
        for i in range(4):
            torch.testing.assert_close(out[i], rotation_matrix(yaw[i], 0.5, -0.2))
        out = rotation_matrix(torch.zeros(2, 1), torch.linspace(0, 1, 3), 0.0)
        assert out.shape == (2, 3, 3, 3)
        torch.testing.assert_close(out[1, 2], rotation_matrix(0.0, 1.0, 0.0))

    def test_floats_give_single_matrix(self):
        out = rotation_matrix(0.1, 0.2, 0.3)
        assert out.shape == (3, 3)
        assert out.dtype == torch.get_default_dtype()

    def test_dtype_follows_first_tensor(self):
        assert rotation_matrix(0.1, torch.tensor(0.2, dtype=torch.float64), 0.3).dtype == (
            torch.float64
        )
        assert rotation_matrix(torch.tensor(1), 0.0, 0.0).dtype == torch.get_default_dtype()

    def test_gradcheck(self):
        angles = torch.rand(3, 4, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda a: rotation_matrix(*a), (angles,))


class TestRandomRotation:
    def test_shape_and_proper(self):
        rot = random_rotation(16)
        assert rot.shape == (16, 3, 3)
        _assert_proper(rot, atol=1e-5)

    @pytest.mark.parametrize("max_deg", [10.0, 45.0, 80.0])
    def test_angles_within_bounds(self, max_deg):
        gen = torch.Generator().manual_seed(1)
        rot = random_rotation(4000, max_deg, generator=gen, dtype=torch.float64)
        angles = _euler(rot).abs().rad2deg()
        assert angles.max() <= max_deg + 1e-9
        # ... and the whole range is used, for each angle separately
        assert (angles.amax(0) > 0.98 * max_deg).all()
        assert (angles.amin(0) < 0.02 * max_deg).all()

    def test_generator_reproducible(self):
        a = random_rotation(5, generator=torch.Generator().manual_seed(7))
        b = random_rotation(5, generator=torch.Generator().manual_seed(7))
        c = random_rotation(5, generator=torch.Generator().manual_seed(8))
        assert torch.equal(a, b)
        assert not torch.allclose(a, c)

    def test_max_deg_zero_is_identity(self):
        torch.testing.assert_close(random_rotation(3, 0.0), torch.eye(3).expand(3, 3, 3))

    def test_dtype(self):
        assert random_rotation(2, dtype=torch.float64).dtype == torch.float64
