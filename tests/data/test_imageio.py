"""Tests for panodepth.io.images and .atomic: reading panoramas, 2:1 checks, atomic PNG writes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from panodepth.io import PanoramaError, load_panorama, read_rgb, write_png


def _save(path, arr):
    Image.fromarray(arr).save(path)
    return path


class TestReadRgb:
    def test_rgba_drops_alpha(self, tmp_path):
        arr = np.zeros((4, 8, 4), np.uint8)
        arr[..., 0] = 255
        arr[..., 3] = 7  # alpha must not leak into the colours
        img = read_rgb(_save(tmp_path / "a.png", arr))
        assert img.shape == (3, 4, 8)
        assert torch.allclose(img[0], torch.ones(4, 8)) and img[1:].abs().max() == 0

    def test_grey_is_expanded(self, tmp_path):
        img = read_rgb(_save(tmp_path / "g.png", np.full((4, 8), 51, np.uint8)))
        assert img.shape == (3, 4, 8) and torch.allclose(img, torch.full_like(img, 0.2))

    def test_missing_file_names_it(self, tmp_path):
        with pytest.raises(PanoramaError, match=r"nope\.png: file not found"):
            read_rgb(tmp_path / "nope.png")

    def test_corrupt_file_names_it(self, tmp_path):
        bad = tmp_path / "bad.jpg"
        bad.write_bytes(b"not an image at all")
        with pytest.raises(PanoramaError, match=r"bad\.jpg: cannot be read as an image"):
            read_rgb(bad)

    def test_16bit_depth_is_not_rgb(self, tmp_path):
        path = tmp_path / "depth.png"
        Image.fromarray(np.full((4, 8), 4000, np.uint16)).save(path)
        with pytest.raises(PanoramaError, match="single-channel"):
            read_rgb(path)


class TestLoadPanorama:
    def test_exact_2to1_is_kept(self, tmp_path):
        arr = np.random.default_rng(0).integers(0, 255, (16, 32, 3), dtype=np.uint8)
        img = load_panorama(_save(tmp_path / "p.png", arr))
        assert torch.equal(img, torch.from_numpy(arr).permute(2, 0, 1).float() / 255)

    def test_nearly_2to1_is_resized_with_warning(self, tmp_path):
        path = _save(tmp_path / "wild.png", np.zeros((591, 1181, 3), np.uint8))
        with pytest.warns(UserWarning, match=r"wild\.png: 1181×591 is not exactly 2:1"):
            img = load_panorama(path)
        assert img.shape == (3, 591, 1182)

    def test_far_from_2to1_is_rejected(self, tmp_path):
        path = _save(tmp_path / "photo.png", np.zeros((30, 40, 3), np.uint8))
        with pytest.raises(PanoramaError, match=r"photo\.png: 40×30 .* not an equirectangular"):
            load_panorama(path)

    def test_height_resizes(self, tmp_path):
        img = load_panorama(_save(tmp_path / "p.png", np.zeros((64, 128, 3), np.uint8)), 16)
        assert img.shape == (3, 16, 32)


class TestWritePng:
    def test_round_trip_and_no_temp_files(self, tmp_path):
        img = torch.rand(3, 8, 16)
        path = write_png(tmp_path / "sub" / "x.png", img)
        back = read_rgb(path)
        assert (back - img).abs().max() <= 0.5 / 255 + 1e-6
        assert [p.name for p in (tmp_path / "sub").iterdir()] == ["x.png"]

    def test_failed_write_keeps_old_file(self, tmp_path):
        path = write_png(tmp_path / "x.png", torch.zeros(3, 4, 8))
        before = path.read_bytes()
        with pytest.raises(ValueError, match="expected a 1×H×W or 3×H×W"):
            write_png(path, torch.zeros(2, 4, 8))
        assert path.read_bytes() == before


def test_atomic_save_gives_readable_permissions(tmp_path):
    from panodepth.io import atomic_save

    atomic_save(tmp_path / "x.bin", lambda f: f.write(b"1"))
    assert (tmp_path / "x.bin").stat().st_mode & 0o777 == 0o644
    assert list(tmp_path.iterdir()) == [tmp_path / "x.bin"]  # no temporary left behind
