"""Bad input raises ValueError (TypeError for non-tensors) naming the argument and the problem.

The patterns follow the wording of ``panodepth.checks``: the message names the argument, what
was expected and what was given — never a traceback from deep inside torch. Value checks
(NaN/Inf, negative depth) run only with the debug switch on (the ``debug_checks`` fixture);
without it the same inputs pass through unread.
"""

import math

import pytest
import torch

from panodepth.checks import DTypeError, NotATensorError, ShapeError, ValueCheckError
from panodepth.geometry import (
    cube_to_dice,
    cube_to_equirect,
    depth_to_disparity,
    dice_to_cube,
    dict_to_cube,
    disparity_to_depth,
    equirect_to_cube,
    equirect_to_perspective,
    equirect_to_tangent,
    equirect_to_views,
    face_rotations,
    horizon_to_cube,
    list_to_cube,
    perspective_to_equirect,
    planar_to_range,
    points_to_range,
    random_rotation,
    range_to_planar,
    range_to_points,
    rotate_equirect,
    tangent_to_equirect,
    view_rays,
    views_to_equirect,
)

EYE = torch.eye(3)


def _img(*shape: int) -> torch.Tensor:
    return torch.rand(*shape) if shape else torch.rand(1, 3, 8, 16)


# every function that takes an equirect image, as f(img)
EQUIRECT_FNS = {
    "equirect_to_cube": lambda x: equirect_to_cube(x, 4),
    "rotate_equirect": lambda x: rotate_equirect(x, EYE),
    "equirect_to_perspective": lambda x: equirect_to_perspective(x, 60.0, 4),
    "equirect_to_tangent": lambda x: equirect_to_tangent(x, 0, 4),
    "equirect_to_views": lambda x: equirect_to_views(x, face_rotations(), 90.0, 4),
}


@pytest.mark.parametrize("fn", EQUIRECT_FNS.values(), ids=EQUIRECT_FNS.keys())
class TestEquirectImage:
    def test_not_two_to_one(self, fn):
        with pytest.raises(ShapeError, match=r"img must be an equirectangular image .*64×100"):
            fn(torch.rand(1, 3, 64, 100))

    @pytest.mark.parametrize("shape", [(3, 8, 16), (8, 16), (1, 1, 3, 8, 16)])
    def test_wrong_rank(self, fn, shape):
        with pytest.raises(ShapeError, match=r"img must have 4 dimensions, got shape"):
            fn(torch.rand(*shape))

    def test_not_a_tensor(self, fn):
        with pytest.raises(NotATensorError, match=r"img must be a torch.Tensor, got ndarray"):
            fn(torch.rand(1, 3, 8, 16).numpy())

    def test_integer_tensor(self, fn):
        with pytest.raises(DTypeError, match=r"img must be a floating-point tensor.*int64"):
            fn(torch.ones(1, 3, 8, 16, dtype=torch.int64))

    def test_empty(self, fn):
        with pytest.raises(ValueError, match=r"img is empty"):
            fn(torch.rand(0, 3, 8, 16))

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
    def test_nan_or_inf(self, fn, bad, debug_checks):
        img = _img()
        img[0, 1, 3, 5] = bad
        with pytest.raises(ValueCheckError, match=r"img contains NaN or Inf"):
            fn(img)

    def test_nan_is_not_read_without_debug_checks(self, fn):
        img = _img()
        img[:, 1] = math.nan
        assert fn(img).isnan().any()  # a hot path: the values go through unread

    def test_large_finite_values_are_accepted(self, fn, debug_checks):
        img = _img()
        img[0, 0, 0, :2] = 3e38  # finite (float32 max ≈ 3.4e38), but their sum is not
        fn(img)  # must not be mistaken for Inf


