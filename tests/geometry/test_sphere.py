"""Tests of panodepth.geometry.sphere: the camera frame, equirect pixels, lon/lat and rays."""

import math

import pytest
import torch
import torch.nn.functional as F

from panodepth.geometry import (
    directions_to_grid,
    equirect_lonlat,
    equirect_pixel_to_lonlat,
    equirect_rays,
    lonlat_to_equirect_pixel,
    lonlat_to_xyz,
    xyz_to_lonlat,
)

PI = math.pi


def _t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


class TestLonlatToXyz:
    @pytest.mark.parametrize(
        ("lon", "lat", "xyz"),
        [
            (0.0, 0.0, (0.0, 0.0, 1.0)),  # straight ahead = +z
            (PI / 2, 0.0, (1.0, 0.0, 0.0)),  # lon +90° = right = +x
            (-PI / 2, 0.0, (-1.0, 0.0, 0.0)),  # lon −90° = left
            (PI, 0.0, (0.0, 0.0, -1.0)),  # lon ±180° = behind
            (0.0, PI / 2, (0.0, -1.0, 0.0)),  # lat +90° = up = −y
            (0.0, -PI / 2, (0.0, 1.0, 0.0)),  # lat −90° = down = +y
            (PI / 4, 0.0, (math.sqrt(0.5), 0.0, math.sqrt(0.5))),
        ],
    )
    def test_convention_axes(self, lon, lat, xyz):
        out = lonlat_to_xyz(_t(lon), _t(lat))
        torch.testing.assert_close(out, _t(*xyz).unsqueeze(0), atol=1e-12, rtol=0)

    def test_unit_length_and_batch_shape(self):
        lon = torch.rand(2, 3, 4) * 2 * PI - PI
        lat = torch.rand(2, 3, 4) * PI - PI / 2
        out = lonlat_to_xyz(lon, lat)
        assert out.shape == (2, 3, 4, 3)
        torch.testing.assert_close(out.norm(dim=-1), torch.ones(2, 3, 4))

    def test_convention_formula(self):
        lon, lat = _t(0.3, -2.0), _t(0.7, -0.1)
        expected = torch.stack(
            (lat.cos() * lon.sin(), -lat.sin(), lat.cos() * lon.cos()), -1
        )  # x = cos(lat)·sin(lon), y = −sin(lat), z = cos(lat)·cos(lon)
        torch.testing.assert_close(lonlat_to_xyz(lon, lat), expected)


class TestXyzToLonlat:
    def test_inverse_of_lonlat_to_xyz(self):
        lon = torch.rand(100, dtype=torch.float64) * 2 * PI - PI
        lat = torch.rand(100, dtype=torch.float64) * 0.999 * PI - 0.999 * PI / 2
        lon2, lat2 = xyz_to_lonlat(lonlat_to_xyz(lon, lat))
        torch.testing.assert_close(lon2, lon)
        torch.testing.assert_close(lat2, lat)

    def test_scale_invariant(self):
        xyz = torch.randn(50, 3, dtype=torch.float64)
        for a, b in zip(xyz_to_lonlat(xyz), xyz_to_lonlat(3.7 * xyz), strict=True):
            torch.testing.assert_close(a, b)

    def test_ranges(self):
        lon, lat = xyz_to_lonlat(torch.randn(1000, 3))
        assert lon.abs().max() <= PI
        assert lat.abs().max() <= PI / 2

    def test_convention_signs(self):
        lon, lat = xyz_to_lonlat(_t(1.0, -1.0, 1.0))  # right, up, forward
        assert lon.item() == pytest.approx(PI / 4)
        assert lat.item() == pytest.approx(math.atan2(1, math.sqrt(2)))


class TestEquirectLonlat:
    def test_convention_pixel_centres(self):
        h, w = 4, 8
        lon, lat = equirect_lonlat(h, w, dtype=torch.float64)
        assert lon.shape == lat.shape == (h, w)
        u = torch.arange(w, dtype=torch.float64)
        v = torch.arange(h, dtype=torch.float64)
        torch.testing.assert_close(lon[0], (u + 0.5) / w * 2 * PI - PI)
        torch.testing.assert_close(lat[:, 0], PI / 2 - (v + 0.5) / h * PI)
        # lon only depends on the column, lat only on the row
        assert torch.equal(lon, lon[:1].expand(h, w))
        assert torch.equal(lat, lat[:, :1].expand(h, w))

    def test_convention_borders(self):
        h, w = 8, 16
        lon, lat = equirect_lonlat(h, w, dtype=torch.float64)
        half_px = PI / w
        assert lon[0, 0].item() == pytest.approx(-PI + half_px)  # left border is the −π seam
        assert lon[0, -1].item() == pytest.approx(PI - half_px)
        assert lat[0, 0].item() == pytest.approx(PI / 2 - PI / (2 * h))  # top row looks up
        assert lat[-1, 0].item() == pytest.approx(-PI / 2 + PI / (2 * h))

    def test_dtype(self):
        lon, lat = equirect_lonlat(4, 8, dtype=torch.float64)
        assert lon.dtype == lat.dtype == torch.float64
        lon, _ = equirect_lonlat(4, 8)
        assert lon.dtype == torch.get_default_dtype()


