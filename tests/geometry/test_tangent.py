"""Tests of panodepth.geometry.tangent: icosahedron tangent images."""

import itertools
import math

import pytest
import torch

from panodepth.geometry import (
    equirect_to_tangent,
    icosahedron,
    tangent_fov,
    tangent_rotations,
    tangent_to_equirect,
    view_rays,
)

from .geometry_testlib import angle, decode_dirs, direction_pano, pano_rays


def _face_centres(level: int) -> torch.Tensor:
    verts, faces = icosahedron(level)
    return torch.nn.functional.normalize(verts[faces].mean(1), dim=-1)


class TestIcosahedron:
    @pytest.mark.parametrize(
        ("level", "n_verts", "n_faces"), [(0, 12, 20), (1, 42, 80), (2, 162, 320)]
    )
    def test_counts(self, level, n_verts, n_faces):
        verts, faces = icosahedron(level)
        assert verts.shape == (n_verts, 3) and verts.dtype == torch.float64
        assert faces.shape == (n_faces, 3) and faces.dtype == torch.int64
        edges = {
            tuple(sorted(pair)) for a, b, c in faces.tolist() for pair in ((a, b), (b, c), (c, a))
        }
        assert n_verts - len(edges) + n_faces == 2  # Euler characteristic of a sphere
        assert faces.unique().numel() == n_verts  # every vertex is used

    def test_unit_vertices(self):
        verts, _ = icosahedron(1)
        torch.testing.assert_close(verts.norm(dim=-1), torch.ones(42, dtype=torch.float64))

    def test_faces_point_outwards(self):
        verts, faces = icosahedron(1)
        a, b, c = verts[faces].unbind(1)
        normal = torch.linalg.cross(b - a, c - a)
        signs = (normal * (a + b + c)).sum(-1).sign()
        assert (signs == signs[0]).all()  # consistently oriented

    def test_result_does_not_alias_a_cache(self):
        verts, faces = icosahedron(0)
        saved = verts.clone(), faces.clone()
        try:
            verts.mul_(2.0)  # a caller scaling "its" vertices ...
            faces.zero_()
            again, again_faces = icosahedron(0)
            # ... must not change what the next caller (e.g. tangent_rotations) gets
            torch.testing.assert_close(again.norm(dim=-1), torch.ones(12, dtype=torch.float64))
            assert torch.equal(again_faces, saved[1])
        finally:
            verts.copy_(saved[0])  # repair the cache for the other tests if it was aliased
            faces.copy_(saved[1])


class TestTangentRotations:
    @pytest.mark.parametrize(("level", "n"), [(0, 20), (1, 80)])
    def test_proper_rotations(self, level, n):
        rot = tangent_rotations(level)
        assert rot.shape == (n, 3, 3) and rot.dtype == torch.float64
        eye = torch.eye(3, dtype=torch.float64).expand(n, 3, 3)
        torch.testing.assert_close(rot @ rot.transpose(1, 2), eye)
        torch.testing.assert_close(torch.linalg.det(rot), torch.ones(n, dtype=torch.float64))

    @pytest.mark.parametrize("level", [0, 1])
    def test_forward_axes_are_face_centres(self, level):
        torch.testing.assert_close(tangent_rotations(level)[:, :, 2], _face_centres(level))

    @pytest.mark.parametrize("level", [0, 1])
    def test_convention_upright(self, level):
        rot = tangent_rotations(level)
        right, down = rot[:, :, 0], rot[:, :, 1]
        torch.testing.assert_close(right[:, 1], torch.zeros(len(rot), dtype=torch.float64))
        assert (down[:, 1] > 0).all()  # the view's down points to the world's down (+y)


class TestTangentFov:
    @pytest.mark.parametrize("level", [0, 1, 2])
    def test_covers_every_face_triangle(self, level):
        verts, faces = icosahedron(level)
        rot = tangent_rotations(level)
        fov = tangent_fov(level)
        local = torch.einsum("nji,nkj->nki", rot, verts[faces])  # vertices in each view's frame
        xy = local[..., :2] / local[..., 2:]
        assert (local[..., 2] > 0).all()
        limit = math.tan(math.radians(fov) / 2)
        assert xy.abs().max() <= limit  # every vertex (so every triangle) lies in its view

    def test_decreases_with_level(self):
        fovs = [tangent_fov(level) for level in range(4)]
        assert all(a > b for a, b in itertools.pairwise(fovs))
        assert fovs[-1] > 0 and fovs[0] <= 179.0

    def test_margin(self):
        assert tangent_fov(0, margin=0.1) == pytest.approx(tangent_fov(0, margin=0.0) * 1.1)