class TestFaceSize:
    @pytest.mark.parametrize("size", [0, -4, 2.5, 8.0, "8", None, True])
    def test_equirect_to_cube(self, size):
        with pytest.raises(ValueError, match=r"face_size must be a positive integer, got"):
            equirect_to_cube(_img(), size)

    @pytest.mark.parametrize("size", [0, -1, 3.0])
    def test_equirect_to_tangent(self, size):
        with pytest.raises(ValueError, match=r"face_size must be a positive integer"):
            equirect_to_tangent(_img(), 0, size)

    @pytest.mark.parametrize(
        ("size", "pattern"),
        [
            (0, r"size must be a positive integer"),
            ((4,), r"size must be an int or an \(height, width\) pair"),
            ((4, 0), r"size\[1\] must be a positive integer"),
            ((4.5, 4), r"size\[0\] must be a positive integer"),
        ],
    )
    def test_perspective_size(self, size, pattern):
        with pytest.raises(ValueError, match=pattern):
            equirect_to_perspective(_img(), 60.0, size)
        with pytest.raises(ValueError, match=pattern):
            view_rays(size, 60.0)


ROTATION_FNS = {
    "equirect_to_cube": lambda x, r: equirect_to_cube(x, 4, rotation=r),
    "cube_to_equirect": lambda x, r: cube_to_equirect(
        torch.rand(x.shape[0], 6, 1, 4, 4), 8, 16, rotation=r
    ),
    "rotate_equirect": rotate_equirect,
    "equirect_to_perspective": lambda x, r: equirect_to_perspective(x, 60.0, 4, rotation=r),
    "perspective_to_equirect": lambda x, r: perspective_to_equirect(
        torch.rand(x.shape[0], 1, 4, 4), 60.0, 8, 16, rotation=r
    ),
}


@pytest.mark.parametrize("fn", ROTATION_FNS.values(), ids=ROTATION_FNS.keys())
class TestRotation:
    @pytest.mark.parametrize("shape", [(4, 4), (3,), (2, 3, 4), (1, 1, 3, 3)])
    def test_wrong_shape(self, fn, shape):
        with pytest.raises(ValueError, match=r"rotation must have shape \(3, 3\) or \(B, 3, 3\)"):
            fn(_img(), torch.rand(*shape))

    def test_batch_mismatch(self, fn):
        with pytest.raises(ValueError, match=r"rotation has 2 matrices but the batch has 3"):
            fn(_img(3, 3, 8, 16), EYE.expand(2, 3, 3))

    def test_not_a_tensor(self, fn):
        with pytest.raises(TypeError, match=r"rotation must be a torch.Tensor"):
            fn(_img(), EYE.tolist())

    @pytest.mark.parametrize("rot", [torch.full((3, 3), math.nan), torch.eye(3) * math.inf])
    def test_not_finite(self, fn, rot, debug_checks):
        with pytest.raises(ValueCheckError, match=r"rotation must be a finite floating-point"):
            fn(_img(), rot)

    def test_not_float(self, fn):
        with pytest.raises(DTypeError, match=r"rotation must be a finite floating-point tensor"):
            fn(_img(), torch.eye(3).long())


MODE_FNS = {
    "equirect_to_cube": lambda m: equirect_to_cube(_img(), 4, mode=m),
    "cube_to_equirect": lambda m: cube_to_equirect(torch.rand(1, 6, 1, 4, 4), 8, 16, mode=m),
    "rotate_equirect": lambda m: rotate_equirect(_img(), EYE, mode=m),
    "equirect_to_perspective": lambda m: equirect_to_perspective(_img(), 60.0, 4, mode=m),
    "perspective_to_equirect": lambda m: perspective_to_equirect(
        torch.rand(1, 1, 4, 4), 60.0, 8, 16, mode=m
    ),
    "equirect_to_tangent": lambda m: equirect_to_tangent(_img(), 0, 4, mode=m),
    "tangent_to_equirect": lambda m: tangent_to_equirect(torch.rand(1, 20, 1, 4, 4), 8, 16, mode=m),
}


