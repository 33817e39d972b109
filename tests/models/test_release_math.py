"""The release's math (``release_math=True``) and heads, checked without the release's code.

The tables are checked against the libraries the release itself calls (SciPy's
``map_coordinates``, OpenCV's ``Rodrigues``) and against each other (projection then
stitching is close to the identity); whole-network parity with the release's code is
``benchmarks/release_parity.py``'s job.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch
from scipy.ndimage import map_coordinates

from panodepth.models import HEADS, build_model
from panodepth.models.hohonet import initial_raw
from panodepth.models.release_math import cube, gather
from panodepth.models.release_math import egformer as eg_math

from .student_checks import slow_if_big

CPU = torch.device("cpu")


def release_py360_cube(img: np.ndarray, face: int) -> np.ndarray:
    """The release's input cube of UniFuse, as its data loader computes it: corner-aligned
    face grid, rows padded with the rolled last and first rows, SciPy order-1 'wrap'."""
    h, w = img.shape
    rng = np.linspace(-0.5, 0.5, face, dtype=np.float32)
    gx, gy = np.meshgrid(rng, -rng)
    half = np.full_like(gx, 0.5)
    faces = [(gx, gy, half), (half, gy, gx[:, ::-1]), (gx[:, ::-1], gy, -half),
             (-half, gy, gx), (gx[::-1], half, gy[::-1]), (gx, -half, gy)]  # fmt: skip
    x, y, z = (np.concatenate([f[k] for f in faces], 1) for k in range(3))
    lon = np.arctan2(x, z)
    lat = np.arctan2(y, np.sqrt(x**2 + z**2))
    cx = (lon / (2 * np.pi) + 0.5) * w - 0.5
    cy = (-lat / np.pi + 0.5) * h - 0.5
    padded = np.concatenate([img, np.roll(img[[-1]], w // 2, 1), np.roll(img[[0]], w // 2, 1)])
    return map_coordinates(padded, [cy, cx], order=1, mode="wrap")  # (S, 6S)


@pytest.mark.parametrize(("height", "face"), [(64, 32), (32, 16), (48, 24)])
def test_unifuse_cube_is_scipy_wrap_sampling(height, face):
    rng = np.random.default_rng(0)
    img = rng.random((height, 2 * height)).astype(np.float32)
    ref = release_py360_cube(img, face)
    table = cube.py360_cube_table(height, 2 * height, face, CPU)
    ours = gather(torch.from_numpy(img).reshape(1, -1), table)[0]  # (6, S, S)
    ours = ours.permute(1, 0, 2).reshape(face, 6 * face).numpy()
    np.testing.assert_allclose(ours, ref, atol=2e-6)


def test_rodrigues_is_opencvs():
    rng = np.random.default_rng(1)
    for rvec in [np.array([0.0, np.pi, 0.0]), np.array([np.pi / 2, 0, 0]), np.zeros(3),
                 *rng.normal(size=(5, 3))]:  # fmt: skip
        np.testing.assert_allclose(cube.rodrigues(rvec), cv2.Rodrigues(rvec)[0], atol=1e-12)


def smooth_panorama(height: int) -> torch.Tensor:
    """(1, 1, H, 2H): a smooth function of the ray direction, no seam, no pole artefacts."""
    v, u = torch.meshgrid(torch.arange(height), torch.arange(2 * height), indexing="ij")
    lon = (u + 0.5) / (2 * height) * 2 * math.pi - math.pi
    lat = math.pi / 2 - (v + 0.5) / height * math.pi
    x, y, z = torch.cos(lat) * torch.sin(lon), torch.sin(lat), torch.cos(lat) * torch.cos(lon)
    return (1 + 0.5 * x + 0.3 * y - 0.2 * z)[None, None].float()


def test_unifuse_cube_then_stitch_is_nearly_the_identity():
    pano = smooth_panorama(128)
    faces = gather(pano.flatten(2), cube.py360_cube_table(128, 256, 64, CPU))  # (1, 1, 6, S, S)
    back = gather(faces.flatten(2), cube.unifuse_stitch_table(64, 128, 256, CPU))
    err = (back - pano).abs()[..., 8:-8, :]  # the stitch clips at the poles
    assert err.mean() < 0.003 and err.max() < 0.03


def test_bifuse_cube_then_stitch_is_nearly_the_identity():
    pano = smooth_panorama(128)
    faces = gather(pano.flatten(2), cube.bifuse_cube_table(128, CPU))
    back = gather(faces.flatten(2), cube.bifuse_stitch_table(64, 128, 256, CPU))
    err = (back - pano).abs()
    assert err.mean() < 0.003 and err.max() < 0.03
    assert cube.BIFUSE_FACE_NAMES[2] == "front"  # the front face looks at the image centre
    centre = faces[0, 0, 2, 32, 32]
    assert abs(centre - pano[0, 0, 64, 128]) < 0.02


def test_tables_are_cached_sparse_and_differentiable():
    t1 = cube.bifuse_stitch_table(8, 16, 32, CPU)
    assert t1 is cube.bifuse_stitch_table(8, 16, 32, "cpu")
    assert t1.matrix is not None and t1.matrix.layout == torch.sparse_csr
    src = torch.randn(2, 3, 6 * 64, requires_grad=True)
    out = gather(src, t1)
    assert out.shape == (2, 3, 16, 32)
    out.square().sum().backward()
    assert src.grad is not None and src.grad.abs().sum() > 0
    # the gather fallback (devices without sparse products) gives the same
    fallback = type(t1)(t1.index, t1.weight, t1.shape, t1.source, None)
    torch.testing.assert_close(gather(src, fallback), out)
    assert gather(src.detach().double(), t1).dtype == torch.float64
    with pytest.raises(ValueError, match="expects 384 source elements"):
        gather(torch.zeros(1, 10), t1)


def test_egformer_original_tables():
    scale, table = eg_math.stripe_tables(4, 8, "horizontal")
    assert scale[0] == 0 and torch.allclose(scale[2], torch.tensor(1.0))  # sin(kπ/H)
    assert table[0, 0] == pytest.approx(0.0) and table[1, 0] == pytest.approx(-table[0, 1])
    vscale, vtable = eg_math.stripe_tables(4, 8, "vertical")
    assert vscale.shape == (8,) and torch.all(vscale == 1) and vtable.shape == (4, 4)
    points = eg_math.tangent_points(8, 16)
    assert points.shape == (8, 16, 9, 2)
    # the centre tap sits on the original's pixel grid: (j, (k / H − ½)·π ↦ k) — no ½ shift
    assert torch.allclose(points[3, 5, 4], torch.tensor([5.0, 3.0]), atol=1e-4)
    values = torch.arange(8 * 16, dtype=torch.float32).view(1, 1, 8, 16)
    # the last pixel (15, 7) is read at p·n/(n − 1) − ½ = (15.5, 7.5): a quarter of it, the
    # rest from beyond the edges (zeros)
    at = eg_math.sample_taps(values, torch.tensor([[[[15.0, 7.0]]]]))
    assert at.item() == pytest.approx(0.25 * 127)


@pytest.mark.parametrize("arch", slow_if_big(["unifuse", "bifusepp", "hohonet", "egformer"]))
def test_release_math_runs_at_other_sizes(arch, one_thread):
    head = "sigmoid" if arch == "unifuse" else "linear"
    model = build_model(arch, head=head, release_math=True).eval()
    plain = build_model(arch, head=head).eval()
    plain.load_state_dict(model.state_dict())
    x = torch.rand(1, 3, 64, 128)
    with torch.no_grad():
        out, other = model(x), plain(x)
    assert out.shape == (1, 1, 64, 128) and torch.isfinite(out).all()
    assert not torch.allclose(out, other)  # the release's math is not panodepth's
    if arch in ("unifuse", "bifusepp"):
        with pytest.raises(ValueError, match="H ≥ 64"):
            model(torch.rand(1, 3, 32, 64))


def test_egformer_release_math_is_per_sample(one_thread):
    model = build_model("egformer", head="linear", release_math=True).eval()
    x = torch.rand(2, 3, 64, 128)
    with torch.no_grad():
        torch.testing.assert_close(model(x)[:1], model(x[:1]), atol=1e-5, rtol=1e-4)


def test_heads():
    x = torch.rand(2, 3, 32, 64)
    raw = build_model("pano-unet", width=4, head="linear").eval()
    with torch.no_grad():
        raw.out_conv.bias.fill_(-0.05)
        assert raw.head_kind == "linear" and (raw(x) < 0).any()  # the raw map, any sign
        sig = build_model("pano-unet", width=4, head="sigmoid", max_depth=10.0).eval()
        sig.load_state_dict(raw.state_dict())
        torch.testing.assert_close(sig(x), 10 * torch.sigmoid(raw(x)))
    assert sig.output == "disparity"  # a sigmoid read as relative disparity (the release's UniFuse)
    assert build_model("pano-unet", output="depth").head_kind == "sigmoid"
    assert build_model("pano-unet").head_kind == "softplus"
    with pytest.raises(ValueError, match="head must be one of"):
        build_model("pano-unet", head="relu")
    for output in ("disparity", "depth"):
        for head in HEADS:
            start = initial_raw(output, head, max_depth=10.0)
            value = {"sigmoid": 10 / (1 + math.exp(-start)),
                     "softplus": math.log1p(math.exp(start)), "linear": start}[head]  # fmt: skip
            assert value == pytest.approx(2.5 if output == "depth" else 0.4)
