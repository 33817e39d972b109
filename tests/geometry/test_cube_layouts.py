"""Tests of panodepth.geometry.cube_layouts against py360convert's layout utilities."""

import numpy as np
import py360convert
import pytest
import torch
from py360convert import utils as p360

from panodepth.geometry import (
    FACE_NAMES,
    cube_to_dice,
    cube_to_dict,
    cube_to_horizon,
    cube_to_list,
    dice_to_cube,
    dict_to_cube,
    equirect_to_cube,
    horizon_to_cube,
    list_to_cube,
)

from .geometry_testlib import direction_pano


def _hwc(x: torch.Tensor) -> np.ndarray:
    """(C, H, W) tensor → (H, W, C) array."""
    return x.permute(1, 2, 0).numpy()


def _chw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x)).permute(2, 0, 1)


@pytest.fixture
def cube() -> torch.Tensor:
    """(2, 6, 3, 4, 4) random faces, every pixel different."""
    return torch.rand(2, 6, 3, 4, 4)


def _py360_list(cube: torch.Tensor, b: int) -> list[np.ndarray]:
    return [_hwc(f) for f in cube[b]]


class TestHorizon:
    def test_shape(self, cube):
        assert cube_to_horizon(cube).shape == (2, 3, 4, 24)

    def test_matches_py360convert(self, cube):
        for b in range(2):
            ref = p360.cube_list2h(_py360_list(cube, b))
            np.testing.assert_array_equal(_hwc(cube_to_horizon(cube)[b]), ref)

    def test_inverse_matches_py360convert(self, cube):
        horizon = cube_to_horizon(cube)
        back = horizon_to_cube(horizon)
        assert torch.equal(back, cube)
        for k, face in enumerate(p360.cube_h2list(_hwc(horizon[0]))):
            np.testing.assert_array_equal(_hwc(back[0, k]), face)

    def test_face_order(self, cube):
        horizon = cube_to_horizon(cube)
        for k in range(6):
            assert torch.equal(horizon[..., 4 * k : 4 * (k + 1)], cube[:, k])


class TestDice:
    def test_shape_and_zeros_outside(self, cube):
        dice = cube_to_dice(cube + 1.0)  # strictly positive faces
        assert dice.shape == (2, 3, 12, 16)
        filled = (dice != 0).all(1)  # (B, 12, 16)
        cells = torch.zeros(3, 4, dtype=torch.bool)
        cells[1, :] = True  # L F R B
        cells[0, 1] = cells[2, 1] = True  # U above F, D below F
        expected = cells.repeat_interleave(4, 0).repeat_interleave(4, 1)
        assert torch.equal(filled, expected.expand(2, -1, -1))

    def test_convention_cross(self, cube):
        dice = cube_to_dice(cube)
        cell = {"U": (0, 1), "L": (1, 0), "F": (1, 1), "R": (1, 2), "B": (1, 3), "D": (2, 1)}
        for k, name in enumerate(FACE_NAMES):
            r, c = cell[name]
            assert torch.equal(dice[:, :, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4], cube[:, k])

    def test_matches_py360convert(self, cube):
        for b in range(2):
            ref = p360.cube_h2dice(p360.cube_list2h(_py360_list(cube, b)))
            np.testing.assert_array_equal(_hwc(cube_to_dice(cube)[b]), ref)

    def test_inverse_matches_py360convert(self, cube):
        dice = cube_to_dice(cube)
        assert torch.equal(dice_to_cube(dice), cube)
        ref = p360.cube_dice2list(_hwc(dice[1]))
        for k in range(6):
            np.testing.assert_array_equal(_hwc(dice_to_cube(dice)[1, k]), ref[k])
        np.testing.assert_array_equal(
            p360.cube_dice2h(_hwc(dice[1])), _hwc(cube_to_horizon(cube)[1])
        )

    def test_dice_of_py360convert(self, cube):
        """A dice made by py360convert is read back as the same faces."""
        dice = _chw(p360.cube_h2dice(p360.cube_list2h(_py360_list(cube, 0)))).unsqueeze(0)
        assert torch.equal(dice_to_cube(dice), cube[:1])

    def test_matches_py360convert_e2c_dice(self):
        """Our e2c + cube_to_dice against py360convert's e2c(cube_format="dice")."""
        img = direction_pano(32)
        ours = _hwc(cube_to_dice(equirect_to_cube(img, 16))[0])
        theirs = py360convert.e2c(_hwc(img[0]), 16, cube_format="dice")
        assert ours.shape == theirs.shape
        # half a face pixel of shift between the two face-pixel conventions (see test_cube):
        # a face pixel spans at most 2/S rad (at the face centre), the encoding changes by
        # 0.25 per rad, plus a margin for cv2's fixed-point remap. Zeros match exactly.
        size = 16
        np.testing.assert_array_less(np.abs(ours - theirs), 0.5 * 0.25 * 2 / size + 2e-3)
        assert np.array_equal(ours == 0, theirs == 0)


class TestListAndDict:
    def test_list_matches_py360convert(self, cube):
        faces = cube_to_list(cube)
        assert len(faces) == 6
        ref = p360.cube_h2list(_hwc(cube_to_horizon(cube)[0]))
        for ours, theirs in zip(faces, ref, strict=True):
            assert ours.shape == (2, 3, 4, 4)
            np.testing.assert_array_equal(_hwc(ours[0]), theirs)

    def test_list_inverse(self, cube):
        assert torch.equal(list_to_cube(cube_to_list(cube)), cube)

    def test_dict_matches_py360convert(self, cube):
        faces = cube_to_dict(cube)
        assert list(faces) == list(FACE_NAMES)
        ref = p360.cube_h2dict(_hwc(cube_to_horizon(cube)[0]))
        for name in FACE_NAMES:
            np.testing.assert_array_equal(_hwc(faces[name][0]), ref[name])

    def test_dict_inverse(self, cube):
        faces = cube_to_dict(cube)
        assert torch.equal(dict_to_cube(faces), cube)
        shuffled = {k: faces[k] for k in reversed(FACE_NAMES)}  # key order does not matter
        assert torch.equal(dict_to_cube(shuffled), cube)

    def test_dict_of_py360convert(self, cube):
        ref = p360.cube_h2dict(p360.cube_list2h(_py360_list(cube, 0)))
        faces = {k: _chw(v).unsqueeze(0) for k, v in ref.items()}
        assert torch.equal(dict_to_cube(faces), cube[:1])


class TestLayoutGradients:
    @pytest.mark.parametrize(
        "fn",
        [
            cube_to_dice,
            cube_to_horizon,
            lambda c: torch.stack(cube_to_list(c)),
            lambda c: torch.stack(list(cube_to_dict(c).values())),
        ],
    )
    def test_gradient_reaches_every_face_pixel(self, fn):
        cube = torch.rand(1, 6, 2, 3, 3, requires_grad=True)
        fn(cube).sum().backward()
        assert torch.equal(cube.grad, torch.ones_like(cube))

    def test_round_trips_keep_dtype(self):
        cube = torch.rand(1, 6, 1, 2, 2, dtype=torch.float16)
        assert dice_to_cube(cube_to_dice(cube)).dtype == torch.float16
        assert horizon_to_cube(cube_to_horizon(cube)).dtype == torch.float16