@pytest.mark.parametrize("fn", MODE_FNS.values(), ids=MODE_FNS.keys())
@pytest.mark.parametrize("mode", ["bicubic", "linear", "BILINEAR", ""])
def test_invalid_mode(fn, mode):
    with pytest.raises(ValueError, match=r"mode must be one of \('bilinear', 'nearest'\)"):
        fn(mode)


FOV_FNS = {
    "equirect_to_perspective": lambda f: equirect_to_perspective(_img(), f, 4),
    "perspective_to_equirect": lambda f: perspective_to_equirect(torch.rand(1, 1, 4, 4), f, 8, 16),
    "equirect_to_tangent": lambda f: equirect_to_tangent(_img(), 0, 4, fov_deg=f),
    "view_rays": lambda f: view_rays(4, f),
    "range_to_planar": lambda f: range_to_planar(torch.ones(4, 4), f),
}


@pytest.mark.parametrize("fn", FOV_FNS.values(), ids=FOV_FNS.keys())
@pytest.mark.parametrize("fov", [0.0, 180.0, -30.0, 270.0, math.nan])
def test_fov_out_of_range(fn, fov):
    with pytest.raises(ValueError, match=r"fov_deg must be in \(0, 180\) degrees"):
        fn(fov)


class TestCubeToEquirect:
    @pytest.mark.parametrize("shape", [(1, 5, 3, 4, 4), (1, 6, 3, 4, 5), (1, 7, 1, 4, 4)])
    def test_wrong_face_shape(self, shape):
        with pytest.raises(ValueError, match=r"faces must have shape \(B, 6, C, S, S\)"):
            cube_to_equirect(torch.rand(*shape), 8, 16)

    def test_wrong_rank(self):
        with pytest.raises(ValueError, match=r"faces must have 5 dimensions"):
            cube_to_equirect(torch.rand(6, 3, 4, 4), 8, 16)

    def test_nan(self, debug_checks):
        faces = torch.rand(1, 6, 1, 4, 4)
        faces[0, 3, 0, 1, 1] = math.nan
        with pytest.raises(ValueCheckError, match=r"faces contains NaN or Inf"):
            cube_to_equirect(faces, 8, 16)

    @pytest.mark.parametrize(
        ("hw", "pattern"),
        [
            ((8, 10), r"equirect output must be 2:1, got height=8, width=10"),
            ((0, 0), r"height must be a positive integer"),
            ((8, 16.0), r"width must be a positive integer"),
        ],
    )
    def test_output_size(self, hw, pattern):
        with pytest.raises(ValueError, match=pattern):
            cube_to_equirect(torch.rand(1, 6, 1, 4, 4), *hw)

    def test_face_count_must_match_rotations(self):
        with pytest.raises(ValueError, match=r"views has 6 views but rotations describes 5"):
            views_to_equirect(torch.rand(1, 6, 1, 4, 4), EYE.expand(5, 3, 3), 90.0, 8, 16)


class TestLayouts:
    @pytest.mark.parametrize("shape", [(1, 3, 10, 13), (1, 3, 9, 16), (1, 3, 12, 15), (1, 3, 4, 3)])
    def test_odd_dice(self, shape):
        with pytest.raises(ValueError, match=r"dice must have shape \(B, C, 3·S, 4·S\)"):
            dice_to_cube(torch.rand(*shape))

    def test_dice_wrong_rank(self):
        with pytest.raises(ValueError, match=r"dice must have 4 dimensions"):
            dice_to_cube(torch.rand(3, 12, 16))

    def test_horizon(self):
        with pytest.raises(ValueError, match=r"horizon must have shape \(B, C, S, 6·S\)"):
            horizon_to_cube(torch.rand(1, 3, 4, 20))

    def test_cube_to_dice(self):
        with pytest.raises(ValueError, match=r"faces must have shape \(B, 6, C, S, S\)"):
            cube_to_dice(torch.rand(1, 4, 3, 4, 4))

    def test_list(self):
        with pytest.raises(ValueError, match=r"a cube needs 6 faces, got 5"):
            list_to_cube([torch.rand(1, 3, 4, 4)] * 5)
        with pytest.raises(ValueError, match=r"all faces must have the same shape"):
            list_to_cube([torch.rand(1, 3, 4, 4)] * 5 + [torch.rand(1, 3, 5, 5)])

    def test_dict(self):
        faces = {k: torch.rand(1, 3, 4, 4) for k in "FRBLU"}
        with pytest.raises(ValueError, match=r"cube dict is missing faces \['D'\]"):
            dict_to_cube(faces)


