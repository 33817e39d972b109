"""Structured3D reader (panodepth.data.datasets.structured3d) on a fixture tree in its layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from panodepth.data import TEST_SCENES, TRAIN_SCENES, VAL_SCENES, DatasetError, Structured3D

H, W = 32, 64


def _room(root, scene, room, raw, rendering="full", depth_beside=True):
    pano = root / f"scene_{scene:05d}" / "2D_rendering" / str(room) / "panorama"
    (pano / rendering).mkdir(parents=True, exist_ok=True)
    rgb = np.full((H, W, 3), 40 * (scene % 5), np.uint8)
    Image.fromarray(rgb).save(pano / rendering / "rgb_rawlight.png")
    depth_path = pano / rendering / "depth.png" if depth_beside else pano / "depth.png"
    Image.fromarray(raw.astype(np.uint16)).save(depth_path)


def _raw(seed=0):
    raw = np.random.default_rng(seed).integers(300, 12000, (H, W)).astype(np.uint16)
    raw[:2] = 0  # no geometry: invalid
    return raw


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "Structured3D"
    _room(root, 0, 485142, _raw(0))
    _room(root, 0, 490854, _raw(1))
    _room(root, 3000, 1234, _raw(2))
    _room(root, 3250, 777, _raw(3), rendering="empty")
    return root


class TestStructured3D:
    def test_millimetres_and_0_invalid(self, tree):
        ds = Structured3D(tree, scenes=[0], height=None)
        assert ds.names == ["scene_00000/485142/full", "scene_00000/490854/full"]
        s = ds[0]
        raw = _raw(0)
        metres = torch.from_numpy(raw.astype(np.float64) / 1000).float()[None]
        ok = (metres > 0) & (metres <= 10)
        assert torch.equal(s["valid"], ok) and not s["valid"][:, :2].any()
        assert torch.equal(s["depth"], torch.where(ok, metres, 0.0))

    def test_max_depth_is_configurable(self, tree):
        s = Structured3D(tree, scenes=[0], height=None, max_depth=20.0)[0]
        assert s["depth"].max() > 10 and s["valid"].sum() == (_raw(0) > 0).sum()

    def test_official_splits(self, tree):
        assert (len(TRAIN_SCENES), len(VAL_SCENES), len(TEST_SCENES)) == (3000, 250, 250)
        with pytest.warns(UserWarning, match="2999 of 3000 requested Structured3D scenes"):
            train = Structured3D(tree, TRAIN_SCENES, height=16)
        assert len(train) == 2
        with pytest.warns(UserWarning):
            assert Structured3D(tree, VAL_SCENES, height=16).names == ["scene_03000/1234/full"]

    def test_rendering_and_parent_root(self, tree):
        ds = Structured3D(tree.parent, rendering="empty", height=16)  # holds Structured3D/
        assert ds.names == ["scene_03250/777/empty"]
        s = ds[0]
        assert s["rgb"].shape == (3, 16, 32) and s["depth"].shape == (1, 16, 32)
        source = set((_raw(3).astype(np.float64) / 1000).astype(np.float32).ravel().tolist())
        assert set(s["depth"].flatten().tolist()) <= source | {0.0}

    def test_depth_one_level_up_is_accepted(self, tmp_path):
        _room(tmp_path, 7, 1, _raw(4), depth_beside=False)
        ds = Structured3D(tmp_path, height=16)
        assert ds.records[0].depth == (
            tmp_path / "scene_00007" / "2D_rendering" / "1" / "panorama" / "depth.png"
        )


class TestStructured3DErrors:
    def test_missing_root(self, tmp_path):
        with pytest.raises(DatasetError, match="Structured3D root folder not found"):
            Structured3D(tmp_path / "nope", height=16)

    def test_no_panoramas(self, tree):
        with pytest.raises(DatasetError, match="no Structured3D panoramas found"):
            Structured3D(tree, rendering="simple", height=16)

    def test_bad_rendering(self, tree):
        with pytest.raises(DatasetError, match="rendering must be one of"):
            Structured3D(tree, rendering="furnished", height=16)

    def test_missing_depth(self, tree):
        (
            tree / "scene_03000" / "2D_rendering" / "1234" / "panorama" / "full" / "depth.png"
        ).unlink()
        with pytest.raises(DatasetError, match=r"1234/panorama/full/depth\.png: depth file not"):
            Structured3D(tree, height=16)

    def test_truncated_depth_raises_when_read(self, tree):
        path = tree / "scene_00000" / "2D_rendering" / "490854" / "panorama" / "full" / "depth.png"
        path.write_bytes(path.read_bytes()[:60])
        ds = Structured3D(tree, scenes=[0], height=16)
        with pytest.raises(DatasetError, match=r"full/depth\.png: cannot be read"):
            ds[1]


def test_split_names_and_unlabeled_reading(tmp_path):
    root = tmp_path / "s3d"
    rgb = root / "scene_00003" / "2D_rendering" / "1" / "panorama" / "full" / "rgb_rawlight.png"
    rgb.parent.mkdir(parents=True)
    Image.new("RGB", (64, 32), (10, 20, 30)).save(rgb)  # no depth.png: fine when unlabeled
    missing = "2999 of 3000 requested Structured3D scenes are not there"  # said, not hidden
    with pytest.warns(UserWarning, match=missing):
        sample = Structured3D(root, scenes="train", labeled=False, height=16)[0]
    assert "depth" not in sample and sample["rgb"].shape == (3, 16, 32)
    with pytest.raises(DatasetError, match="depth"), pytest.warns(UserWarning, match=missing):
        Structured3D(root, scenes="train", height=16)
    with pytest.raises(DatasetError, match="one of"):
        Structured3D(root, scenes="training", height=16)
