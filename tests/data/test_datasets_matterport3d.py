"""Matterport3D reader (panodepth.data.datasets.matterport3d) on a fixture tree in its layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from panodepth.data import DatasetError, Matterport3D

H, W = 32, 64


def _scene(root, scene, pano, raw, rgb_suffix=".jpg"):
    (root / scene / "pano_skybox_color").mkdir(parents=True, exist_ok=True)
    (root / scene / "pano_depth").mkdir(parents=True, exist_ok=True)
    rgb = np.random.default_rng(0).integers(0, 255, (H, W, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(root / scene / "pano_skybox_color" / f"{pano}{rgb_suffix}")
    Image.fromarray(raw.astype(np.uint16)).save(root / scene / "pano_depth" / f"{pano}.png")


def _raw(seed=0):
    raw = np.random.default_rng(seed).integers(1, 60000, (H, W)).astype(np.uint16)
    raw[0, :5] = 0  # invalid
    return raw


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "mp3d"
    _scene(root, "17DRP5sb8fy", "aaa", _raw(0))
    _scene(root, "17DRP5sb8fy", "bbb", _raw(1))
    _scene(root, "B6ByNegPMKs", "ccc", _raw(2))
    return root


class TestMatterport3D:
    def test_scan_reads_metres_at_1_over_4000(self, tree):
        ds = Matterport3D(tree, height=None)
        assert ds.names == ["17DRP5sb8fy/aaa", "17DRP5sb8fy/bbb", "B6ByNegPMKs/ccc"]
        s = ds[0]
        raw = _raw(0)
        expected = torch.from_numpy(raw.astype(np.float64) / 4000).float()[None]
        assert s["depth"].dtype == torch.float32 and s["depth"].shape == (1, H, W)
        assert torch.equal(s["depth"], expected * (expected <= 10))  # exact, 0 beyond 10 m
        assert not s["valid"][0, 0, :5].any()
        assert torch.equal(s["valid"], (expected > 0) & (expected <= 10))
        assert (s["depth"][~s["valid"]] == 0).all()
        assert s["rgb"].shape == (3, H, W) and s["rgb_teacher"] is s["rgb"]
        assert "region_valid" not in s

    def test_resize_to_height_16_uses_nearest_depth(self, tree):
        s = Matterport3D(tree, height=16)[1]
        assert s["rgb"].shape == (3, 16, 32) and s["depth"].shape == (1, 16, 32)
        source = set((_raw(1).astype(np.float64) / 4000).astype(np.float32).ravel().tolist())
        assert set(s["depth"].flatten().tolist()) <= source | {0.0}

    def test_unifuse_split_file(self, tree, tmp_path):
        split = tmp_path / "matterport3d_test.txt"
        split.write_text(
            "B6ByNegPMKs/pano_skybox_color/ccc.jpg B6ByNegPMKs/pano_depth/ccc.png\n"
            "# a comment\n\n"
            "17DRP5sb8fy/pano_skybox_color/aaa.jpg 17DRP5sb8fy/pano_depth/aaa.png\n"
        )
        ds = Matterport3D(tree, split, height=16)
        assert ds.names == ["B6ByNegPMKs/ccc", "17DRP5sb8fy/aaa"]

    def test_bare_scene_id_lines(self, tree, tmp_path):
        split = tmp_path / "split.txt"
        split.write_text("17DRP5sb8fy bbb\nB6ByNegPMKs/ccc\n")
        ds = Matterport3D(tree, split, height=16)
        assert ds.names == ["17DRP5sb8fy/bbb", "B6ByNegPMKs/ccc"]
        assert ds.paths[0] == tree / "17DRP5sb8fy" / "pano_skybox_color" / "bbb.jpg"


class TestMatterport3DErrors:
    def test_missing_root(self, tmp_path):
        with pytest.raises(DatasetError, match=r"nope: Matterport3D root folder not found"):
            Matterport3D(tmp_path / "nope", height=16)

    def test_empty_root(self, tmp_path):
        with pytest.raises(DatasetError, match="no Matterport3D panoramas found"):
            Matterport3D(tmp_path, height=16)

    def test_missing_depth_partner_is_named(self, tree):
        (tree / "B6ByNegPMKs" / "pano_depth" / "ccc.png").unlink()
        with pytest.raises(DatasetError, match=r"ccc\.png: depth file not found \(partner of"):
            Matterport3D(tree, height=16)

    def test_bad_split_line_names_file_and_line(self, tree, tmp_path):
        split = tmp_path / "split.txt"
        split.write_text("17DRP5sb8fy bbb\na b c\n")
        with pytest.raises(DatasetError, match=r"split\.txt:2: expected"):
            Matterport3D(tree, split, height=16)

    def test_corrupt_rgb_raises_when_read(self, tree):
        (tree / "17DRP5sb8fy" / "pano_skybox_color" / "aaa.jpg").write_bytes(b"garbage")
        ds = Matterport3D(tree, height=16)  # layout is fine
        with pytest.raises(DatasetError, match=r"aaa\.jpg: cannot be read as an image"):
            ds[0]

    def test_8bit_depth_is_rejected(self, tree):
        path = tree / "17DRP5sb8fy" / "pano_depth" / "aaa.png"
        Image.fromarray(np.zeros((H, W), np.uint8)).save(path)
        with pytest.raises(DatasetError, match=r"aaa\.png: expected a 16-bit single-channel"):
            Matterport3D(tree, height=16)[0]

    def test_depth_rgb_shape_mismatch(self, tree):
        path = tree / "17DRP5sb8fy" / "pano_depth" / "bbb.png"
        Image.fromarray(np.ones((H // 2, W // 2), np.uint16)).save(path)
        with pytest.raises(DatasetError, match=r"bbb\.png: is 32×16 but its RGB bbb\.jpg is 64×32"):
            Matterport3D(tree, height=16)[1]
