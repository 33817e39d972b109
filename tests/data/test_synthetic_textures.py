"""Tests for panodepth.data.synthetic.textures: procedural albedo at surface coordinates."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
import torch

from panodepth.data.synthetic.textures import (
    MIN_PERIOD,
    TEXTURE_KINDS,
    TextureParams,
    fbm,
    gradient_noise,
    hash2d,
    sample_texture_params,
    shade_texture,
    shade_textures,
)

BASE = (0.8, 0.7, 0.55)
ACCENT = (0.2, 0.3, 0.45)
PALETTE = [(0.85, 0.82, 0.75), (0.55, 0.35, 0.2), (0.6, 0.25, 0.2), (0.3, 0.4, 0.55)]


def _params(kind: str, **kw) -> TextureParams:
    defaults = dict(base=BASE, accent=ACCENT, scale=0.4, angle=0.3, contrast=0.8, seed=7)
    defaults.update(kw)
    return TextureParams(kind=kind, **defaults)


def _grid(n: int = 96, extent: float = 4.0, offset: float = 0.0) -> torch.Tensor:
    t = torch.linspace(0.0, extent, n) + offset
    v, u = torch.meshgrid(t, t, indexing="ij")
    return torch.stack([u.flatten(), v.flatten()], 1)


def _colour_distance(out: torch.Tensor, colour: tuple[float, float, float]) -> torch.Tensor:
    return (out - torch.tensor(colour)).norm(dim=-1)


class TestShadeTexture:
    @pytest.mark.parametrize("kind", TEXTURE_KINDS)
    def test_shape_dtype_range(self, kind):
        uv = _grid(64)
        out = shade_texture(_params(kind), uv)
        assert out.shape == (uv.shape[0], 3) and out.dtype == torch.float32
        assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
        assert out.std(0).max() > 1e-3  # not flat

    @pytest.mark.parametrize("kind", TEXTURE_KINDS)
    def test_float64_input_gives_float32(self, kind):
        out = shade_texture(_params(kind), _grid(16).double())
        assert out.dtype == torch.float32

    def test_empty_input(self):
        out = shade_texture(_params("wood"), torch.zeros(0, 2))
        assert out.shape == (0, 3)

    @pytest.mark.parametrize("kind", TEXTURE_KINDS)
    def test_deterministic(self, kind):
        uv = _grid(48)
        assert torch.equal(shade_texture(_params(kind), uv), shade_texture(_params(kind), uv))

    @pytest.mark.parametrize("kind", TEXTURE_KINDS)
    def test_seed_changes_output(self, kind):
        uv = _grid(64)
        a = shade_texture(_params(kind, seed=1), uv)
        b = shade_texture(_params(kind, seed=2), uv)
        assert (a - b).abs().max() > 0.01

    def test_kinds_differ_from_each_other(self):
        uv = _grid(96)
        outs = {k: shade_texture(_params(k), uv) for k in TEXTURE_KINDS}
        for i, a in enumerate(TEXTURE_KINDS):
            for b in TEXTURE_KINDS[i + 1 :]:
                diff = (outs[a] - outs[b]).abs().mean()
                assert diff > 0.02, f"{a} and {b} look alike (mean |Δ| = {diff:.4f})"

    @pytest.mark.parametrize("scale", [0.3, 0.5, 1.2])
    def test_checker_parity_follows_scale(self, scale):
        # squares are scale/2 wide; [0, scale/2)² has the base colour, neighbours the second one
        p = _params("checker", scale=scale, angle=0.0, contrast=1.0)
        k = torch.arange(-6, 6, dtype=torch.float32)
        ku, kv = torch.meshgrid(k, k, indexing="ij")
        centres = torch.stack([(ku.flatten() + 0.5), (kv.flatten() + 0.5)], 1) * (scale / 2)
        out = shade_texture(p, centres)
        parity = (ku.flatten() + kv.flatten()).remainder(2) == 1
        nearer_accent = _colour_distance(out, ACCENT) < _colour_distance(out, BASE)
        assert torch.equal(nearer_accent, parity)
        # a shift by one full period (= scale) along either axis gives the same square colour
        shifted = shade_texture(p, centres + torch.tensor([scale, 0.0]))
        shifted_accent = _colour_distance(shifted, ACCENT) < _colour_distance(shifted, BASE)
        assert torch.equal(shifted_accent, parity)

    @pytest.mark.parametrize("scale", [0.25, 0.5, 1.0])
    def test_stripes_dominant_period_is_scale(self, scale):
        n, length = 2048, 16.0
        u = torch.arange(n) * (length / n)
        uv = torch.stack([u, torch.full_like(u, 0.4)], 1)
        x = shade_texture(_params("stripes", scale=scale, angle=0.0), uv).mean(1)
        spec = torch.fft.rfft(x - x.mean()).abs()
        freq = torch.fft.rfftfreq(n, length / n)
        assert freq[spec.argmax()].item() == pytest.approx(1 / scale)

    @pytest.mark.parametrize("kind", ["tiles", "brick", "wood"])
    def test_scale_changes_dominant_period(self, kind):
        n, length = 2048, 16.0
        u = torch.arange(n) * (length / n)
        uv = torch.stack([u, torch.full_like(u, 0.33)], 1)

        def peak(scale: float) -> float:
            x = shade_texture(_params(kind, scale=scale, angle=0.0), uv).mean(1)
            spec = torch.fft.rfft(x - x.mean()).abs()
            return torch.fft.rfftfreq(n, length / n)[spec.argmax()].item()

        assert peak(0.2) > peak(0.4)

    @pytest.mark.parametrize("kind", TEXTURE_KINDS)
    def test_angle_rotates_the_pattern(self, kind):
        uv = _grid(48)
        a = math.pi / 2
        rot = torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        turned = shade_texture(_params(kind, angle=a), uv @ rot.T)  # rotate the points by +a
        straight = shade_texture(_params(kind, angle=0.0), uv)
        assert (turned - straight).abs().mean() < 1e-3

    @pytest.mark.parametrize("kind", TEXTURE_KINDS)
    def test_large_uv_range(self, kind):
        g = torch.Generator().manual_seed(0)
        uv = (torch.rand(4096, 2, generator=g) * 2 - 1) * 1e3
        out = shade_texture(_params(kind), uv)
        assert torch.isfinite(out).all() and out.min() >= 0 and out.max() <= 1
        far = shade_texture(_params(kind), _grid(48, offset=-987.0))
        assert far.std(0).max() > 1e-3  # still textured far from the origin

    def test_plaster_is_low_contrast(self):
        uv = _grid(96)
        plaster = shade_texture(_params("plaster"), uv).mean(1)
        noise = shade_texture(_params("noise"), uv).mean(1)
        assert plaster.std() < 0.5 * noise.std()
        assert plaster.std() > 1e-3

    def test_bad_input(self):
        with pytest.raises(ValueError, match="unknown texture kind"):
            shade_texture(_params("marble"), _grid(4))
        with pytest.raises(ValueError, match=r"\(N, 2\)"):
            shade_texture(_params("noise"), torch.zeros(4, 3))
        with pytest.raises(ValueError, match="scale"):
            shade_texture(_params("noise", scale=0.0), _grid(4))

    if torch.cuda.is_available():  # GPU parity checks, collected only with a GPU

        @pytest.mark.parametrize("kind", TEXTURE_KINDS)
        def test_cuda_matches_cpu(self, kind):
            uv = _grid(64, offset=-3.0)
            cpu = shade_texture(_params(kind), uv)
            gpu = shade_texture(_params(kind), uv.cuda())
            assert gpu.device.type == "cuda"
            assert (gpu.cpu() - cpu).abs().max() < 1e-3


class TestFootprint:
    @pytest.mark.parametrize("kind", TEXTURE_KINDS)
    def test_zero_footprint_is_point_sampling(self, kind):
        uv = _grid(48)
        point = shade_texture(_params(kind), uv)
        assert torch.equal(point, shade_texture(_params(kind), uv, 0.0))
        assert torch.equal(point, shade_texture(_params(kind), uv, torch.zeros(uv.shape[0])))

    @pytest.mark.parametrize("kind", TEXTURE_KINDS)
    def test_huge_footprint_gives_the_mean_colour(self, kind):
        g = torch.Generator().manual_seed(0)
        uv = torch.rand(100_000, 2, generator=g) * 40 - 20
        p = _params(kind, scale=0.3)
        blurred = shade_texture(p, uv[:2000], 10.0)
        assert blurred.std(0).max() < 1e-3  # flat
        assert (blurred.mean(0) - shade_texture(p, uv).mean(0)).abs().max() < 0.03

    @pytest.mark.parametrize("kind", ["stripes", "checker", "tiles", "brick", "wood"])
    def test_footprint_removes_aliasing(self, kind):
        # sample 2 points per 3 periods: point sampling aliases, the prefilter flattens it
        p = _params(kind, scale=0.3, angle=0.0)
        step = 0.3 * 1.5
        k = torch.arange(400, dtype=torch.float32) * step
        uv = torch.stack([k, torch.full_like(k, 0.41)], 1)
        aliased = shade_texture(p, uv).mean(1).std()
        filtered = shade_texture(p, uv, step).mean(1).std()
        assert filtered < 0.3 * aliased

    def test_fine_footprint_keeps_detail(self):
        uv = _grid(96)
        for kind in TEXTURE_KINDS:
            p = _params(kind, scale=0.5)
            sharp = shade_texture(p, uv).std(0).max()
            assert shade_texture(p, uv, 0.01).std(0).max() > 0.6 * sharp

    def test_bad_footprint(self):
        with pytest.raises(ValueError, match="footprint"):
            shade_texture(_params("noise"), _grid(4), torch.zeros(3))
        with pytest.raises(ValueError, match="footprint"):
            ids = torch.zeros(16, dtype=torch.long)
            shade_textures([_params("noise")], ids, _grid(4), torch.zeros(3))


class TestNoise:
    def test_hash_is_uniform_and_handles_negatives(self):
        i = torch.arange(-200, 200)
        ix, iy = torch.meshgrid(i, i, indexing="ij")
        h = hash2d(ix, iy, 3)
        assert h.dtype == torch.float32 and h.min() >= 0 and h.max() < 1
        hist = torch.histc(h, bins=10, min=0, max=1) / h.numel()
        assert (hist - 0.1).abs().max() < 0.01
        assert not torch.equal(h, hash2d(ix, iy, 4))
        assert torch.equal(h, hash2d(ix, iy, 3))
        # neighbours are decorrelated
        assert torch.corrcoef(torch.stack([h[:-1].flatten(), h[1:].flatten()]))[0, 1].abs() < 0.02

    def test_gradient_noise_zero_on_lattice_and_bounded(self):
        i = torch.arange(-5, 5, dtype=torch.float32)
        pts = torch.stack(torch.meshgrid(i, i, indexing="ij"), -1).reshape(-1, 2)
        assert gradient_noise(pts, 1).abs().max() < 1e-6
        g = torch.Generator().manual_seed(0)
        n = gradient_noise(torch.rand(20000, 2, generator=g) * 50, 1)
        assert n.abs().max() <= 1.0 and n.std() > 0.1

    def test_fbm_has_no_energy_below_min_period(self):
        n, length = 8192, 16.0
        u = torch.arange(n) * (length / n)
        x = fbm(torch.stack([u, torch.full_like(u, 0.37)], 1), period=0.5, seed=2, octaves=4)
        spec = torch.fft.rfft(x - x.mean()).abs() ** 2
        freq = torch.fft.rfftfreq(n, length / n)
        assert spec[freq > 2 / MIN_PERIOD].sum() / spec.sum() < 1e-3


class TestShadeTextures:
    def test_matches_per_surface_and_black_background(self):
        g = torch.Generator().manual_seed(1)
        params = [_params(k, seed=i) for i, k in enumerate(TEXTURE_KINDS)]
        uv = (torch.rand(5000, 2, generator=g) - 0.5) * 20
        sid = torch.randint(-1, len(params), (5000,), generator=g)
        fp = torch.rand(5000, generator=g) * 0.2
        out = shade_textures(params, sid, uv)
        out_fp = shade_textures(params, sid, uv, fp)
        assert out.shape == (5000, 3) and out.dtype == torch.float32
        assert out[sid == -1].abs().max() == 0 and out_fp[sid == -1].abs().max() == 0
        for i, p in enumerate(params):
            sel = sid == i
            assert sel.any()
            assert torch.equal(out[sel], shade_texture(p, uv[sel]))
            assert torch.equal(out_fp[sel], shade_texture(p, uv[sel], fp[sel]))

    def test_all_background_and_empty(self):
        params = [_params("noise")]
        assert shade_textures(params, torch.full((7,), -1), torch.rand(7, 2)).abs().max() == 0
        empty = shade_textures(params, torch.zeros(0, dtype=torch.long), torch.zeros(0, 2))
        assert empty.shape == (0, 3)

    def test_unused_surfaces_and_int32_ids(self):
        params = [_params("noise"), _params("wood"), _params("brick")]
        uv = _grid(16)
        sid = torch.full((uv.shape[0],), 2, dtype=torch.int32)
        assert torch.equal(shade_textures(params, sid, uv), shade_texture(params[2], uv))

    def test_bad_ids(self):
        params = [_params("noise")]
        with pytest.raises(ValueError, match="surface ids"):
            shade_textures(params, torch.tensor([0, 1]), torch.zeros(2, 2))
        with pytest.raises(ValueError, match="surface ids"):
            shade_textures(params, torch.tensor([0, -2]), torch.zeros(2, 2))
        with pytest.raises(ValueError, match="expected surface_id"):
            shade_textures(params, torch.tensor([0, 0]), torch.zeros(3, 2))

    if torch.cuda.is_available():  # GPU parity checks, collected only with a GPU

        def test_cuda(self):
            params = [_params(k) for k in TEXTURE_KINDS]
            uv = _grid(32).cuda()
            sid = torch.arange(uv.shape[0], device="cuda") % (len(params) + 1) - 1
            out = shade_textures(params, sid, uv)
            assert out.device.type == "cuda"
            ref = shade_textures(params, sid.cpu(), uv.cpu())
            assert (out.cpu() - ref).abs().max() < 1e-3


class TestSampleTextureParams:
    def test_deterministic_and_valid(self):
        draws = []
        for _ in range(2):
            g = torch.Generator().manual_seed(5)
            draws.append([sample_texture_params(TEXTURE_KINDS, PALETTE, g) for _ in range(50)])
        assert draws[0] == draws[1]
        kinds_seen = set()
        for p in draws[0]:
            kinds_seen.add(p.kind)
            assert p.kind in TEXTURE_KINDS
            assert p.base in PALETTE
            assert all(0 <= c <= 1 for c in p.base + p.accent)
            assert p.scale >= MIN_PERIOD and 0 <= p.contrast <= 1
            assert 0 <= p.angle < math.pi and isinstance(p.seed, int)
            assert p.accent != p.base
        assert len(kinds_seen) >= 5
        g = torch.Generator().manual_seed(6)
        assert draws[0] != [sample_texture_params(TEXTURE_KINDS, PALETTE, g) for _ in range(50)]

    def test_respects_allowed_kinds_and_tensor_palette(self):
        g = torch.Generator().manual_seed(0)
        pal = torch.tensor(PALETTE)
        ps = [sample_texture_params(["wood", "tiles"], pal, g) for _ in range(30)]
        assert {p.kind for p in ps} == {"wood", "tiles"}
        for p in ps:
            out = shade_texture(p, _grid(16))
            assert torch.isfinite(out).all()

    def test_single_colour_palette(self):
        g = torch.Generator().manual_seed(0)
        p = sample_texture_params(["checker"], [(0.5, 0.5, 0.5)], g)
        assert p.base == (0.5, 0.5, 0.5)

    def test_bad_input(self):
        g = torch.Generator()
        with pytest.raises(ValueError, match="kinds"):
            sample_texture_params([], PALETTE, g)
        with pytest.raises(ValueError, match="unknown"):
            sample_texture_params(["marble"], PALETTE, g)
        with pytest.raises(ValueError, match="palette"):
            sample_texture_params(["noise"], [], g)

    def test_params_are_frozen(self):
        p = _params("noise")
        with pytest.raises(AttributeError):
            p.scale = 2.0  # type: ignore[misc]
        assert replace(p, seed=3).seed == 3
