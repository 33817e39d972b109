"""panodepth.io depth formats: 16-bit PNG with its scale, .npy and EXR; one rule each."""

from __future__ import annotations

import json

import numpy as np
import OpenEXR
import pytest
import torch
from PIL import Image, PngImagePlugin

from panodepth.io import (
    FileFormatError,
    read_depth_png,
    read_exr,
    read_npy,
    write_depth_png,
    write_exr,
    write_npy,
)


def depth_map(h: int = 16, w: int = 32) -> np.ndarray:
    rng = np.random.default_rng(0)
    depth = (rng.random((h, w)) * 4 + 0.5).astype(np.float32)
    depth[0, :5] = 0  # invalid
    return depth


class TestDepthPng:
    def test_round_trip_with_the_scale_in_the_file(self, tmp_path):
        depth = depth_map()
        path = write_depth_png(tmp_path / "d.png", depth, 0.001, {"metric": True})
        png = read_depth_png(path)
        back, meta = png.depth(), png.meta
        assert png.scale == 0.001 and meta["scale"] == 0.001 and meta["metric"] is True
        np.testing.assert_allclose(back, depth, atol=0.0005 + 1e-6)
        assert (back[0, :5] == 0).all() and back.dtype == np.float32
        assert png.raw.dtype == np.uint16 and png.raw.shape == (16, 32)
        with Image.open(path) as im:
            assert im.mode.startswith("I") and im.text["panodepth:scale"] == "0.001"
            assert json.loads(im.text["panodepth"]) == {"metric": True, "scale": 0.001}
        with pytest.raises(ValueError, match="16 bits"):
            write_depth_png(tmp_path / "e.png", depth * 100, 0.001)
        assert not (tmp_path / "e.png").exists()

    def test_dataset_style_tensor_and_explicit_scale_and_invalid_value(self, tmp_path):
        metres = torch.tensor([[[0.0, 1.0, float("nan"), -2.0], [0.25, 2.0, 3.0, 4.0]]])
        path = write_depth_png(tmp_path / "t.png", metres, 1 / 512)  # 1×H×W, like synth
        png = read_depth_png(path, scale=1 / 512)
        assert png.raw.tolist() == [[0, 512, 0, 0], [128, 1024, 1536, 2048]]
        assert png.depth(invalid=1536).tolist() == [[0, 1, 0, 0], [0.25, 2, 0, 4]]
        # an explicit scale wins over the text chunk (a dataset's documented constant)
        assert read_depth_png(path, scale=0.001).depth()[0, 1] == pytest.approx(0.512)

    def test_a_plain_16_bit_png_needs_an_explicit_scale(self, tmp_path):
        path = tmp_path / "plain.png"
        Image.fromarray(np.full((4, 8), 4000, np.uint16)).save(path)
        with pytest.raises(FileFormatError, match=r"plain\.png: no depth scale.*never guessed"):
            read_depth_png(path)
        assert read_depth_png(path, 1 / 4000).depth().max() == pytest.approx(1.0)
        with pytest.raises(ValueError, match=r"plain\.png: the depth scale must be a positive"):
            read_depth_png(path, 0.0)

    def test_8_bit_and_colour_pngs_are_refused(self, tmp_path):
        # one rule for every depth PNG: 8-bit images are visualisations, not depth
        grey, colour = tmp_path / "grey.png", tmp_path / "colour.png"
        Image.fromarray(np.full((4, 8), 40, np.uint8)).save(grey)
        Image.fromarray(np.zeros((4, 8, 3), np.uint8)).save(colour)
        for path, what in ((grey, "8-bit L"), (colour, "8-bit RGB")):
            with pytest.raises(FileFormatError, match=rf"{path.name}: expected a 16-bit "
                               rf"single-channel depth PNG, got a {what} image"):  # fmt: skip
                read_depth_png(path, scale=0.001)

    def test_missing_corrupt_and_bad_chunks_name_the_file(self, tmp_path):
        with pytest.raises(FileFormatError, match=r"gone\.png: file not found"):
            read_depth_png(tmp_path / "gone.png", 0.001)
        (tmp_path / "bad.png").write_bytes(b"not a png")
        with pytest.raises(FileFormatError, match=r"bad\.png: cannot be read as a depth image"):
            read_depth_png(tmp_path / "bad.png", 0.001)
        info = PngImagePlugin.PngInfo()
        info.add_text("panodepth:scale", "-1")
        Image.fromarray(np.ones((4, 8), np.uint16)).save(tmp_path / "neg.png", pnginfo=info)
        with pytest.raises(FileFormatError, match=r"neg\.png: text chunk panodepth:scale"):
            read_depth_png(tmp_path / "neg.png")


class TestFloatDepth:
    def test_npy_and_exr_round_trip(self, tmp_path):
        depth = depth_map()
        np.testing.assert_array_equal(np.load(write_npy(tmp_path / "d.npy", depth)), depth)
        np.testing.assert_array_equal(read_npy(tmp_path / "d.npy"), depth)
        exr = write_exr(tmp_path / "d.exr", torch.from_numpy(depth)[None])
        back = read_exr(exr)
        assert back.dtype == np.float32
        np.testing.assert_array_equal(back, depth)
        with OpenEXR.File(str(exr)) as f:
            assert list(f.channels()) == ["Z"]
        assert not list(tmp_path.glob(".*"))  # no temporary files left behind
        assert (exr.stat().st_mode & 0o777) == 0o644

    def test_npy_rule_float_h_w(self, tmp_path):
        np.save(tmp_path / "ok.npy", np.ones((1, 4, 8), np.float64))
        ok = read_npy(tmp_path / "ok.npy")
        assert ok.shape == (4, 8) and ok.dtype == np.float32
        np.save(tmp_path / "int.npy", np.ones((4, 8), np.int32))
        with pytest.raises(FileFormatError, match=r"int\.npy: expected an H×W float depth map"):
            read_npy(tmp_path / "int.npy")
        np.save(tmp_path / "rgb.npy", np.ones((3, 4, 8), np.float32))
        with pytest.raises(FileFormatError, match=r"shape \(3, 4, 8\)"):
            read_npy(tmp_path / "rgb.npy")
        (tmp_path / "junk.npy").write_bytes(b"junk")
        with pytest.raises(FileFormatError, match=r"junk\.npy: cannot be read as a \.npy"):
            read_npy(tmp_path / "junk.npy")

    def test_exr_of_other_tools_and_bad_files(self, tmp_path):
        header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
        y = np.full((4, 8), 2.5, np.float32)
        with OpenEXR.File(header, {"Y": y}) as f:
            f.write(str(tmp_path / "y.exr"))
        np.testing.assert_array_equal(read_exr(tmp_path / "y.exr"), y)
        with OpenEXR.File(header, {"G": y, "B": y}) as f:
            f.write(str(tmp_path / "gb.exr"))
        with pytest.raises(FileFormatError, match=r"gb\.exr: no depth channel"):
            read_exr(tmp_path / "gb.exr")
        with pytest.raises(FileFormatError, match=r"gone\.exr: file not found"):
            read_exr(tmp_path / "gone.exr")
        (tmp_path / "bad.exr").write_bytes(b"not exr")
        with pytest.raises(FileFormatError, match=r"bad\.exr: cannot be read as an EXR"):
            read_exr(tmp_path / "bad.exr")
