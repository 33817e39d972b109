"""Tests of panodepth.geometry.cube: equirect ⇄ cube map, faces F, R, B, L, U, D.

The faces must match py360convert's order and orientation; the conventions are pinned with a
panorama whose pixels encode their own ray direction, so every face pixel can be checked
against the direction it should look at.
"""

import math

import numpy as np
import py360convert
import pytest
import torch

from panodepth.geometry import (
    FACE_NAMES,
    cube_to_equirect,
    equirect_lonlat,
    equirect_rays,
    equirect_to_cube,
    face_rotations,
    random_rotation,
    rotate_equirect,
    rotation_matrix,
    view_rays,
)

from .geometry_testlib import (
    angle,
    decode_dirs,
    direction_pano,
    encode_dirs,
    face_pixel_dirs,
    textured_pano,
)

PI = math.pi
F_, R_, B_, L_, U_, D_ = range(6)

# The table of the cube module's docstring: columns (right, down, forward) of each face.
FACE_TABLE = {
    "F": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "R": ((0, 0, -1), (0, 1, 0), (1, 0, 0)),
    "B": ((-1, 0, 0), (0, 1, 0), (0, 0, -1)),
    "L": ((0, 0, 1), (0, 1, 0), (-1, 0, 0)),
    "U": ((1, 0, 0), (0, 0, 1), (0, -1, 0)),
    "D": ((1, 0, 0), (0, 0, -1), (0, 1, 0)),
}

# Shared edges (from py360convert's c2e padding): face a, its edge, face b, its edge. An edge
# is "row i" or "col j" (i, j = 0 or −1), with a trailing "~" when its pixels run backwards
# along the shared edge (so that the listed pixels touch each other one by one).
EDGES = [
    ("U", "row -1", "F", "row 0"),  # U's bottom row borders F's top row
    ("U", "row 0", "B", "row 0~"),  # U's top row borders B's top row, reversed
    ("U", "col 0", "L", "row 0"),
    ("U", "col -1", "R", "row 0~"),
    ("D", "row 0", "F", "row -1"),  # D's top row borders F's bottom row
    ("D", "row -1", "B", "row -1~"),
    ("D", "col 0", "L", "row -1~"),
    ("D", "col -1", "R", "row -1"),
    ("F", "col -1", "R", "col 0"),  # R's left column borders F's right column
    ("R", "col -1", "B", "col 0"),
    ("B", "col -1", "L", "col 0"),
    ("L", "col -1", "F", "col 0"),
]


def _edge(faces: torch.Tensor, name: str, edge: str) -> torch.Tensor:
    """Pixels (S, ...) of one edge of a (6, S, S, ...) stack of faces."""
    face = faces[FACE_NAMES.index(name)]
    kind, index = edge.rstrip("~").split()
    pixels = face[int(index)] if kind == "row" else face[:, int(index)]
    return pixels.flip(0) if edge.endswith("~") else pixels


def _py360_faces(img: torch.Tensor, size: int) -> np.ndarray:
    """py360convert's e2c of a (1, C, H, W) tensor as a (6, S, S, C) array."""
    faces = py360convert.e2c(img[0].permute(1, 2, 0).numpy(), size, cube_format="list")
    return np.stack(faces)


def _ours_hwc(img: torch.Tensor, size: int) -> np.ndarray:
    return equirect_to_cube(img, size)[0].permute(0, 2, 3, 1).numpy()


def _resample_py360(faces: np.ndarray) -> np.ndarray:
    """Bilinearly move py360convert's face samples (centres at i/(S−1) of the face, i.e. on
    the face edges) to ours (centres at (i + 0.5)/S)."""
    s = faces.shape[1]
    t = (np.arange(s) + 0.5) / s * (s - 1)
    i0 = np.clip(np.floor(t).astype(int), 0, s - 2)
    w = (t - i0)[None, :, None, None]
    rows = faces[:, i0] * (1 - w) + faces[:, i0 + 1] * w
    w = (t - i0)[None, None, :, None]
    return rows[:, :, i0] * (1 - w) + rows[:, :, i0 + 1] * w


