"""The student-to-view mapping and the perfect-teacher test of the whole geometry chain."""

from __future__ import annotations

import pytest
import torch

from panodepth.data.synthetic import render_equirect, render_perspective, sample_scene
from panodepth.distill import FaceProjection, panorama_to_faces, student_to_faces
from panodepth.geometry import (
    depth_to_disparity,
    equirect_to_cube,
    random_rotation,
    rotate_equirect,
)


@pytest.fixture(scope="module")
def scene():
    return sample_scene("home", torch.Generator().manual_seed(11))


@pytest.fixture(scope="module")
def pano(scene):
    return render_equirect(scene, 64)


def exact_view_disparity(scene, rotation, projection, size):
    """Planar disparity of every view, ray cast directly (independent of the mapping)."""
    out = []
    for r in projection.rotations(rotation[None])[0]:
        view = render_perspective(scene, projection.fov, size, rotation=r)
        out.append(depth_to_disparity(view.depth))
    return torch.stack(out)[None]  # (1, N, 1, S, S)


class TestPanoramaToFaces:
    def test_is_the_cube_of_the_rotated_panorama(self):
        smooth = torch.rand(2, 3, 4, 8, generator=torch.Generator().manual_seed(0))
        img = torch.nn.functional.interpolate(smooth, size=(32, 64), mode="bilinear")
        rot = random_rotation(2, generator=torch.Generator().manual_seed(0))
        faces = panorama_to_faces(img, rot, FaceProjection())
        assert faces.shape == (2, 6, 3, 16, 16)
        expected = equirect_to_cube(rotate_equirect(img, rot), 16)
        # one resampling vs two, on a smooth image: nearly equal
        assert (faces - expected).abs().mean() < 0.01

    def test_tangent_projection(self):
        faces = panorama_to_faces(
            torch.rand(1, 3, 32, 64), torch.eye(3)[None], FaceProjection("tangent")
        )
        assert faces.shape == (1, 20, 3, 8, 8)

    def test_bad_kind(self):
        with pytest.raises(ValueError, match="'cube' or 'tangent'"):
            FaceProjection("sphere")


class TestStudentToFaces:
    @pytest.mark.parametrize("kind", ["cube", "tangent"])
    def test_matches_ray_cast_views(self, scene, pano, kind):
        """Exact student disparity → the exact planar disparity of each rotated view."""
        projection = FaceProjection(kind, face_size=24)
        rot = random_rotation(1, generator=torch.Generator().manual_seed(3))
        pred = student_to_faces(depth_to_disparity(pano.depth[None]), rot, projection)
        exact = exact_view_disparity(scene, rot[0], projection, 24)
        assert pred.shape == exact.shape
        rel = ((pred - exact).abs() / exact).median()
        assert rel < 0.01  # bilinear resampling of a 64×128 range map

    def test_differentiable(self, pano):
        disp = depth_to_disparity(pano.depth[None]).requires_grad_()
        out = student_to_faces(disp, random_rotation(1), FaceProjection(face_size=8))
        out.sum().backward()
        assert torch.isfinite(disp.grad).all() and disp.grad.abs().sum() > 0

    def test_rotation_matters(self, pano):
        disp = depth_to_disparity(pano.depth[None])
        a = student_to_faces(disp, torch.eye(3)[None], FaceProjection(face_size=8))
        b = student_to_faces(
            disp,
            random_rotation(1, generator=torch.Generator().manual_seed(1)),
            FaceProjection(face_size=8),
        )
        assert (a - b).abs().mean() > 0.01
