"""Synthetic domains, samples and on-disk datasets (panodepth.data.synthetic, `panodepth synth`)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from panodepth.cli.main import main
from panodepth.data.synthetic import (
    DEPTH_SCALE,
    DOMAINS,
    render_sample,
    sample_scene,
    synthesize,
)
from panodepth.io import read_depth_png, read_rgb


class TestDomains:
    def test_at_least_three_domains_with_sky_only_outdoors(self):
        assert {"office", "home", "outdoor"} <= set(DOMAINS)
        for name in ("office", "home"):
            s = render_sample(name, 0, height=32)
            assert bool(s.valid.all()), name  # rooms are closed: every ray hits something
        outdoor = render_sample("outdoor", 0, height=32)
        sky = 1 - outdoor.valid.float().mean()
        assert 0.1 < sky < 0.7
        assert bool((outdoor.depth[~outdoor.valid] == 0).all())
        assert bool((outdoor.mask[~outdoor.valid] == 1).all())

    def test_domains_differ_in_image_and_depth_statistics(self):
        stats = {}
        for name in ("office", "home", "outdoor"):
            samples = [render_sample(name, i, height=32) for i in range(6)]
            rgb = torch.stack([s.rgb for s in samples])
            depth = torch.cat([s.depth[s.valid] for s in samples])
            stats[name] = (rgb.mean((0, 2, 3)), depth.median())
        # indoor scales: offices are bigger than homes; outdoor farther still
        assert stats["home"][1] < stats["office"][1] < stats["outdoor"][1]
        # palettes: homes are warm (R > B), offices cool (B ≥ R)
        assert stats["home"][0][0] > stats["home"][0][2] + 0.03
        assert stats["office"][0][2] > stats["office"][0][0] - 0.01

    def test_unknown_domain(self):
        with pytest.raises(ValueError, match="unknown domain 'mars'; choose one of"):
            sample_scene("mars", torch.Generator())
        with pytest.raises(ValueError, match=r"'offfice' \(did you mean 'office'\?\)"):
            sample_scene("offfice", torch.Generator())

    def test_every_indoor_domain_is_closed_with_its_own_scale(self):
        medians = {}
        for name in ("hotel", "loft", "classroom", "cabin"):
            samples = [render_sample(name, i, height=32) for i in range(4)]
            assert all(bool(s.valid.all()) for s in samples), name
            medians[name] = torch.cat([s.depth.flatten() for s in samples]).median()
        # cabins are the smallest rooms, lofts the largest
        assert medians["cabin"] < medians["hotel"] < medians["loft"]
        assert medians["cabin"] < medians["classroom"] < medians["loft"]

    def test_a_mixture_draws_sample_i_from_domain_i_mod_n(self, tmp_path):
        from panodepth.data.synthetic import domain_of_sample, mixture

        assert mixture("hotel+outdoor") == ("hotel", "outdoor")
        assert [domain_of_sample("hotel+loft+outdoor", i) for i in range(4)] == [
            "hotel", "loft", "outdoor", "hotel"
        ]  # fmt: skip
        for i, domain in enumerate(["hotel", "outdoor", "hotel"]):
            mixed, alone = (
                render_sample("hotel+outdoor", i, height=32),
                render_sample(domain, i, height=32),
            )
            assert torch.equal(mixed.rgb, alone.rgb) and torch.equal(mixed.depth, alone.depth)
        with pytest.raises(ValueError, match="unknown domain 'mars'"):
            mixture("hotel+mars")
        with pytest.raises(ValueError, match="repeats"):
            mixture("hotel+hotel")
        synthesize(tmp_path / "m", "hotel+outdoor", 2, height=16, progress=False)
        meta = json.loads((tmp_path / "m" / "meta.json").read_text())
        assert meta["domain"] == "hotel+outdoor"
        sky = Image.open(tmp_path / "m" / "mask" / "00001.png")
        assert (np.asarray(sky) == 1).any()  # the outdoor sample has sky, the hotel none
        assert not (np.asarray(Image.open(tmp_path / "m" / "mask" / "00000.png")) == 1).any()

    def test_camera_is_inside_and_clear(self):
        for i in range(20):
            scene = sample_scene("home", torch.Generator().manual_seed(i))
            assert scene.room.contains(scene.camera, margin=0.2)
            cx, _, cz = scene.camera
            for b in scene.boxes:
                assert not (b.lo[0] < cx < b.hi[0] and b.lo[2] < cz < b.hi[2])


class TestDeterminism:
    def test_same_seed_same_sample_and_different_seeds_differ(self):
        a = render_sample("office", 3, seed=1, height=32)
        b = render_sample("office", 3, seed=1, height=32)
        c = render_sample("office", 3, seed=2, height=32)
        d = render_sample("office", 4, seed=1, height=32)
        assert torch.equal(a.rgb, b.rgb) and torch.equal(a.depth, b.depth)
        assert not torch.equal(a.depth, c.depth) and not torch.equal(a.depth, d.depth)

    def test_any_resolution(self):
        small, large = render_sample("home", 0, height=16), render_sample("home", 0, height=64)
        assert small.rgb.shape == (3, 16, 32) and large.depth.shape == (1, 64, 128)
        # the same scene: the median range agrees across resolutions
        assert abs(float(small.depth.median()) - float(large.depth.median())) < 0.3


class TestWatermark:
    def test_mask_marks_exactly_the_changed_pixels(self):
        clean = render_sample("outdoor", 2, height=64, watermark_prob=0.0)
        marked = render_sample("outdoor", 2, height=64, watermark_prob=1.0)
        stamped = marked.mask == 2
        assert 0 < int(stamped.sum()) < 0.1 * stamped.numel()
        changed = (marked.rgb != clean.rgb).any(0, keepdim=True)
        assert torch.equal(changed, stamped)
        assert torch.equal(marked.depth, clean.depth)  # watermarks do not change geometry


class TestSynthesize:
    def test_layout_list_meta_and_round_trip(self, tmp_path):
        out = tmp_path / "office"
        listing = synthesize(out, "office", 3, height=16, seed=5, progress=False)
        lines = listing.read_text().splitlines()
        assert lines == [f"rgb/{i:05d}.png depth/{i:05d}.png" for i in range(3)]
        meta = json.loads((out / "meta.json").read_text())
        assert meta["depth"] == {"kind": "range", "scale_m": 0.001, "invalid": 0, "dtype": "uint16"}
        assert (meta["domain"], meta["height"], meta["width"], meta["count"]) == (
            "office",
            16,
            32,
            3,
        )
        raw = np.asarray(Image.open(out / "depth" / "00001.png"))
        assert raw.dtype == np.uint16 and raw.shape == (16, 32)
        sample = render_sample("office", 1, seed=5, height=16)
        depth = torch.from_numpy(read_depth_png(out / "depth" / "00001.png", DEPTH_SCALE).depth())
        assert (depth[None] - sample.depth).abs().max() <= DEPTH_SCALE / 2 + 1e-6
        rgb = read_rgb(out / "rgb" / "00001.png")
        assert (rgb - sample.rgb).abs().max() <= 0.5 / 255 + 1e-6
        mask = np.asarray(Image.open(out / "mask" / "00001.png"))
        assert mask.dtype == np.uint8 and set(np.unique(mask)) <= {0, 1, 2}

    def test_same_seed_identical_bytes(self, tmp_path):
        for name in ("a", "b"):
            synthesize(tmp_path / name, "home", 2, height=16, seed=9, progress=False)
        for sub in ("rgb", "depth", "mask"):
            for i in range(2):
                f = f"{sub}/{i:05d}.png"
                assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()

    def test_resume_skips_finished_and_extends(self, tmp_path):
        out = tmp_path / "d"
        synthesize(out, "home", 2, height=16, progress=False)
        stamp = (out / "rgb" / "00000.png").stat().st_mtime_ns
        (out / "rgb" / "00001.png").unlink()  # an interrupted sample is redone
        synthesize(out, "home", 3, height=16, progress=False)
        assert (out / "rgb" / "00000.png").stat().st_mtime_ns == stamp
        assert (out / "rgb" / "00001.png").is_file() and (out / "rgb" / "00002.png").is_file()
        assert len((out / "list.txt").read_text().splitlines()) == 3
        assert not list(out.rglob("*.tmp"))

    def test_other_settings_in_the_same_folder_are_refused(self, tmp_path):
        synthesize(tmp_path, "home", 1, height=16, progress=False)
        with pytest.raises(ValueError, match="other settings"):
            synthesize(tmp_path, "office", 1, height=16, progress=False)


class TestCli:
    def test_synth_command(self, tmp_path, capsys):
        out = tmp_path / "o"
        code = main(["synth", str(out), "--domain", "outdoor", "--count", "2", "--size", "16x32",
                     "--watermark_prob", "1", "--no_progress"])  # fmt: skip
        assert code == 0
        assert (out / "list.txt").is_file()
        masks = [np.asarray(Image.open(out / "mask" / f"{i:05d}.png")) for i in range(2)]
        assert all((m == 2).any() and (m == 1).any() for m in masks)

    @pytest.mark.parametrize("size", ["256x256", "abc", "0x0"])
    def test_bad_size(self, tmp_path, capsys, size):
        assert main(["synth", str(tmp_path), "--size", size, "--no_progress"]) == 2
        assert "--size must" in capsys.readouterr().err