class TestFaceRotations:
    def test_shape_and_names(self):
        assert FACE_NAMES == ("F", "R", "B", "L", "U", "D")
        assert face_rotations().shape == (6, 3, 3)

    def test_proper_rotations(self):
        rot = face_rotations(dtype=torch.float64)
        torch.testing.assert_close(rot @ rot.transpose(1, 2), torch.eye(3).double().expand(6, 3, 3))
        torch.testing.assert_close(torch.linalg.det(rot), torch.ones(6, dtype=torch.float64))

    def test_convention_face_table(self):
        rot = face_rotations(dtype=torch.float64)
        for k, name in enumerate(FACE_NAMES):
            expected = torch.tensor(FACE_TABLE[name], dtype=torch.float64).T  # as columns
            torch.testing.assert_close(rot[k], expected, atol=0, rtol=0)

    def test_convention_forward_longitudes(self):
        forward = face_rotations(dtype=torch.float64)[:, :, 2]
        lon = torch.atan2(forward[:4, 0], forward[:4, 2])
        torch.testing.assert_close(lon.abs(), torch.tensor([0, PI / 2, PI, PI / 2]).double())
        assert lon[1] > 0 and lon[3] < 0  # R looks at lon +90°, L at −90°
        assert forward[4, 1] == -1 and forward[5, 1] == 1  # U up (−y), D down (+y)

    @pytest.mark.parametrize(("a", "edge_a", "b", "edge_b"), EDGES)
    def test_convention_shared_edges(self, a, edge_a, b, edge_b):
        """Geometrically, the listed edge pixels are one face pixel apart."""
        size = 16
        dirs = face_pixel_dirs(size)
        gap = angle(_edge(dirs, a, edge_a), _edge(dirs, b, edge_b))
        # adjacent pixel centres across an edge are 1/S + O(1/S²) rad apart at the middle of
        # the edge (π/2 − 2·atan(1 − 1/S)), less towards its ends; any other pairing of the
        # pixels is much further apart at the ends of the edge
        assert gap.max() < 1.1 / size
        assert gap.min() > 0.5 / size

    def test_returns_a_fresh_tensor(self):
        first = face_rotations()
        first.zero_()
        assert torch.equal(face_rotations().abs().sum((1, 2)), torch.full((6,), 3.0))

    def test_dtype(self):
        assert face_rotations(dtype=torch.float64).dtype == torch.float64


