"""Tests of panodepth.geometry.sampling: seam- and pole-correct bilinear sampling."""

import pytest
import torch

from panodepth.geometry import directions_to_grid, equirect_rays, sample_equirect
from panodepth.geometry.sampling import border_samples

H, W = 8, 16


def _grid(*points: tuple[float, float], dtype=torch.float64) -> torch.Tensor:
    """(1, 1, N, 2) grid of (gx, gy) points."""
    return torch.tensor(points, dtype=dtype).view(1, 1, -1, 2)


def _gx(col: float) -> float:
    """grid x of a (fractional) pixel column, align_corners=False."""
    return (col + 0.5) / W * 2 - 1


def _gy(row: float) -> float:
    return (row + 0.5) / H * 2 - 1


@pytest.fixture
def img() -> torch.Tensor:
    return torch.rand(2, 3, H, W, dtype=torch.float64)


class TestSampleEquirect:
    def test_pixel_centres_return_pixels(self, img):
        grid = directions_to_grid(equirect_rays(H, W, dtype=torch.float64)).unsqueeze(0)
        torch.testing.assert_close(sample_equirect(img, grid), img)

    def test_interior_matches_grid_sample(self, img):
        grid = (torch.rand(2, 5, 7, 2, dtype=torch.float64) * 2 - 1) * 0.8  # no border sample
        expected = torch.nn.functional.grid_sample(img, grid, align_corners=False)
        torch.testing.assert_close(sample_equirect(img, grid), expected)

    @pytest.mark.parametrize("gx", [1.0, -1.0])
    def test_seam_wraps(self, img, gx):
        """On the ±180° seam the sample is halfway between the last and the first column."""
        row = 3
        out = sample_equirect(img, _grid((gx, _gy(row))))[..., 0, 0]
        torch.testing.assert_close(out, 0.5 * (img[:, :, row, 0] + img[:, :, row, -1]))

    def test_seam_weights(self, img):
        row = 5
        out = sample_equirect(img, _grid((_gx(W - 0.75), _gy(row))))[..., 0, 0]
        expected = 0.75 * img[:, :, row, -1] + 0.25 * img[:, :, row, 0]
        torch.testing.assert_close(out, expected)
        out = sample_equirect(img, _grid((_gx(-0.25), _gy(row))))[..., 0, 0]
        expected = 0.25 * img[:, :, row, -1] + 0.75 * img[:, :, row, 0]
        torch.testing.assert_close(out, expected)

    @pytest.mark.parametrize(("gy", "row"), [(-1.0, 0), (1.0, H - 1)])
    def test_pole_crossing(self, img, gy, row):
        """Beyond a pole the image continues on the opposite meridian (column + W/2)."""
        col = 3
        out = sample_equirect(img, _grid((_gx(col), gy)))[..., 0, 0]
        expected = 0.5 * (img[:, :, row, col] + img[:, :, row, col + W // 2])
        torch.testing.assert_close(out, expected)

    def test_pole_weights(self, img):
        col = 10
        out = sample_equirect(img, _grid((_gx(col), _gy(-0.25))))[..., 0, 0]
        expected = 0.75 * img[:, :, 0, col] + 0.25 * img[:, :, 0, (col + W // 2) % W]
        torch.testing.assert_close(out, expected)

    def test_seam_and_pole_at_once(self, img, device):
        out = sample_equirect(img.to(device), _grid((1.0, -1.0)).to(device))[..., 0, 0].cpu()
        row0 = img[:, :, 0]
        expected = 0.25 * (row0[..., -1] + row0[..., 0] + row0[..., W // 2 - 1] + row0[..., W // 2])
        torch.testing.assert_close(out, expected)

    def test_continuous_across_the_seam(self, img):
        eps = 1e-6
        a = sample_equirect(img, _grid((1 - eps, 0.1)))
        b = sample_equirect(img, _grid((-1 + eps, 0.1)))
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)

    def test_continuous_across_the_pole(self, img):
        eps = 1e-6
        a = sample_equirect(img, _grid((_gx(2.3), -1 + eps)))
        b = sample_equirect(img, _grid((_gx(2.3 + W // 2), -1 + eps)))  # the same point
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)

    def test_shared_grid_matches_per_sample_grid(self, img):
        grid = torch.rand(1, 4, 6, 2, dtype=torch.float64) * 2 - 1
        grid[0, 0] = torch.tensor([[1.0, 0.0], [-1.0, 1.0], [0.3, -1.0]]).repeat(2, 1)
        shared = sample_equirect(img, grid)
        torch.testing.assert_close(shared, sample_equirect(img, grid.expand(2, -1, -1, -1)))
        for b in range(2):  # every sample of the batch gets its own pixels at the border
            torch.testing.assert_close(shared[b : b + 1], sample_equirect(img[b : b + 1], grid))

    def test_precomputed_border(self, img):
        grid = torch.rand(2, 3, 5, 2, dtype=torch.float64) * 2 - 1
        grid[:, 0, 0] = torch.tensor([0.999, -0.999])
        border = border_samples(grid, H, W)
        torch.testing.assert_close(
            sample_equirect(img, grid, border=border), sample_equirect(img, grid)
        )

    def test_nearest(self, img):
        grid = torch.rand(2, 4, 4, 2, dtype=torch.float64) * 2 - 1
        out = sample_equirect(img, grid, mode="nearest")
        assert torch.isin(out, img).all()
        centres = directions_to_grid(equirect_rays(H, W, dtype=torch.float64)).unsqueeze(0)
        torch.testing.assert_close(sample_equirect(img, centres, mode="nearest"), img)

    def test_gradcheck_image(self):
        img = torch.rand(1, 2, 4, 8, dtype=torch.float64, requires_grad=True)
        grid = _grid((1.0, 0.1), (-0.97, -0.99), (0.2, 0.3), (0.5, 0.995))
        assert torch.autograd.gradcheck(lambda x: sample_equirect(x, grid), (img,))

    def test_gradcheck_grid(self):
        img = torch.rand(1, 2, H, W, dtype=torch.float64)
        # bilinear is smooth inside a cell: keep the points off pixel-centre lines
        grid = _grid((0.99, 0.13), (-0.985, -0.96), (0.21, 0.31), (0.52, 0.97), (-0.6, -0.95))
        grid.requires_grad_(True)
        assert torch.autograd.gradcheck(lambda g: sample_equirect(img, g), (grid,))

    def test_border_samples_receive_full_gradient(self):
        img = torch.rand(1, 1, H, W, dtype=torch.float64, requires_grad=True)
        grid = _grid((1.0, 0.1), (-0.99, -0.99), (0.5, 1.0))
        sample_equirect(img, grid).sum().backward()
        assert img.grad.sum().item() == pytest.approx(3.0)  # bilinear weights sum to 1
        assert img.grad[0, 0, :, 0].sum() > 0 and img.grad[0, 0, :, -1].sum() > 0

    @pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
    def test_dtypes(self, dtype):
        img = torch.rand(1, 2, H, W)
        grid = _grid((1.0, 0.1), (0.3, -1.0), (0.2, 0.2), dtype=torch.float32)
        out = sample_equirect(img.to(dtype), grid)
        assert out.dtype == dtype
        ref = sample_equirect(img.double(), grid.double())
        torch.testing.assert_close(out.double(), ref, atol=1e-2, rtol=0)


class TestBorderSamples:
    def test_finds_exactly_the_border_samples(self):
        grid = torch.rand(3, 10, 10, 2) * 2 - 1
        g, m = border_samples(grid, H, W)
        flat = grid.reshape(3, -1, 2)
        expected = (flat[..., 0].abs() > 1 - 1 / W) | (flat[..., 1].abs() > 1 - 1 / H)
        found = torch.zeros_like(expected)
        found[g, m] = True
        assert torch.equal(found, expected)
        assert expected.any() and not expected.all()

    def test_half_pixel_threshold(self):
        half_px_x, half_px_y = 1 / W, 1 / H  # half a pixel in grid units
        grid = _grid(
            (1 - half_px_x * 0.99, 0.0),  # footprint reaches past the last column
            (1 - half_px_x * 1.01, 0.0),  # does not
            (0.0, -1 + half_px_y * 0.99),  # reaches above row 0
            (0.0, -1 + half_px_y * 1.01),
        )
        _, m = border_samples(grid, H, W)
        assert m.tolist() == [0, 2]
