"""Stanford2D3D reader (panodepth.data.datasets.stanford2d3d) on a fixture tree in its layout."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from panodepth.data import TEST_AREAS, TRAIN_AREAS, DatasetError, Stanford2D3D

H, W = 32, 64


def _stem(cam, room):
    return f"camera_{cam}_{room}_frame_equirectangular_domain"


def _pano(root, area, cam, room, raw, alpha=True):
    rgb_dir, depth_dir = root / area / "pano" / "rgb", root / area / "pano" / "depth"
    rgb_dir.mkdir(parents=True, exist_ok=True)
    depth_dir.mkdir(parents=True, exist_ok=True)
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[..., 1] = 255
    rgba[..., 3] = 3  # alpha must be dropped, not mixed into the colours
    img = rgba if alpha else rgba[..., :3]
    Image.fromarray(img).save(rgb_dir / f"{_stem(cam, room)}_rgb.png")
    Image.fromarray(raw.astype(np.uint16)).save(depth_dir / f"{_stem(cam, room)}_depth.png")


def _raw(seed=0):
    raw = np.random.default_rng(seed).integers(1, 5120, (H, W)).astype(np.uint16)
    raw[3, :7] = 65535  # Stanford2D3D's missing depth
    raw[4, :2] = 0
    return raw


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "s2d3d"
    _pano(root, "area_1", "0a1b", "office_1", _raw(0))
    _pano(root, "area_5a", "29bb", "hallway_1", _raw(1))
    _pano(root, "area_5b", "77cc", "office_38", _raw(2), alpha=False)
    _pano(root, "area_6", "99dd", "lobby_1", _raw(3))
    return root


class TestStanford2D3D:
    def test_metres_at_1_over_512_and_65535_invalid(self, tree):
        ds = Stanford2D3D(tree, areas=["1"], height=None)
        assert ds.names == [f"area_1/{_stem('0a1b', 'office_1')}"]
        s = ds[0]
        raw = _raw(0)
        metres = torch.from_numpy(raw.astype(np.float64) / 512).float()[None]
        ok = torch.from_numpy((raw != 65535) & (raw != 0))[None]
        assert torch.equal(s["valid"], ok)  # all valid ones are < 10 m
        assert torch.equal(s["depth"], torch.where(ok, metres, 0.0))

    def test_rgba_alpha_is_dropped(self, tree):
        rgb = Stanford2D3D(tree, areas=[1], height=16)[0]["rgb"]
        assert rgb.shape == (3, 16, 32)
        assert torch.equal(rgb[1], torch.ones(16, 32)) and rgb[[0, 2]].abs().max() == 0

    def test_area_5_means_5a_and_5b(self, tree):
        test = Stanford2D3D(tree, areas=TEST_AREAS, height=16)
        assert [n.split("/")[0] for n in test.names] == ["area_5a", "area_5b"]
        train = Stanford2D3D(tree, areas=TRAIN_AREAS, height=16)
        assert [n.split("/")[0] for n in train.names] == ["area_1", "area_6"]
        only = Stanford2D3D(tree, areas=["area_5b"], height=16)
        assert [n.split("/")[0] for n in only.names] == ["area_5b"]
        assert len(Stanford2D3D(tree, height=16)) == 4

    def test_resize_nearest_values_are_a_subset(self, tree):
        s = Stanford2D3D(tree, areas=["6"], height=16)[0]
        source = set((_raw(3).astype(np.float64) / 512).astype(np.float32).ravel().tolist())
        assert set(s["depth"].flatten().tolist()) <= source | {0.0}

    def test_split_file_filtered_by_area(self, tree, tmp_path):
        split = tmp_path / "stanford2d3d_test.txt"
        lines = []
        for area, cam, room in (("area_5a", "29bb", "hallway_1"), ("area_6", "99dd", "lobby_1")):
            stem = _stem(cam, room)
            lines.append(f"{area}/pano/rgb/{stem}_rgb.png {area}/pano/depth/{stem}_depth.png")
        split.write_text("\n".join(lines) + "\n")
        ds = Stanford2D3D(tree, split, areas=TEST_AREAS, height=16)
        assert ds.names == [f"area_5a/{_stem('29bb', 'hallway_1')}"]
        assert len(Stanford2D3D(tree, split, height=16)) == 2


class TestStanford2D3DErrors:
    def test_missing_root(self, tmp_path):
        with pytest.raises(DatasetError, match="Stanford2D3D root folder not found"):
            Stanford2D3D(tmp_path / "nope", height=16)

    def test_no_panoramas_for_areas(self, tree):
        with pytest.raises(DatasetError, match=r"no Stanford2D3D panoramas for areas \['3'\]"):
            Stanford2D3D(tree, areas=["3"], height=16)

    def test_bad_area_selector(self, tree):
        with pytest.raises(DatasetError, match="unknown Stanford2D3D area 'five'"):
            Stanford2D3D(tree, areas=["five"], height=16)

    def test_missing_depth_partner(self, tree):
        (tree / "area_6" / "pano" / "depth" / f"{_stem('99dd', 'lobby_1')}_depth.png").unlink()
        with pytest.raises(DatasetError, match=r"lobby_1_frame_equirectangular_domain_depth\.png"):
            Stanford2D3D(tree, height=16)

    def test_rgb_depth_as_depth_is_rejected(self, tree):
        stem = _stem("99dd", "lobby_1")
        rgb = Image.open(tree / "area_6" / "pano" / "rgb" / f"{stem}_rgb.png")
        rgb.save(tree / "area_6" / "pano" / "depth" / f"{stem}_depth.png")
        with pytest.raises(DatasetError, match=r"_depth\.png: expected a 16-bit single-channel"):
            Stanford2D3D(tree, areas=[6], height=16)[0]


def test_the_shipped_zero_shot_config_reads_area_5(tree):
    from pathlib import Path

    from panodepth.data.config import dataset_from_config

    config = Path(__file__).parents[2] / "configs" / "eval" / "stanford2d3d_zero_shot.yaml"
    ds = dataset_from_config(config, root=str(tree))
    assert isinstance(ds, Stanford2D3D) and ds.height == 512
    assert [n.split("/")[0] for n in ds.names] == ["area_5a", "area_5b"]
