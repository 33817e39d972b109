"""ListDataset and the shared reader machinery (panodepth.data.datasets.base / listfile)."""

from __future__ import annotations

import re

import numpy as np
import OpenEXR
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from panodepth.data import Augment, DatasetError, ListDataset

H, W = 32, 64


def _rgb(path, h=H, w=W, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)).save(
        path
    )


def _metres(seed=0, h=H, w=W):
    return np.random.default_rng(seed).uniform(0.5, 12.0, (h, w)).astype(np.float32)


@pytest.fixture
def listed(tmp_path):
    """Two PNG pairs at 1 mm per unit, paths relative to the list file's folder."""
    for i in range(2):
        _rgb(tmp_path / "rgb" / f"{i}.png", seed=i)
        raw = np.round(_metres(i) * 1000).astype(np.uint16)
        raw[0, 0] = 0
        raw[1, 1] = 9999
        (tmp_path / "depth").mkdir(exist_ok=True)
        Image.fromarray(raw).save(tmp_path / "depth" / f"{i}.png")
    lst = tmp_path / "train.txt"
    lst.write_text("rgb/0.png depth/0.png\nrgb/1.png depth/1.png\n")
    return lst


class TestListDataset:
    def test_png_scale_and_extra_invalid_value(self, listed):
        ds = ListDataset(listed, depth_scale=0.001, invalid=9999, height=None)
        assert ds.names == ["rgb/0", "rgb/1"] and ds.labeled
        s = ds[0]
        raw = np.array(Image.open(listed.parent / "depth" / "0.png")).astype(np.float64)
        metres = torch.from_numpy(raw / 1000).float()[None]
        assert not s["valid"][0, 0, 0] and not s["valid"][0, 1, 1]
        ok = (metres > 0) & (metres <= 10) & torch.from_numpy(raw != 9999)[None]
        assert torch.equal(s["valid"], ok)
        assert torch.equal(s["depth"], torch.where(ok, metres, 0.0))
        assert s["roll"].dtype == torch.int64 and int(s["roll"]) == 0
        assert s["flip"].dtype == torch.bool and not bool(s["flip"])

    def test_npy_and_exr_are_float_metres(self, tmp_path):
        _rgb(tmp_path / "a.png")
        _rgb(tmp_path / "b.png")
        depth = _metres(3)
        depth[0, :4] = np.nan
        depth[1, :4] = np.inf
        np.save(tmp_path / "a.npy", depth)
        header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
        with OpenEXR.File(header, {"Z": depth}) as f:
            f.write(str(tmp_path / "b.exr"))
        (tmp_path / "l.txt").write_text("a.png a.npy\nb.png b.exr\n")
        ds = ListDataset(tmp_path / "l.txt", height=None)  # no PNG depth: no scale needed
        for s in (ds[0], ds[1]):
            d = torch.from_numpy(depth)[None]
            ok = torch.isfinite(d) & (d > 0) & (d <= 10)
            assert torch.equal(s["valid"], ok) and not s["valid"][0, :2, :4].any()
            assert torch.equal(s["depth"], torch.where(ok, d, 0.0))

    def test_root_is_configurable(self, listed, tmp_path):
        other = tmp_path / "lists"
        other.mkdir()
        moved = other / "t.txt"
        moved.write_text(listed.read_text())
        assert len(ListDataset(moved, root=tmp_path, depth_scale=0.001, height=16)) == 2

    def test_depth_is_resized_nearest(self, listed):
        s = ListDataset(listed, depth_scale=0.001, height=16)[1]
        assert s["rgb"].shape == (3, 16, 32) and s["valid"].shape == (1, 16, 32)
        raw = np.array(Image.open(listed.parent / "depth" / "1.png")).astype(np.float64)
        source = set((raw / 1000).astype(np.float32).ravel().tolist())
        assert set(s["depth"].flatten().tolist()) <= source | {0.0}

    def test_nearly_2to1_resizes_with_warning(self, tmp_path):
        _rgb(tmp_path / "r.png", h=32, w=63)
        np.save(tmp_path / "d.npy", _metres(0, 32, 63))
        (tmp_path / "l.txt").write_text("r.png d.npy\n")
        with pytest.warns(UserWarning, match=r"r\.png: 63×32 is not exactly 2:1"):
            s = ListDataset(tmp_path / "l.txt", height=16)[0]
        assert s["depth"].shape == (1, 16, 32)


