"""Exact geometry of the synthetic ray caster and renderer (panodepth.data.synthetic)."""

from __future__ import annotations

import math

import pytest
import torch

from panodepth.data.synthetic import (
    Box,
    Cylinder,
    Light,
    Room,
    Scene,
    Sphere,
    TextureParams,
    cast,
    render_equirect,
    render_perspective,
)
from panodepth.geometry import equirect_rays, equirect_to_cube, range_to_planar, rotation_matrix

PLAIN = TextureParams("plaster", (0.7, 0.7, 0.7), (0.5, 0.5, 0.5), 1.0, 0.0, 0.2, 0)


def box_room(camera=(2.0, -1.5, 2.0), **kwargs) -> Scene:
    """An empty 4×4×3 m room: x, z ∈ [0, 4], floor y = 0, ceiling y = −3 (y points down)."""
    room = Room(boxes=(((0.0, -3.0, 0.0), (4.0, 0.0, 4.0)),), floor=0, ceiling=0, walls=0)
    return Scene(camera=camera, textures=[PLAIN], room=room, **kwargs)


def unit(*v):
    t = torch.tensor([v], dtype=torch.float32)
    return t / t.norm()


def analytic_box_range(origin, lo, hi, dirs):
    o = torch.tensor(origin)
    far = torch.where(dirs > 0, torch.tensor(hi) - o, torch.tensor(lo) - o)
    with torch.no_grad():
        t = far / torch.where(dirs.abs() < 1e-12, torch.full_like(dirs, 1e-12), dirs)
    return t.clamp_min(0).where(t > 0, torch.full_like(t, float("inf"))).min(-1).values


class TestBoxRoom:
    @pytest.mark.parametrize(
        ("direction", "expected"),
        [
            ((0, 0, 1), 2.0),  # straight ahead, horizon: the wall z = 4
            ((1, 0, 0), 2.0),  # right
            ((0, -1, 0), 1.5),  # straight up: ceiling 1.5 m above the camera
            ((0, 1, 0), 1.5),  # straight down: the floor
            ((1, 0, 1), 2 * math.sqrt(2)),  # into the corner at the horizon
        ],
    )
    def test_convention_ranges_from_the_centre(self, direction, expected):
        hits = cast(box_room(), unit(*direction))
        assert hits.t.item() == pytest.approx(expected, abs=1e-5)

    def test_whole_panorama_matches_the_analytic_range(self):
        r = render_equirect(box_room(camera=(1.3, -1.1, 2.7)), 32)
        dirs = equirect_rays(32, 64).reshape(-1, 3)
        expected = analytic_box_range((1.3, -1.1, 2.7), (0, -3, 0), (4, 0, 4), dirs)
        assert torch.allclose(r.depth.reshape(-1), expected, atol=1e-4)
        assert bool(r.valid.all())

    def test_surfaces_floor_ceiling_walls_and_normals_face_the_camera(self):
        room = Room(boxes=(((0.0, -3.0, 0.0), (4.0, 0.0, 4.0)),), floor=0, ceiling=1, walls=2)
        scene = Scene(camera=(2.0, -1.5, 2.0), textures=[PLAIN] * 3, room=room)
        hits = cast(scene, torch.cat([unit(0, 1, 0), unit(0, -1, 0), unit(0, 0, 1)]))
        assert hits.surface.tolist() == [0, 1, 2]
        assert torch.allclose(hits.normal, torch.tensor([[0, -1.0, 0], [0, 1.0, 0], [0, 0, -1.0]]))

    def test_l_shaped_room_sees_into_the_wing(self):
        # main box x,z ∈ [0, 4]; wing x ∈ [2, 8], z ∈ [1, 3]: looking +x from (3, ·, 2) the
        # wall is at x = 8, looking +x from (1, ·, 0.5) (outside the wing's z range) at x = 4
        boxes = (((0.0, -3.0, 0.0), (4.0, 0.0, 4.0)), ((2.0, -3.0, 1.0), (8.0, 0.0, 3.0)))
        room = Room(boxes=boxes, floor=0, ceiling=0, walls=0)
        into_wing = Scene(camera=(3.0, -1.5, 2.0), textures=[PLAIN], room=room)
        assert cast(into_wing, unit(1, 0, 0)).t.item() == pytest.approx(5.0, abs=1e-5)
        beside = Scene(camera=(1.0, -1.5, 0.5), textures=[PLAIN], room=room)
        assert cast(beside, unit(1, 0, 0)).t.item() == pytest.approx(3.0, abs=1e-5)
        # from inside the wing, looking back −x, the far wall of the main box is at x = 0
        in_wing = Scene(camera=(6.0, -1.5, 2.0), textures=[PLAIN], room=room)
        assert cast(in_wing, unit(-1, 0, 0)).t.item() == pytest.approx(6.0, abs=1e-5)

    def test_camera_outside_the_room_is_an_error(self):
        with pytest.raises(ValueError, match="outside the room"):
            cast(box_room(camera=(5.0, -1.5, 2.0)), unit(0, 0, 1))


