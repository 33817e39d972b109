"""UnlabeledPanoramas and SyntheticPanoramas (panodepth.data.datasets.unlabeled / synthetic)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from panodepth.data import Augment, DatasetError, SyntheticPanoramas, UnlabeledPanoramas
from panodepth.data.synthetic import DEPTH_SCALE, synthesize

H, W = 32, 64


def _rgb(path, h=H, w=W):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)


def _mask(path, value_left, value_right):
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.full((H, W), value_left, np.uint8)
    arr[:, W // 2 :] = value_right
    Image.fromarray(arr).save(path)


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "wild"
    _rgb(root / "a.jpg")
    _rgb(root / "trip" / "b.png")
    (root / "notes.txt").write_text("not an image")
    return root


class TestUnlabeledPanoramas:
    def test_folder_is_scanned_recursively(self, folder):
        ds = UnlabeledPanoramas(folder, height=16)
        assert ds.names == ["a", "trip/b"] and not ds.labeled
        s = ds[1]
        assert set(s) == {"rgb", "rgb_teacher", "roll", "flip", "name"}
        assert s["rgb"].shape == (3, 16, 32) and s["name"] == "trip/b"

    def test_names_are_those_of_collect_inputs(self, folder):
        from panodepth.io import collect_inputs

        _rgb(folder / ".thumbs" / "a.png")  # hidden folders and files are skipped
        _rgb(folder / ".a.png")
        ds = UnlabeledPanoramas(folder, height=16)
        assert [(i.name, i.path) for i in collect_inputs(folder)] == list(
            zip(ds.names, ds.paths, strict=True)
        )
        assert ds.names == ["a", "trip/b"]

    def test_single_image_and_list_file(self, folder, tmp_path):
        assert UnlabeledPanoramas(folder / "a.jpg", height=16).names == ["a"]
        lst = folder / "unlabeled.txt"
        lst.write_text("trip/b.png\na.jpg depth/ignored.png  # labeled lists work too\n")
        ds = UnlabeledPanoramas(lst, height=16)
        assert ds.names == ["trip/b", "a"] and ds.paths[1] == folder / "a.jpg"

    def test_precomputed_masks_255_valid(self, folder, tmp_path):
        masks = tmp_path / "masks"
        _mask(masks / "a.png", 255, 0)  # mirrors the folder (mask_paths with root=)
        _mask(masks / "b.png", 0, 255)  # by stem (mask_paths without root)
        ds = UnlabeledPanoramas(folder, masks, height=None)
        a, b = ds[0]["region_valid"], ds[1]["region_valid"]
        assert a.dtype == torch.bool and a.shape == (1, H, W)
        assert a[..., : W // 2].all() and not a[..., W // 2 :].any()
        assert not b[..., : W // 2].any() and b[..., W // 2 :].all()

    def test_label_masks_0_valid_and_resized_with_roll(self, folder, tmp_path):
        masks = folder / "masks"  # inside the source folder: not read as images
        _mask(masks / "a.png", 0, 2)
        _mask(masks / "trip" / "b.png", 1, 0)
        ds = UnlabeledPanoramas(folder, masks, mask_format="labels", height=16, augment=Augment())
        assert ds.names == ["a", "trip/b"]
        s = ds[0]
        expected = torch.zeros(1, 16, 32, dtype=torch.bool)
        expected[..., :16] = True
        expected = torch.roll(expected, int(s["roll"]), dims=-1)
        if s["flip"]:
            expected = expected.flip(-1)
        assert torch.equal(s["region_valid"], expected)


class TestUnlabeledErrors:
    def test_missing_source(self, tmp_path):
        with pytest.raises(DatasetError, match="no such folder, image or list file"):
            UnlabeledPanoramas(tmp_path / "nope", height=16)

    def test_no_images(self, tmp_path):
        with pytest.raises(DatasetError, match="no images found"):
            UnlabeledPanoramas(tmp_path, height=16)

    def test_missing_mask_is_named(self, folder, tmp_path):
        _mask(tmp_path / "masks" / "a.png", 255, 255)
        with pytest.raises(DatasetError, match=r"1 image\(s\) without a mask:\n.*b\.png: no mask"):
            UnlabeledPanoramas(folder, tmp_path / "masks", height=16)

    def test_bad_list_line(self, folder):
        (folder / "l.txt").write_text("a.jpg\nb.gif\n")
        with pytest.raises(DatasetError, match=r"l\.txt:2: 'b\.gif' is not an image"):
            UnlabeledPanoramas(folder / "l.txt", height=16)

    def test_not_an_image_or_a_list_file(self, folder):
        # one list-file rule (panodepth.io): .txt, .lst, .list; other files are not lists
        (folder / "l.csv").write_text("a.jpg\n")
        with pytest.raises(DatasetError, match=r"l\.csv: not an image .* or a list file"):
            UnlabeledPanoramas(folder / "l.csv", height=16)

    def test_two_images_with_one_name(self, folder):
        _rgb(folder / "trip" / "b.jpg")
        with pytest.raises(DatasetError, match=r"named 'trip/b': .*b\.jpg and .*b\.png"):
            UnlabeledPanoramas(folder, height=16)

    def test_unreadable_image_when_read(self, folder):
        (folder / "a.jpg").write_bytes(b"\xff\xd8 broken jpeg")
        ds = UnlabeledPanoramas(folder, height=16)
        with pytest.raises(DatasetError, match=r"a\.jpg: cannot be read as an image"):
            ds[0]

    def test_mask_size_mismatch(self, folder, tmp_path):
        _mask(tmp_path / "m" / "a.png", 255, 255)
        Image.fromarray(np.zeros((8, 16), np.uint8)).save(tmp_path / "m" / "b.png")
        ds = UnlabeledPanoramas(folder, tmp_path / "m", height=16)
        with pytest.raises(DatasetError, match=r"b\.png: is 16×8 but its RGB b\.png is 64×32"):
            ds[1]


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "outdoor"
    synthesize(out, "outdoor", 2, height=16, watermark_prob=1.0, progress=False)
    return out


class TestSyntheticPanoramas:
    def test_labeled_reads_depth_with_meta_scale(self, synth):
        ds = SyntheticPanoramas(synth, height=None, max_depth=1000.0)
        assert ds.names == ["00000", "00001"] and ds.labeled
        s = ds[0]
        raw = np.array(Image.open(synth / "depth" / "00000.png")).astype(np.float64)
        metres = torch.from_numpy(raw * DEPTH_SCALE).float()[None]
        assert torch.equal(s["depth"], metres) and torch.equal(s["valid"], metres > 0)
        labels = torch.from_numpy(np.array(Image.open(synth / "mask" / "00000.png")))[None]
        assert torch.equal(s["region_valid"], labels == 0)
        assert (labels == 2).any() and (labels == 1).any()  # watermark and sky are invalid

    def test_unlabeled_view_has_no_depth(self, synth):
        s = SyntheticPanoramas(synth, labeled=False, height=8)[1]
        assert "depth" not in s and "valid" not in s
        assert s["region_valid"].shape == (1, 8, 16)

    def test_not_a_synth_folder(self, tmp_path):
        with pytest.raises(DatasetError, match=r"meta\.json: not found"):
            SyntheticPanoramas(tmp_path, height=16)

    def test_other_format(self, synth, tmp_path):
        meta = json.loads((synth / "meta.json").read_text())
        meta["format"] = "something-else/9"
        (tmp_path / "meta.json").write_text(json.dumps(meta))
        with pytest.raises(DatasetError, match="format 'something-else/9' is not"):
            SyntheticPanoramas(tmp_path, height=16)