class TestEquirectRays:
    def test_matches_lonlat(self):
        lon, lat = equirect_lonlat(6, 12, dtype=torch.float64)
        torch.testing.assert_close(
            equirect_rays(6, 12, dtype=torch.float64), lonlat_to_xyz(lon, lat)
        )

    def test_docstring_example(self):
        out = equirect_rays(2, 4)[0, 2]
        torch.testing.assert_close(out, torch.tensor([0.5, -math.sqrt(0.5), 0.5]))

    def test_convention_centre_looks_forward(self):
        h, w = 8, 16
        rays = equirect_rays(h, w, dtype=torch.float64)
        centre = rays[h // 2 - 1 : h // 2 + 1, w // 2 - 1 : w // 2 + 1].mean((0, 1))
        centre = centre / centre.norm()
        torch.testing.assert_close(centre, _t(0.0, 0.0, 1.0), atol=1e-12, rtol=0)

    def test_convention_image_layout(self):
        rays = equirect_rays(8, 16)
        assert (rays[0, :, 1] < 0).all()  # top row looks up (−y)
        assert (rays[-1, :, 1] > 0).all()  # bottom row looks down
        assert (rays[:, 0, 2] < 0).all() and (rays[:, -1, 2] < 0).all()  # borders: behind
        assert (rays[:, 12, 0] > 0).all()  # right half looks right (+x)
        assert (rays[:, 3, 0] < 0).all()

    def test_unit_length(self):
        torch.testing.assert_close(equirect_rays(5, 10).norm(dim=-1), torch.ones(5, 10))

    def test_returns_a_fresh_tensor(self):
        first = equirect_rays(6, 12)
        expected = first.clone()
        first.zero_()
        torch.testing.assert_close(equirect_rays(6, 12), expected, atol=0, rtol=0)


class TestDirectionsToGrid:
    def test_convention_grid_coordinates(self):
        xyz = torch.randn(64, 3, dtype=torch.float64)
        lon, lat = xyz_to_lonlat(xyz)
        grid = directions_to_grid(xyz)
        torch.testing.assert_close(grid, torch.stack((lon / PI, -2 * lat / PI), -1))

    def test_scale_invariant(self):
        xyz = torch.randn(10, 3, dtype=torch.float64)
        torch.testing.assert_close(directions_to_grid(xyz), directions_to_grid(5.0 * xyz))

    def test_grid_sample_hits_pixel_centres(self):
        """grid_sample(align_corners=False) at a pixel's own ray returns that pixel exactly."""
        h, w = 8, 16
        img = torch.rand(1, 2, h, w, dtype=torch.float64)
        grid = directions_to_grid(equirect_rays(h, w, dtype=torch.float64)).unsqueeze(0)
        out = F.grid_sample(img, grid, mode="bilinear", align_corners=False)
        torch.testing.assert_close(out, img)

    def test_keeps_dtype(self):
        assert directions_to_grid(torch.randn(3, 3, dtype=torch.float64)).dtype == torch.float64
        assert directions_to_grid(torch.randn(3, 3)).dtype == torch.float32


class TestEquirectPixelConversions:
    def test_round_trip(self):
        h, w = 16, 32
        u = torch.rand(100, dtype=torch.float64) * w - 0.5
        v = torch.rand(100, dtype=torch.float64) * h - 0.5
        u2, v2 = lonlat_to_equirect_pixel(*equirect_pixel_to_lonlat(u, v, h, w), h, w)
        torch.testing.assert_close(u2, u)
        torch.testing.assert_close(v2, v)

    def test_convention_centre_and_borders(self):
        h, w = 16, 32
        lon, lat = equirect_pixel_to_lonlat(_t(w / 2 - 0.5), _t(h / 2 - 0.5), h, w)
        assert lon.item() == pytest.approx(0.0, abs=1e-12)  # the corner between the four
        assert lat.item() == pytest.approx(0.0, abs=1e-12)  # centre pixels looks ahead
        u, v = lonlat_to_equirect_pixel(_t(-PI, PI), _t(PI / 2, -PI / 2), h, w)
        torch.testing.assert_close(u, _t(-0.5, w - 0.5))  # the seam is the image border
        torch.testing.assert_close(v, _t(-0.5, h - 0.5))  # the poles are the top/bottom edges

    def test_matches_equirect_lonlat(self):
        h, w = 4, 8
        vv, uu = torch.meshgrid(
            torch.arange(h, dtype=torch.float64),
            torch.arange(w, dtype=torch.float64),
            indexing="ij",
        )
        lon, lat = equirect_pixel_to_lonlat(uu, vv, h, w)
        lon_ref, lat_ref = equirect_lonlat(h, w, dtype=torch.float64)
        torch.testing.assert_close(lon, lon_ref)
        torch.testing.assert_close(lat, lat_ref)