class TestReproducibility:
    def test_same_seed_epoch_index_same_sample(self, listed):
        aug = Augment(jitter_p=1.0)
        a = ListDataset(listed, depth_scale=0.001, height=16, augment=aug, seed=3)
        b = ListDataset(listed, depth_scale=0.001, height=16, augment=aug, seed=3)
        for i in range(2):
            sa, sb = a[i], b[i]
            assert torch.equal(sa["rgb"], sb["rgb"]) and int(sa["roll"]) == int(sb["roll"])
        rolls = {(e, int(_set(a, e)[0]["roll"])) for e in range(6)}
        assert len({r for _, r in rolls}) > 1  # set_epoch draws new augmentations

    def test_dataloader_workers_do_not_change_samples(self, listed):
        ds = ListDataset(listed, depth_scale=0.001, height=16, augment=Augment(), seed=1)
        ref = [ds[i]["rgb"] for i in range(2)]
        loader = DataLoader(ds, batch_size=1, num_workers=2, shuffle=False)
        got = [batch["rgb"][0] for batch in loader]
        assert all(torch.equal(r, g) for r, g in zip(ref, got, strict=True))


def _set(ds, epoch):
    ds.set_epoch(epoch)
    return ds


class TestListDatasetErrors:
    def test_missing_list_file(self, tmp_path):
        with pytest.raises(DatasetError, match=r"nope\.txt: list file not found"):
            ListDataset(tmp_path / "nope.txt", depth_scale=0.001, height=16)

    def test_empty_list_file(self, tmp_path):
        (tmp_path / "l.txt").write_text("# nothing\n\n")
        with pytest.raises(DatasetError, match=r"l\.txt: list file has no entries"):
            ListDataset(tmp_path / "l.txt", depth_scale=0.001, height=16)

    def test_depth_scale_is_required_for_png(self, listed):
        with pytest.raises(DatasetError, match=r"need depth_scale=.*never guessed"):
            ListDataset(listed, height=16)

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("rgb/0.png", "expected 'rgb_path depth_path', got 1 field"),
            ("rgb/0.png depth/0.png extra", "got 3 field"),
            ("rgb/0.txt depth/0.png", "'rgb/0.txt' is not an RGB image"),
            ("rgb/0.png depth/0.jpg", "'depth/0.jpg' is not a depth map"),
        ],
    )
    def test_bad_line_names_file_and_line(self, listed, line, message):
        listed.write_text(f"rgb/1.png depth/1.png\n{line}\n")
        with pytest.raises(DatasetError, match=rf"train\.txt:2: .*{re.escape(message)}"):
            ListDataset(listed, depth_scale=0.001, height=16)

    def test_missing_files_listed(self, listed):
        listed.write_text("rgb/0.png depth/0.png\nrgb/7.png depth/7.png\n")
        with pytest.raises(DatasetError, match=r"2 missing file\(s\):\n.*7\.png: RGB file not"):
            ListDataset(listed, depth_scale=0.001, height=16)

    def test_duplicate_names(self, listed):
        listed.write_text("rgb/0.png depth/0.png\nrgb/0.png depth/1.png\n")
        with pytest.raises(DatasetError, match="two panoramas share the name 'rgb/0'"):
            ListDataset(listed, depth_scale=0.001, height=16)

    def test_corrupt_npy(self, tmp_path):
        _rgb(tmp_path / "a.png")
        (tmp_path / "a.npy").write_bytes(b"not numpy")
        (tmp_path / "l.txt").write_text("a.png a.npy\n")
        with pytest.raises(DatasetError, match=r"a\.npy: cannot be read as a \.npy array"):
            ListDataset(tmp_path / "l.txt", height=16)[0]

    def test_integer_npy_is_not_metres(self, tmp_path):
        _rgb(tmp_path / "a.png")
        np.save(tmp_path / "a.npy", np.ones((H, W), np.uint16))
        (tmp_path / "l.txt").write_text("a.png a.npy\n")
        with pytest.raises(DatasetError, match=r"a\.npy: expected an H×W float depth map"):
            ListDataset(tmp_path / "l.txt", height=16)[0]

    def test_far_from_2to1_is_rejected(self, tmp_path):
        _rgb(tmp_path / "sq.png", h=32, w=32)
        np.save(tmp_path / "sq.npy", _metres(0, 32, 32))
        (tmp_path / "l.txt").write_text("sq.png sq.npy\n")
        with pytest.raises(DatasetError, match=r"sq\.png: 32×32 .* is not an equirectangular"):
            ListDataset(tmp_path / "l.txt", height=16)[0]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"height": 0}, "height must be a positive integer"),
            ({"height": 16, "max_depth": -1.0}, "max_depth must be a positive number"),
            ({"height": 16, "depth_scale": -0.001}, "depth scale must be positive"),
        ],
    )
    def test_bad_arguments(self, listed, kwargs, message):
        kwargs.setdefault("depth_scale", 0.001)
        with pytest.raises(DatasetError, match=message):
            ListDataset(listed, **kwargs)