class TestPrimitives:
    def test_solid_box_in_front(self):
        scene = box_room()
        scene.textures.append(PLAIN)
        scene.boxes.append(Box((1.5, -1.0, 3.0), (2.5, 0.0, 3.5), 1))
        hits = cast(scene, torch.cat([unit(0, 0.5, 1), unit(0, -1, 1)]))
        # a ray 26.6° down hits the box's near face z = 3 (height y = −1.0 at z = 3: inside)
        assert hits.t[0].item() == pytest.approx(math.hypot(1.0, 0.5), abs=1e-5)
        assert hits.surface.tolist() == [1, 0]  # the upward ray passes above the box

    def test_cylinder_side_and_cap(self):
        scene = box_room()
        scene.cylinders.append(Cylinder(2.0, 3.0, 0.5, -1.0, 0.0, 0))
        # steep enough to reach the side (z = 2.5) below the top (y = −1): y there is −0.9
        side = cast(scene, unit(0, 1.2, 1)).t.item()
        assert side == pytest.approx(0.5 * math.hypot(1.2, 1.0), abs=1e-5)
        assert cast(scene, unit(0, 0.01, 1)).surface.item() == 0  # passes over it to the wall
        cap = cast(scene, unit(0, 1, 2))  # hits the top cap y = −1 at z = 3
        assert cap.t.item() == pytest.approx(math.hypot(0.5, 1.0), abs=1e-5)
        assert cap.normal[0].tolist() == pytest.approx([0.0, -1.0, 0.0])

    def test_sphere(self):
        scene = box_room()
        scene.spheres.append(Sphere((2.0, -1.5, 3.5), 0.5, 0))
        hits = cast(scene, unit(0, 0, 1))
        assert hits.t.item() == pytest.approx(1.0, abs=1e-5)
        assert hits.normal[0].tolist() == pytest.approx([0.0, 0.0, -1.0], abs=1e-5)


class TestOutdoor:
    def test_sky_is_invalid_and_ground_exact(self):
        scene = Scene(camera=(0.0, -1.6, 0.0), textures=[PLAIN], ground=0)
        scene.lights.append(Light(colour=(1, 1, 1), direction=(0.3, -1.0, 0.2)))
        hits = cast(scene, torch.cat([unit(0, -1, 0.2), unit(0, 1, 0), unit(0, 1, 1)]))
        assert math.isinf(hits.t[0].item()) and hits.surface[0].item() == -1
        assert hits.t[1].item() == pytest.approx(1.6, abs=1e-6)
        assert hits.t[2].item() == pytest.approx(1.6 * math.sqrt(2), abs=1e-5)
        r = render_equirect(scene, 16)
        assert not bool(r.valid[:, :8].any())  # the upper half looks at the sky
        assert bool((r.depth[~r.valid] == 0).all())
        assert bool(r.valid[:, 8:].all())

    def test_far_ground_beyond_max_range_is_invalid(self):
        scene = Scene(camera=(0.0, -1.6, 0.0), textures=[PLAIN], ground=0, max_range=10.0)
        hits = cast(scene, torch.cat([unit(0, 0.1, 1), unit(0, 1, 1)]))  # 16 m and 2.3 m away
        assert hits.surface.tolist() == [-1, 0]


class TestPerspective:
    def test_front_view_of_box_room_has_constant_planar_depth(self):
        r = render_perspective(box_room(), 60.0, 16)
        assert torch.allclose(r.depth, torch.full_like(r.depth, 2.0), atol=1e-5)

    def test_matches_cube_face_of_the_panorama(self):
        scene = box_room(camera=(1.7, -1.2, 2.2))
        pano = render_equirect(scene, 64)
        face_depth = range_to_planar(equirect_to_cube(pano.depth[None], 32))[0, 0]
        view = render_perspective(scene, 90.0, 32)
        # bilinear resampling of the range map vs the exact render: a few mm
        assert (face_depth - view.depth).abs().mean() < 0.01

    def test_rotation_looks_elsewhere(self):
        yaw90 = torch.tensor([[0.0, 0, 1], [0, 1, 0], [-1, 0, 0]])  # forward → +x
        r = render_perspective(box_room(camera=(3.0, -1.5, 2.0)), 60.0, 8, rotation=yaw90)
        assert torch.allclose(r.depth, torch.full_like(r.depth, 1.0), atol=1e-5)

    def test_a_batch_of_rotations_is_the_views_one_by_one(self):
        scene = box_room(camera=(1.7, -1.2, 2.2))
        yaw, pitch, roll = torch.tensor([[0.0, 1.2, -2.5], [0.0, 0.6, -1.1], [0.0, 0.3, 0.0]])
        rotations = rotation_matrix(yaw, pitch, roll)
        views = render_perspective(scene, 80.0, (12, 20), rotations)
        assert views.rgb.shape == (3, 3, 12, 20)
        assert views.depth.shape == views.valid.shape == (3, 1, 12, 20)
        for k in range(3):
            one = render_perspective(scene, 80.0, (12, 20), rotations[k])
            torch.testing.assert_close(views.rgb[k], one.rgb)
            torch.testing.assert_close(views.depth[k], one.depth)
            assert torch.equal(views.valid[k], one.valid)
        assert not torch.allclose(views.depth[0], views.depth[1])

    def test_rotation_shape_is_checked(self):
        with pytest.raises(ValueError, match="rotation"):
            render_perspective(box_room(), 60.0, 8, rotation=torch.eye(4))


def test_shading_is_brighter_near_a_light():
    scene = box_room()
    scene.lights.append(Light(colour=(1.0, 1.0, 1.0), position=(3.0, -1.5, 2.0)))
    scene.ambient = (0.1, 0.1, 0.1)
    r = render_equirect(scene, 32)
    lum = r.rgb.mean(0)
    # the wall at +x (near the light, longitude +90°) is brighter than the one at −x
    assert lum[12:20, 46:50].mean() > lum[12:20, 14:18].mean() + 0.05
    assert float(r.rgb.min()) >= 0.0 and float(r.rgb.max()) <= 1.0