class TestEquirectToTangent:
    @pytest.mark.parametrize(("level", "n"), [(0, 20), (1, 80)])
    def test_shape(self, level, n):
        out = equirect_to_tangent(torch.rand(2, 3, 16, 32), level, face_size=8)
        assert out.shape == (2, n, 3, 8, 8)

    def test_convention_views_look_at_face_centres(self):
        size = 9  # odd: a centre pixel
        out = equirect_to_tangent(direction_pano(32), 0, face_size=size)[0]
        centre = decode_dirs(out[:, :, size // 2, size // 2], dim=1)
        assert angle(centre, _face_centres(0)).max() < 2e-3

    def test_convention_direction_pano(self):
        size, level = 8, 0
        out = equirect_to_tangent(direction_pano(32), level, face_size=size)[0]
        got = decode_dirs(out, dim=1).permute(0, 2, 3, 1)
        rays = view_rays(size, tangent_fov(level), dtype=torch.float64)
        rays = torch.nn.functional.normalize(rays, dim=-1)
        expected = torch.einsum("nij,hwj->nhwi", tangent_rotations(level), rays)
        assert angle(got, expected).max() < 3e-3

    def test_custom_fov(self):
        img = torch.rand(1, 1, 16, 32)
        narrow = equirect_to_tangent(img, 0, face_size=8, fov_deg=30.0)
        wide = equirect_to_tangent(img, 0, face_size=8)
        assert narrow.shape == wide.shape
        assert not torch.allclose(narrow, wide)

    def test_gradcheck(self):
        img = torch.rand(1, 1, 4, 8, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: equirect_to_tangent(x, 0, face_size=2), (img,))

    @pytest.mark.parametrize(
        ("dtype", "tol"), [(torch.float16, 2e-3), (torch.bfloat16, 1e-2), (torch.float64, 1e-5)]
    )
    def test_dtypes(self, dtype, tol):
        img = torch.rand(1, 3, 16, 32)
        ref = equirect_to_tangent(img, 0, face_size=8)
        out = equirect_to_tangent(img.to(dtype), 0, face_size=8)
        assert out.dtype == dtype
        torch.testing.assert_close(out.float(), ref, atol=tol, rtol=0)


class TestTangentToEquirect:
    @pytest.mark.parametrize("level", [0, 1])
    def test_round_trip(self, level, device):
        img = direction_pano(32)
        tangents = equirect_to_tangent(img.to(device), level, face_size=16)
        back = tangent_to_equirect(tangents, 32, 64, level).cpu()
        assert back.shape == img.shape
        assert (back - img).abs().mean() < 1e-3
        assert (back - img).abs().max() < 5e-3

    @pytest.mark.parametrize("level", [0, 1])
    def test_covers_every_pixel(self, level):
        n = 20 * 4**level
        out = tangent_to_equirect(torch.full((1, n, 1, 8, 8), 2.0), 32, 64, level)
        torch.testing.assert_close(out, torch.full((1, 1, 32, 64), 2.0))

    def test_nearest_face_centre_wins(self):
        level, height = 0, 32
        n = 20
        tangents = torch.arange(float(n)).view(1, n, 1, 1, 1).expand(1, n, 1, 8, 8)
        out = tangent_to_equirect(tangents, height, 2 * height, level, mode="nearest")[0, 0]
        dots = pano_rays(height) @ _face_centres(level).T
        top2 = dots.topk(2, dim=-1).values
        clear = (top2[..., 0] - top2[..., 1]) > 0.05  # away from the triangles' edges
        assert clear.float().mean() > 0.5
        assert torch.equal(out[clear], dots.argmax(-1)[clear].float())

    def test_gradcheck(self):
        tangents = torch.rand(1, 20, 1, 2, 2, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda t: tangent_to_equirect(t, 4, 8, 0), (tangents,))

    @pytest.mark.parametrize(
        ("dtype", "tol"), [(torch.float16, 2e-3), (torch.bfloat16, 1e-2), (torch.float64, 1e-4)]
    )
    def test_dtypes(self, dtype, tol):
        # float64 vs float32: the float32 reference rounds its strip coordinates (~1e-5)
        tangents = torch.rand(1, 20, 2, 8, 8)
        ref = tangent_to_equirect(tangents, 16, 32)
        out = tangent_to_equirect(tangents.to(dtype), 16, 32)
        assert out.dtype == dtype
        torch.testing.assert_close(out.float(), ref, atol=tol, rtol=0)
