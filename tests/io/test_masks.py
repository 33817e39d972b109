"""panodepth.io.masks: one mask reader (precomputed 255-valid, or label maps), one writer."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from panodepth.io import FileFormatError, read_mask, write_mask_png
from panodepth.masks import read_valid_mask


def test_precomputed_masks_are_valid_from_128(tmp_path):
    path = tmp_path / "m.png"
    Image.fromarray(np.array([[0, 127, 128, 255]], np.uint8)).save(path)
    expected = torch.tensor([[[False, False, True, True]]])
    assert torch.equal(read_mask(path), expected)
    assert torch.equal(read_mask(path, "precomputed"), expected)
    assert torch.equal(read_valid_mask(path), expected)  # panodepth.masks' name for it


def test_label_maps_are_valid_where_zero(tmp_path):
    path = write_mask_png(tmp_path / "sub" / "l.png", torch.tensor([[0, 1, 2, 0]]))
    assert torch.equal(read_mask(path, "labels"), torch.tensor([[[True, False, False, True]]]))
    with pytest.raises(ValueError, match="mask_format must be one of"):
        read_mask(path, "sky")


def test_one_bit_masks_and_the_writer_round_trip(tmp_path):
    bits = tmp_path / "b.png"
    Image.fromarray(np.array([[True, False]])).convert("1").save(bits)
    assert torch.equal(read_mask(bits), torch.tensor([[[True, False]]]))
    valid = torch.rand(1, 4, 8) > 0.5
    path = write_mask_png(tmp_path / "v.png", valid.to(torch.uint8) * 255)
    assert torch.equal(read_mask(path), valid)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_colour_missing_and_corrupt_masks_name_the_file(tmp_path):
    # one rule: a single-channel image (the old read_valid_mask converted colour to grey)
    Image.fromarray(np.zeros((4, 8, 3), np.uint8)).save(tmp_path / "rgb.png")
    with pytest.raises(FileFormatError, match=r"rgb\.png: expected a single-channel mask"):
        read_mask(tmp_path / "rgb.png")
    with pytest.raises(FileFormatError, match=r"gone\.png: file not found"):
        read_mask(tmp_path / "gone.png")
    (tmp_path / "bad.png").write_bytes(b"x")
    with pytest.raises(FileFormatError, match=r"bad\.png: cannot be read as a mask image"):
        read_mask(tmp_path / "bad.png", "labels")
