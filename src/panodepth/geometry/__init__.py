"""Spherical geometry of panodepth: conventions, rotations and projections.

Everything here is a batched, differentiable torch function that runs on CPU and GPU. The
conventions (camera frame, equirect pixels, cube faces, depth) are written once in
:mod:`~panodepth.geometry.sphere`, :mod:`~panodepth.geometry.rotation`,
:mod:`~panodepth.geometry.cube` and :mod:`~panodepth.geometry.depth`, and pinned by tests.

Inputs are validated with :mod:`panodepth.checks`: shapes, dtypes and arguments on every
call; values (NaN/Inf, negative depth, non-finite rotations) only with the debug switch on,
because reading them is a device synchronisation on every call inside a training step.
"""

from .cube import FACE_NAMES, cube_to_equirect, equirect_to_cube, face_rotations
from .cube_layouts import (
    cube_to_dice,
    cube_to_dict,
    cube_to_horizon,
    cube_to_list,
    dice_to_cube,
    dict_to_cube,
    horizon_to_cube,
    list_to_cube,
)
from .depth import (
    depth_to_disparity,
    disparity_to_depth,
    planar_to_range,
    points_to_range,
    range_to_planar,
    range_to_points,
    safe_reciprocal,
)
from .equirect import rotate_equirect
from .perspective import (
    ViewGrid,
    equirect_to_perspective,
    equirect_to_views,
    perspective_to_equirect,
    sample_views,
    view_rays,
    view_sampling_grid,
    views_to_equirect,
)
from .rotation import random_rotation, rotation_matrix
from .sampling import sample_equirect
from .sphere import (
    directions_to_grid,
    equirect_lonlat,
    equirect_pixel_to_lonlat,
    equirect_rays,
    lonlat_to_equirect_pixel,
    lonlat_to_xyz,
    xyz_to_lonlat,
)
from .tangent import (
    equirect_to_tangent,
    icosahedron,
    tangent_fov,
    tangent_rotations,
    tangent_to_equirect,
)

__all__ = [
    "FACE_NAMES",
    "ViewGrid",
    "cube_to_dice",
    "cube_to_dict",
    "cube_to_equirect",
    "cube_to_horizon",
    "cube_to_list",
    "depth_to_disparity",
    "dice_to_cube",
    "dict_to_cube",
    "directions_to_grid",
    "disparity_to_depth",
    "equirect_lonlat",
    "equirect_pixel_to_lonlat",
    "equirect_rays",
    "equirect_to_cube",
    "equirect_to_perspective",
    "equirect_to_tangent",
    "equirect_to_views",
    "face_rotations",
    "horizon_to_cube",
    "icosahedron",
    "list_to_cube",
    "lonlat_to_equirect_pixel",
    "lonlat_to_xyz",
    "perspective_to_equirect",
    "planar_to_range",
    "points_to_range",
    "random_rotation",
    "range_to_planar",
    "range_to_points",
    "rotate_equirect",
    "rotation_matrix",
    "safe_reciprocal",
    "sample_equirect",
    "sample_views",
    "tangent_fov",
    "tangent_rotations",
    "tangent_to_equirect",
    "view_rays",
    "view_sampling_grid",
    "views_to_equirect",
    "xyz_to_lonlat",
]