class TestTangent:
    @pytest.mark.parametrize("level", [-1, 5, 1.0, True])
    def test_level(self, level):
        with pytest.raises(ValueError, match=r"level must be an integer in \[0, 4\]"):
            equirect_to_tangent(_img(), level, 4)

    def test_wrong_count(self):
        with pytest.raises(ValueError, match=r"level 0 has 20 tangent images, got 6"):
            tangent_to_equirect(torch.rand(1, 6, 1, 4, 4), 8, 16)
        with pytest.raises(ValueError, match=r"level 1 has 80 tangent images, got 20"):
            tangent_to_equirect(torch.rand(1, 20, 1, 4, 4), 8, 16, level=1)

    def test_wrong_rank_names_the_argument(self):
        with pytest.raises(ValueError, match=r"tangents must have 5 dimensions"):
            tangent_to_equirect(torch.rand(20, 1, 4, 4), 8, 16)


class TestDepth:
    def test_range_map_shape(self):
        with pytest.raises(ValueError, match=r"range_map must have shape \(B, 1, H, 2·H\)"):
            range_to_points(torch.rand(1, 2, 8, 16))
        with pytest.raises(ValueError, match=r"range_map must have shape \(B, 1, H, 2·H\)"):
            range_to_points(torch.rand(1, 1, 8, 10))

    @pytest.mark.parametrize("fn", [range_to_points, range_to_planar, planar_to_range])
    def test_negative(self, fn, debug_checks):
        depth = torch.rand(1, 1, 8, 16)
        depth[0, 0, 2, 2] = -1.0
        with pytest.raises(ValueCheckError, match=r"has negative values"):
            fn(depth)

    @pytest.mark.parametrize("fn", [range_to_points, range_to_planar, depth_to_disparity])
    def test_nan(self, fn, debug_checks):
        depth = torch.rand(1, 1, 8, 16)
        depth[0, 0, 2, 2] = math.nan
        with pytest.raises(ValueCheckError, match=r"contains NaN or Inf"):
            fn(depth)

    @pytest.mark.parametrize("fn", [range_to_points, range_to_planar, planar_to_range])
    def test_negative_is_not_read_without_debug_checks(self, fn):
        depth = torch.rand(1, 1, 8, 16)
        depth[0, 0, 2, 2] = -1.0
        assert (fn(depth) < 0).any()

    def test_points_shape(self):
        with pytest.raises(ValueError, match=r"points must have shape \(B, H, W, 3\)"):
            points_to_range(torch.rand(1, 4, 8, 2))

    @pytest.mark.parametrize("fn", [depth_to_disparity, disparity_to_depth])
    def test_valid_mask_mismatch(self, fn):
        with pytest.raises(ValueError, match=r"valid mask \(2, 4\) does not match \(2, 3\)"):
            fn(torch.ones(2, 3), torch.ones(2, 4, dtype=torch.bool))


class TestRandomRotation:
    @pytest.mark.parametrize("batch", [0, -1, 2.0, True])
    def test_batch(self, batch):
        with pytest.raises(ValueError, match=r"batch must be a positive integer"):
            random_rotation(batch)

    @pytest.mark.parametrize("max_deg", [-1.0, 181.0])
    def test_max_deg(self, max_deg):
        with pytest.raises(ValueError, match=r"max_deg must be in \[0, 180\]"):
            random_rotation(2, max_deg)
