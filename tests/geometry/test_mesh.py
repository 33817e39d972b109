"""Meshes of equirect range maps (panodepth.geometry.mesh): closed seam and poles, cut
discontinuities, exact vertices."""

from __future__ import annotations

import math

import pytest
import torch
import trimesh

from panodepth.geometry.mesh import DEFAULT_EDGE_K, equirect_mesh
from panodepth.geometry.sphere import equirect_rays


def as_trimesh(mesh):
    out = trimesh.Trimesh(mesh.vertices.numpy(), mesh.faces.numpy(), process=False)
    out.remove_unreferenced_vertices()
    return out


def box_room(height: int, half=(2.0, 1.5, 3.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """Analytic range of an axis-aligned box room around the camera, and the wall each
    pixel sees (axis 0–2, +3 for the negative side)."""
    rays = equirect_rays(height, 2 * height, dtype=torch.float64)
    extent = torch.tensor(half, dtype=torch.float64)
    rng, axis = (extent / rays.abs().clamp_min(1e-12)).min(dim=-1)
    side = torch.gather(rays, -1, axis[..., None])[..., 0] < 0
    return rng, axis + 3 * side


@pytest.mark.parametrize("stride", [1, 2])
def test_a_sphere_of_constant_range_is_watertight_with_the_expected_counts(stride):
    h = 16
    mesh = equirect_mesh(torch.full((h, 2 * h), 2.5), stride=stride)
    hs, ws = h // stride, 2 * h // stride
    assert mesh.vertices.shape == (hs * ws + 2, 3)
    assert mesh.faces.shape == (2 * (hs - 1) * ws + 2 * ws, 3)  # quads + two pole fans
    tm = as_trimesh(mesh)
    assert tm.is_watertight and tm.is_winding_consistent  # seam and poles closed
    norms = torch.linalg.vector_norm(mesh.vertices, dim=1)
    assert torch.allclose(norms, torch.full_like(norms, 2.5), atol=1e-5)
    assert (mesh.pixels[-2:] == -1).all() and mesh.vertices[-2, 1] < 0 < mesh.vertices[-1, 1]


def test_box_room_walls_are_planar_and_every_triangle_is_kept():
    h = 32
    rng, wall = box_room(h)
    mesh = equirect_mesh(rng.float())
    tm = as_trimesh(mesh)
    assert tm.is_watertight  # a continuous room: nothing cut, nothing open
    assert mesh.faces.shape[0] == 2 * (h - 1) * 2 * h + 4 * h
    grid = mesh.pixels >= 0
    v, seen = mesh.vertices[grid].double(), wall.reshape(-1)[mesh.pixels[grid]]
    for axis, half in enumerate((2.0, 1.5, 3.0)):
        for sign, offset in ((1, 0), (-1, 3)):
            on = seen == axis + offset
            assert on.sum() > 10
            residual_mm = 1000 * (v[on, axis] * sign - half).abs().max()
            assert residual_mm < 0.01  # vertices on the true wall planes (float32)


def test_no_triangle_spans_a_depth_jump_and_the_rule_scales_with_the_grid():
    h = 32
    rng = torch.full((h, 2 * h), 4.0)
    rng[10:20, 20:30] = 2.0  # an object in front of the wall: a 2× jump at its outline
    mesh = equirect_mesh(rng)
    r = torch.linalg.vector_norm(mesh.vertices, dim=1)[mesh.faces]
    assert (r.max(dim=1).values / r.min(dim=1).values <= 1 + DEFAULT_EDGE_K * math.pi / h).all()
    near = (r - 2.0).abs() < 1e-4
    assert not (near.any(dim=1) & ~near.all(dim=1)).any()  # no face joins object and wall
    assert near.all(dim=1).sum() > 0 and (~near).all(dim=1).sum() > 0  # both are meshed
    kept_all = equirect_mesh(rng, edge_k=None)
    assert kept_all.faces.shape[0] > mesh.faces.shape[0]  # None keeps the flying triangles


def test_invalid_pixels_are_dropped_and_bad_input_is_refused():
    h = 8
    rng = torch.full((h, 2 * h), 3.0)
    rng[3, 5] = 0.0
    rng[4, 6] = float("nan")
    valid = torch.ones(h, 2 * h, dtype=torch.bool)
    valid[0] = False  # the whole top row: no top pole
    mesh = equirect_mesh(rng, valid=valid)
    used = torch.unique(mesh.faces)
    for bad in (3 * 2 * h + 5, 4 * 2 * h + 6, h * 2 * h):  # two pixels and the top pole
        assert bad not in used
    assert not any(p in used for p in range(2 * h))  # the masked top row
    with pytest.raises(ValueError, match=r"\(H, 2·H\)"):
        equirect_mesh(torch.ones(4, 4))
    with pytest.raises(ValueError, match="stride"):
        equirect_mesh(torch.ones(4, 8), stride=3)


def test_rendered_room_with_a_box_walls_planar_and_the_box_cut_from_the_wall():
    """The synthetic renderer's ground truth: a 4×3×4 m room with a solid box in it. Each
    room surface's vertices fit a plane to < 1 mm; no face joins the box and a surface
    behind it (the box's outline is a depth jump)."""
    from panodepth.data.synthetic.render import render_equirect
    from panodepth.data.synthetic.scene import Box, Room, Scene, cast
    from panodepth.data.synthetic.textures import TextureParams

    plain = TextureParams("plaster", (0.7, 0.7, 0.7), (0.5, 0.5, 0.5), 1.0, 0.0, 0.2, 0)
    room = Room(boxes=(((0.0, -3.0, 0.0), (4.0, 0.0, 4.0)),), floor=0, ceiling=0, walls=0)
    scene = Scene(camera=(2.0, -1.5, 2.0), textures=[plain], room=room,
                  boxes=[Box((2.6, -1.2, 2.8), (3.4, 0.0, 3.4), 0)])  # fmt: skip
    h = 64
    depth = render_equirect(scene, h).depth[0]
    hits = cast(scene, equirect_rays(h, 2 * h).reshape(-1, 3))
    # one plane per (primitive, normal axis, position along that axis): axis-aligned scene
    axis = hits.normal.abs().argmax(dim=1)
    points = equirect_rays(h, 2 * h).reshape(-1, 3) * hits.t[:, None]
    level = torch.gather(points, 1, axis[:, None])[:, 0].mul(10).round().long()
    surface = (hits.surface * 3 + axis) * 1000 + level
    mesh = equirect_mesh(depth)
    grid = mesh.pixels >= 0
    ids = torch.full((mesh.vertices.shape[0],), -2, dtype=torch.long)
    ids[grid] = surface[mesh.pixels[grid]]
    residuals = []
    for sid in torch.unique(ids[grid]):
        pts = mesh.vertices[ids == sid].double()
        if len(pts) < 20:
            continue
        centred = pts - pts.mean(0)
        normal = torch.linalg.svd(centred, full_matrices=False).Vh[-1]
        residuals.append(float((centred @ normal).abs().max()) * 1000)
    assert len(residuals) >= 6 and max(residuals) < 1.0  # mm: planar walls, floor, ceiling
    r = torch.linalg.vector_norm(mesh.vertices, dim=1)[mesh.faces]
    jump = r.max(dim=1).values / r.min(dim=1).values > 1.5
    assert not jump.any()  # no face spans a depth jump …
    kept_all = equirect_mesh(depth, edge_k=None)
    ra = torch.linalg.vector_norm(kept_all.vertices, dim=1)[kept_all.faces]
    assert (ra.max(dim=1).values / ra.min(dim=1).values > 1.5).any()  # … that the grid has