class TestEquirectToCube:
    def test_shape(self):
        faces = equirect_to_cube(torch.rand(2, 3, 16, 32), 8)
        assert faces.shape == (2, 6, 3, 8, 8)

    def test_convention_direction_pano_centres_and_corners(self):
        size = 16
        faces = equirect_to_cube(direction_pano(32), size)[0]  # (6, 3, S, S)
        got = decode_dirs(faces, dim=1).permute(0, 2, 3, 1)  # (6, S, S, 3)
        rays = torch.nn.functional.normalize(view_rays(size, 90.0, dtype=torch.float64), dim=-1)
        expected = torch.einsum("kij,hwj->khwi", face_rotations(dtype=torch.float64), rays)
        tol = 1e-3  # rad; 1/30 of an equirect pixel: bilinear interpolation of a smooth image
        for i, j in [(0, 0), (0, size - 1), (size - 1, 0), (size - 1, size - 1)]:
            assert angle(got[:, i, j], expected[:, i, j]).max() < tol
        c = slice(size // 2 - 1, size // 2 + 1)  # the 4 pixels around the face centre
        centre = torch.nn.functional.normalize(got[:, c, c].mean((1, 2)), dim=-1)
        forward = face_rotations(dtype=torch.float64)[:, :, 2]
        assert angle(centre, forward).max() < tol

    def test_convention_corners_analytic(self):
        """Face corners look along the cube's corner directions (independent of face_rotations)."""
        size = 32
        got = decode_dirs(equirect_to_cube(direction_pano(64), size)[0], dim=1)
        expected_top_left = {  # (right, down, forward) corner = fwd − right − down
            name: torch.tensor(cols[2]) - torch.tensor(cols[0]) - torch.tensor(cols[1])
            for name, cols in FACE_TABLE.items()
        }
        for k, name in enumerate(FACE_NAMES):
            corner = torch.nn.functional.normalize(expected_top_left[name].double(), dim=0)
            # pixel (0, 0) is half a pixel inside the corner: ≈ 0.7/S rad away from it
            assert angle(got[k, :, 0, 0], corner, dim=0) < 1.0 / size

    def test_convention_all_pixels_look_at_their_ray(self, device):
        size = 16
        faces = equirect_to_cube(direction_pano(32).to(device), size)
        assert faces.device.type == device
        got = decode_dirs(faces[0].cpu(), dim=1)
        assert angle(got.permute(0, 2, 3, 1), face_pixel_dirs(size)).max() < 1e-3

    @pytest.mark.parametrize(("a", "edge_a", "b", "edge_b"), EDGES)
    def test_convention_shared_edges_direction_pano(self, a, edge_a, b, edge_b):
        size = 16
        faces = equirect_to_cube(direction_pano(32), size)[0]
        dirs = decode_dirs(faces, dim=1).permute(0, 2, 3, 1)
        gap = angle(_edge(dirs, a, edge_a), _edge(dirs, b, edge_b))
        assert gap.max() < 1.1 / size  # one face pixel (see TestFaceRotations)

    @pytest.mark.parametrize(("face", "sign"), [(U_, -1.0), (D_, 1.0)])
    def test_convention_poles(self, face, sign):
        """The U face's centre looks straight up, D's straight down (odd S: a centre pixel)."""
        size, height = 15, 32
        faces = equirect_to_cube(direction_pano(height), size)[0]
        centre = (faces[face, :, size // 2, size // 2].double() - 0.5) / 0.25
        up = torch.tensor([0.0, sign, 0.0], dtype=torch.float64)
        # the pole lies half a row beyond the first row: its value is the average of row 0 on
        # opposite meridians, |y| = cos(half a row), x and z cancel exactly
        torch.testing.assert_close(centre, up * math.cos(PI / (2 * height)), atol=1e-6, rtol=0)
        assert angle(torch.nn.functional.normalize(centre, dim=0), up, dim=0) < 1e-6

    def test_seam_has_no_artefact_in_back_face(self):
        """A panorama continuous across ±180° (with a steep slope there) gives the B face its
        analytic values. With S = H the two central columns of B lie within half an equirect
        pixel of the seam; clamping there instead of wrapping would err by ~0.01."""
        height, size = 64, 64
        lon, lat = equirect_lonlat(height, 2 * height, dtype=torch.float64)

        def fn(lon, lat):
            return torch.sin(lon) + 0.5 * torch.cos(3 * lon) * torch.cos(lat)

        faces = equirect_to_cube(fn(lon, lat)[None, None].float(), size)[0, :, 0].double()
        dirs = face_pixel_dirs(size)
        lon_f = torch.atan2(dirs[..., 0], dirs[..., 2])
        lat_f = torch.asin(-dirs[..., 1])
        err = (faces - fn(lon_f, lat_f)).abs()
        assert err[B_].max() < 3e-3  # bilinear interpolation error of a smooth function
        seam = err[B_, :, size // 2 - 1 : size // 2 + 1]  # the two columns astride the seam
        assert seam.max() <= err[F_].max() + 1e-4  # no worse than the F face (no seam there)

    @pytest.mark.parametrize(
        ("make", "height", "size", "tol_resampled"),
        [(direction_pano, 64, 32, 1e-3), (textured_pano, 128, 64, 3e-3)],
    )
    def test_matches_py360convert(self, make, height, size, tol_resampled):
        img = make(height)
        ours = _ours_hwc(img, size)
        theirs = _py360_faces(img, size)
        # py360convert puts its face pixel centres on the face edges (linspace(−0.5, 0.5, S)),
        # ours at (i + 0.5)/S: the two sample points differ by up to half a face pixel (at the
        # edges, 0 at the centre). So the faces may differ by half a pixel's worth of change
        # (0.5 × the face's largest neighbour difference) plus a small margin for cv2's
        # fixed-point (1/32 px) remap. A wrong order, flip or one-pixel shift exceeds it.
        for k in range(6):
            step = max(np.abs(np.diff(theirs[k], axis=a)).max() for a in (0, 1))
            tol = 0.5 * step + 2e-3
            np.testing.assert_array_less(np.abs(ours[k] - theirs[k]), tol, err_msg=FACE_NAMES[k])
        # moved onto our pixel centres, py360convert's faces agree much more tightly (what is
        # left: bilinear interpolation twice + cv2's fixed-point coordinates)
        diff = np.abs(ours - _resample_py360(theirs))
        assert diff.max() < tol_resampled
        assert diff.mean() < tol_resampled / 5

    def test_rotation_matches_rotated_panorama(self):
        img = direction_pano(64)
        rot = rotation_matrix(0.4, -0.3, 0.7)
        a = equirect_to_cube(img, 32, rotation=rot)
        b = equirect_to_cube(rotate_equirect(img, rot), 32)
        # b interpolates twice: the difference is interpolation error of a smooth image
        torch.testing.assert_close(a, b, atol=1e-3, rtol=0)
        assert (a - b).abs().mean() < 2e-4

    def test_convention_rotation_direction(self):
        """Face k of a rotated cube looks along rotation @ face_rotations()[k] @ ray."""
        size = 16
        rot = rotation_matrix(torch.tensor(0.5, dtype=torch.float64), -0.4, 0.3)
        got = decode_dirs(equirect_to_cube(direction_pano(32), size, rotation=rot)[0], dim=1)
        expected = face_pixel_dirs(size) @ rot.T
        assert angle(got.permute(0, 2, 3, 1), expected).max() < 1e-3

    @pytest.mark.parametrize("mode", ["bilinear", "nearest"])
    def test_large_faces_with_per_sample_rotations(self, mode, device):
        """Big faces (the sampling grid is built in chunks) with per-sample rotations: every
        pixel, seam and pole samples included, still looks along its own rotated ray."""
        size, height = 160, 64
        rot = rotation_matrix(torch.tensor([2.8, -0.4], dtype=torch.float64), 0.3, -0.2)
        img = direction_pano(height, batch=2).to(device)
        faces = equirect_to_cube(img, size, rotation=rot.to(device), mode=mode).cpu()
        got = decode_dirs(faces, dim=2).permute(0, 1, 3, 4, 2)  # (B, 6, S, S, 3)
        expected = torch.einsum("bij,khwj->bkhwi", rot, face_pixel_dirs(size))
        # bilinear: interpolation error; nearest: half an equirect pixel diagonal
        tol = 2e-3 if mode == "bilinear" else math.sqrt(2) * PI / (2 * height) + 1e-6
        assert angle(got, expected).max() < tol

    def test_identity_rotation(self):
        img = torch.rand(2, 3, 16, 32)
        torch.testing.assert_close(
            equirect_to_cube(img, 8, rotation=torch.eye(3)), equirect_to_cube(img, 8)
        )

    def test_per_sample_rotations_are_independent(self):
        img = torch.rand(3, 2, 16, 32)
        rot = random_rotation(3, 60, generator=torch.Generator().manual_seed(3))
        batched = equirect_to_cube(img, 8, rotation=rot)
        for i in range(3):
            alone = equirect_to_cube(img[i : i + 1], 8, rotation=rot[i])
            # float32 grids computed along different paths: ~1e-6 px apart
            torch.testing.assert_close(batched[i : i + 1], alone, atol=2e-5, rtol=0)

    def test_shared_rotation_equals_repeated(self):
        img = torch.rand(3, 2, 16, 32)
        rot = rotation_matrix(0.2, 0.3, -0.4)
        torch.testing.assert_close(
            equirect_to_cube(img, 8, rotation=rot),
            equirect_to_cube(img, 8, rotation=rot.expand(3, 3, 3)),
            atol=2e-5,
            rtol=0,
        )

    def test_nearest_mode_copies_pixels(self):
        img = torch.rand(1, 1, 16, 32)
        faces = equirect_to_cube(img, 8, mode="nearest")
        assert torch.isin(faces, img).all()

    def test_nearest_mode_picks_the_nearest_pixel(self):
        size = 16
        faces = equirect_to_cube(direction_pano(32), size, mode="nearest")[0]
        got = decode_dirs(faces, dim=1).permute(0, 2, 3, 1)
        # at most half an equirect pixel diagonal (√2·π/(2H)) from the exact ray
        assert angle(got, face_pixel_dirs(size)).max() < math.sqrt(2) * PI / 64 + 1e-6

    def test_caching_does_not_alias(self):
        img = torch.rand(1, 3, 16, 32)
        first = equirect_to_cube(img, 8)
        snapshot = first.clone()
        second = equirect_to_cube(img, 8)
        assert torch.equal(first, second)
        second.add_(1.0)  # modifying one result must not touch the other, nor a cache
        assert torch.equal(first, snapshot)
        first.mul_(0.0)
        assert torch.equal(equirect_to_cube(img, 8), snapshot)

    def test_caching_with_rotation_does_not_alias(self):
        img = torch.rand(1, 3, 16, 32)
        rot = rotation_matrix(0.1, 0.2, 0.3)
        first = equirect_to_cube(img, 8, rotation=rot)
        snapshot = first.clone()
        first.zero_()
        assert torch.equal(equirect_to_cube(img, 8, rotation=rot), snapshot)

    def test_gradcheck_image(self):
        # S = H: the central pixels of B (U, D) lie within half a pixel of the seam (poles),
        # so the seam/pole resampling is part of the check
        img = torch.rand(1, 1, 8, 16, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda x: equirect_to_cube(x, 8), (img,))

    def test_gradcheck_image_with_rotation(self):
        img = torch.rand(2, 1, 8, 16, dtype=torch.float64, requires_grad=True)
        rot = random_rotation(2, 45, generator=torch.Generator().manual_seed(0))
        assert torch.autograd.gradcheck(lambda x: equirect_to_cube(x, 4, rotation=rot), (img,))

    @pytest.mark.parametrize("rotate", [False, True])
    def test_every_sample_passes_full_gradient(self, rotate, device):
        """Bilinear weights sum to 1 for every sample, seam and pole samples included, so the
        image gradient of faces.sum() adds up to the number of face pixels."""
        size = 16
        img = torch.rand(2, 2, 16, 32, dtype=torch.float64, device=device, requires_grad=True)
        rot = random_rotation(2, 90, generator=torch.Generator().manual_seed(1)) if rotate else None
        rot = rot.to(device) if rotate else None
        equirect_to_cube(img, size, rotation=rot).sum().backward()
        expected = torch.full((2, 2), 6.0 * size * size, dtype=torch.float64)
        torch.testing.assert_close(img.grad.sum((2, 3)).cpu(), expected)

    def test_seam_samples_receive_gradient_on_both_sides(self):
        height, size = 16, 16  # B's central columns lie within half a pixel of the seam
        img = torch.rand(1, 1, height, 2 * height, dtype=torch.float64, requires_grad=True)
        faces = equirect_to_cube(img, size)
        faces[0, B_, 0, size // 2, size // 2 - 1].backward()  # one sample, just left of ±180°
        grad = img.grad[0, 0]
        assert (grad[:, 0] > 0).any() and (grad[:, -1] > 0).any()  # both image borders
        assert grad.sum().item() == pytest.approx(1.0)

    def test_pole_samples_receive_gradient_across_the_pole(self):
        height, size = 16, 15
        img = torch.rand(1, 1, height, 2 * height, dtype=torch.float64, requires_grad=True)
        faces = equirect_to_cube(img, size)
        faces[0, U_, 0, size // 2, size // 2].backward()  # the U centre: the north pole
        grad = img.grad[0, 0]
        assert grad[1:].abs().sum() == 0  # only the first row ...
        assert (grad[0] > 0).sum() >= 2
        # ... symmetrically on opposite meridians (the row above row 0 is row 0 + 180°)
        torch.testing.assert_close(grad[0], grad[0].roll(height), atol=1e-4, rtol=0)
        assert grad.sum().item() == pytest.approx(1.0)

    def test_gradient_wrt_per_sample_rotation(self):
        """Rotation gradients are finite, non-zero and match finite differences (gradcheck
        itself is too strict: the sampling grid is float32 and bilinear weights have kinks)."""
        img = direction_pano(32, torch.float64, batch=2)
        weights = torch.rand(2, 6, 3, 8, 8, dtype=torch.float64)

        def loss(yaw: torch.Tensor) -> torch.Tensor:
            rot = rotation_matrix(yaw, torch.tensor([0.2, -0.1]), 0.3)
            return (equirect_to_cube(img, 8, rotation=rot) * weights).sum()

        yaw = torch.tensor([0.3, -2.0], dtype=torch.float64, requires_grad=True)
        loss(yaw).backward()
        grad = yaw.grad
        assert torch.isfinite(grad).all() and (grad.abs() > 1e-3).all()
        eps = 1e-3
        for i in range(2):
            step = torch.zeros(2, dtype=torch.float64)
            step[i] = eps
            with torch.no_grad():
                fd = (loss(yaw + step) - loss(yaw - step)) / (2 * eps)
            assert grad[i].item() == pytest.approx(fd.item(), rel=0.05)

    def test_gradient_wrt_rotation_near_seam(self):
        img = torch.rand(2, 1, 16, 32, dtype=torch.float64)
        rot = rotation_matrix(torch.tensor([PI - 1e-3, 1e-3], dtype=torch.float64), 0.0, 0.0)
        rot.requires_grad_(True)
        faces = equirect_to_cube(img, 16, rotation=rot)
        faces[:, F_].sum().backward()  # F of sample 0 now straddles the seam
        assert torch.isfinite(rot.grad).all()
        assert (rot.grad.abs().sum((1, 2)) > 0).all()

    def test_gradient_wrt_single_rotation(self):
        """A single (3, 3) rotation is as differentiable as a per-sample batch of them."""
        img = direction_pano(32, torch.float64)
        weights = torch.rand(1, 6, 3, 8, 8, dtype=torch.float64)

        def grad_of_yaw(batch: int) -> torch.Tensor:
            yaw = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
            rot = rotation_matrix(yaw, 0.2, 0.1)
            rot = rot if batch == 1 else rot.expand(batch, 3, 3)
            faces = equirect_to_cube(img.expand(batch, -1, -1, -1), 8, rotation=rot)
            assert faces.requires_grad, "the output is detached from the rotation"
            (faces * weights).sum().backward()
            return yaw.grad

        reference = grad_of_yaw(2) / 2  # the per-sample path (known to be differentiable)
        assert reference.abs() > 1e-3
        torch.testing.assert_close(grad_of_yaw(1), reference)

    @pytest.mark.parametrize(
        ("dtype", "tol"), [(torch.float16, 2e-3), (torch.bfloat16, 1e-2), (torch.float64, 1e-5)]
    )
    def test_dtypes(self, dtype, tol):
        img = torch.rand(2, 3, 16, 32)
        rot = random_rotation(2, generator=torch.Generator().manual_seed(0))
        for kwargs in ({}, {"rotation": rot}):
            ref = equirect_to_cube(img, 8, **kwargs)
            out = equirect_to_cube(img.to(dtype), 8, **kwargs)
            assert out.dtype == dtype
            torch.testing.assert_close(out.float(), ref, atol=tol, rtol=0)


class TestCubeToEquirect:
    def test_shape(self):
        assert cube_to_equirect(torch.rand(2, 6, 3, 8, 8), 16, 32).shape == (2, 3, 16, 32)

    def test_round_trip_512(self):
        """e2c → c2e at 512×1024 with S = 256 is exact up to float32 rounding, and at least
        10× better than py360convert's own round trip on the same image."""
        img = direction_pano(512)
        back = cube_to_equirect(equirect_to_cube(img, 256), 512, 1024)
        ours = (back - img).abs().mean().item()
        assert ours <= 1e-5
        hwc = img[0].permute(1, 2, 0).numpy()
        faces = py360convert.e2c(hwc, 256, cube_format="list")
        theirs = np.abs(py360convert.c2e(faces, 512, 1024, cube_format="list") - hwc).mean()
        assert ours * 10 <= theirs

    def test_round_trip_small(self):
        img = direction_pano(64, batch=2)
        back = cube_to_equirect(equirect_to_cube(img, 32), 64, 128)
        assert (back - img).abs().mean() < 2e-4
        assert (back - img).abs().max() < 1e-3

    def test_round_trip_with_per_sample_rotations(self, device):
        img = direction_pano(64, batch=3) * torch.tensor([1.0, 0.9, 0.8]).view(3, 1, 1, 1)
        rot = random_rotation(3, 45, generator=torch.Generator().manual_seed(0))
        img, rot = img.to(device), rot.to(device)
        faces = equirect_to_cube(img, 32, rotation=rot)
        back = cube_to_equirect(faces, 64, 128, rotation=rot)
        assert (back - img).abs().mean() < 2e-4
        assert (back - img).abs().max() < 1e-3
        # and the rotation matters: without it the stitched panorama is the rotated one
        assert (cube_to_equirect(faces, 64, 128) - img).abs().mean() > 1e-2

    def test_rotation_equals_rotating_back(self):
        faces = equirect_to_cube(direction_pano(64), 32)
        rot = rotation_matrix(0.5, 0.2, -0.3)
        a = cube_to_equirect(faces, 64, 128, rotation=rot)
        b = rotate_equirect(cube_to_equirect(faces, 64, 128), rot.T)
        torch.testing.assert_close(a, b, atol=2e-3, rtol=0)

    def test_constant_faces_cover_every_pixel(self):
        out = cube_to_equirect(torch.full((1, 6, 2, 8, 8), 3.0), 32, 64)
        torch.testing.assert_close(out, torch.full((1, 2, 32, 64), 3.0))

    def test_analytic_faces_stitch_without_seams(self, device):
        """Faces holding the exact direction of each pixel give the direction panorama, also
        next to face edges (bilinear samples there use the neighbouring face's pixels)."""
        size, height = 32, 64
        faces = encode_dirs(face_pixel_dirs(size)).permute(0, 3, 1, 2).unsqueeze(0).float()
        out = cube_to_equirect(faces.to(device), height, 2 * height).cpu()
        assert (out - direction_pano(height)).abs().max() < 1e-3

    def test_convention_face_assignment(self):
        """Every equirect pixel comes from the face whose axis is closest to its ray."""
        size, height = 8, 32
        faces = torch.arange(6.0).view(1, 6, 1, 1, 1).expand(1, 6, 1, size, size)
        out = cube_to_equirect(faces, height, 2 * height, mode="nearest")[0, 0]
        rays = equirect_rays(height, 2 * height, dtype=torch.float64)
        dots = rays @ face_rotations(dtype=torch.float64)[:, :, 2].T  # (H, W, 6)
        top2 = dots.topk(2, dim=-1).values
        clear = (top2[..., 0] - top2[..., 1]) > 0.05  # away from the cube's edges
        assert clear.float().mean() > 0.7
        assert torch.equal(out[clear], dots.argmax(-1)[clear].float())

    def test_matches_py360convert(self):
        faces = equirect_to_cube(direction_pano(64), 32)
        ours = cube_to_equirect(faces, 64, 128)[0].permute(1, 2, 0).numpy()
        face_list = [f.permute(1, 2, 0).numpy() for f in faces[0]]
        theirs = py360convert.c2e(face_list, 64, 128, cube_format="list")
        # py360convert reads its faces with pixel centres on the face edges (see e2c): the
        # sample positions differ by up to one face pixel, i.e. one neighbour difference
        step = max(np.abs(np.diff(np.stack(face_list), axis=a)).max() for a in (1, 2))
        np.testing.assert_array_less(np.abs(ours - theirs), step + 2e-3)
        # ... and ours is the more faithful of the two
        truth = direction_pano(64)[0].permute(1, 2, 0).numpy()
        assert np.abs(ours - truth).mean() * 10 < np.abs(theirs - truth).mean()

    def test_gradcheck(self):
        faces = torch.rand(1, 6, 1, 4, 4, dtype=torch.float64, requires_grad=True)
        assert torch.autograd.gradcheck(lambda f: cube_to_equirect(f, 8, 16), (faces,))

    def test_gradcheck_with_rotation(self):
        faces = torch.rand(2, 6, 1, 4, 4, dtype=torch.float64, requires_grad=True)
        rot = random_rotation(2, 45, generator=torch.Generator().manual_seed(2))
        # fast mode: the per-sample stitching tables are rebuilt on every call
        assert torch.autograd.gradcheck(
            lambda f: cube_to_equirect(f, 8, 16, rotation=rot), (faces,), fast_mode=True
        )

    @pytest.mark.parametrize(
        ("dtype", "tol"), [(torch.float16, 2e-3), (torch.bfloat16, 1e-2), (torch.float64, 1e-4)]
    )
    def test_dtypes(self, dtype, tol):
        # float64 vs float32: the float32 reference rounds its strip coordinates (~1e-5)
        faces = torch.rand(2, 6, 3, 8, 8)
        ref = cube_to_equirect(faces, 16, 32)
        out = cube_to_equirect(faces.to(dtype), 16, 32)
        assert out.dtype == dtype
        torch.testing.assert_close(out.float(), ref, atol=tol, rtol=0)

    def test_nearest_mode_copies_pixels(self):
        faces = torch.rand(1, 6, 1, 8, 8)
        out = cube_to_equirect(faces, 16, 32, mode="nearest")
        assert torch.isin(out, faces).all()
