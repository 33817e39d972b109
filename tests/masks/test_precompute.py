"""precompute_masks: one PNG per image, atomic, resumable, unreadable images reported."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import Tensor

from panodepth.io import write_png
from panodepth.masks import (
    Masker,
    NoMask,
    check_images,
    mask_paths,
    precompute_masks,
    read_valid_mask,
)


class BrightIsSky(Masker):
    """Pixels brighter than 0.5 are invalid; counts its calls and batch sizes."""

    def __init__(self, min_valid: float = 0.2) -> None:
        super().__init__(min_valid)
        self.batches: list[int] = []

    def forward(self, images: Tensor) -> Tensor:
        images = check_images(images)
        self.batches.append(images.shape[0])
        return images.mean(dim=1, keepdim=True) <= 0.5


def make_image(path: Path, h: int = 8, w: int = 16, bright_rows: int = 0) -> Path:
    img = torch.full((3, h, w), 0.2)
    img[:, :bright_rows] = 0.9
    return write_png(path, img)


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    src = tmp_path / "src"
    return [
        make_image(src / "a.png", bright_rows=2),  # 25 % invalid
        make_image(src / "b.png", bright_rows=7),  # 87.5 % invalid: below min_valid
        make_image(src / "c.jpg", bright_rows=0),
    ]


def tmp_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def test_writes_one_8bit_png_per_image(tmp_path: Path, images: list[Path]) -> None:
    out = tmp_path / "masks"
    summary = precompute_masks(BrightIsSky(), images, out, progress=False)
    assert summary.done == images
    assert summary.skipped == [] and summary.failed == {}
    for img in images:
        path = out / f"{img.stem}.png"
        assert summary.masks[img] == path
        with Image.open(path) as im:
            assert im.mode == "L" and im.size == (16, 8)
            assert set(np.unique(np.asarray(im)).tolist()) <= {0, 255}
    mask = read_valid_mask(out / "a.png")
    assert mask.shape == (1, 8, 16) and mask.dtype == torch.bool
    assert not mask[:, :2].any() and mask[:, 2:].all()  # 255 = valid
    assert summary.valid_share == pytest.approx({images[0]: 0.75, images[1]: 0.125, images[2]: 1.0})
    assert summary.dropped == [images[1]]
    assert tmp_files(out) == []
    assert "3 masks written" in str(summary)


def test_resume_skips_existing_masks(tmp_path: Path, images: list[Path]) -> None:
    out = tmp_path / "masks"
    precompute_masks(BrightIsSky(), images[:2], out, progress=False)
    before = (out / "a.png").stat().st_mtime_ns
    masker = BrightIsSky()
    summary = precompute_masks(masker, images, out, progress=False)
    assert summary.skipped == images[:2]
    assert summary.done == [images[2]]
    assert masker.batches == [1]  # only the new image went through the masker
    assert (out / "a.png").stat().st_mtime_ns == before
    # shares of skipped images are read back from their masks
    assert summary.valid_share[images[0]] == pytest.approx(0.75)
    assert summary.dropped == [images[1]]


def test_overwrite_recomputes(tmp_path: Path, images: list[Path]) -> None:
    out = tmp_path / "masks"
    precompute_masks(NoMask(), images, out, progress=False)
    summary = precompute_masks(BrightIsSky(), images, out, overwrite=True, progress=False)
    assert summary.done == images and summary.skipped == []
    assert not read_valid_mask(out / "a.png")[:, 0].any()


def test_unreadable_image_is_reported_and_the_run_goes_on(
    tmp_path: Path, images: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "src" / "broken.jpg"
    broken.write_bytes(b"not a jpeg at all")
    missing = tmp_path / "src" / "missing.png"
    out = tmp_path / "masks"
    paths = [images[0], broken, missing, images[2]]
    summary = precompute_masks(BrightIsSky(), paths, out, batch_size=4, progress=True)
    assert summary.done == [images[0], images[2]]
    assert set(summary.failed) == {broken, missing}
    assert "broken.jpg" in summary.failed[broken]
    assert "not found" in summary.failed[missing]
    captured = capsys.readouterr()
    assert "broken.jpg" in captured.out + captured.err
    assert not (out / "broken.png").exists()
    assert tmp_files(out) == []


def test_unreadable_image_is_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG garbage")
    precompute_masks(NoMask(), [broken], tmp_path / "masks", progress=False)
    captured = capsys.readouterr()
    assert "broken.png" in captured.out + captured.err


def test_batches_stack_only_same_size_runs(tmp_path: Path) -> None:
    src = tmp_path / "src"
    paths = [
        make_image(src / "a.png"),
        make_image(src / "b.png"),
        make_image(src / "c.png", h=4, w=8),
        make_image(src / "d.png"),
        make_image(src / "e.png"),
    ]
    masker = BrightIsSky()
    summary = precompute_masks(masker, paths, tmp_path / "masks", batch_size=4, progress=False)
    assert masker.batches == [2, 1, 1, 1]  # [a b | c | d] then [e]
    assert summary.done == paths
    assert read_valid_mask(tmp_path / "masks" / "c.png").shape == (1, 4, 8)


def test_damaged_existing_mask_is_redone(tmp_path: Path, images: list[Path]) -> None:
    out = tmp_path / "masks"
    out.mkdir()
    (out / "a.png").write_bytes(b"half a png")
    summary = precompute_masks(NoMask(), images[:1], out, progress=False)
    assert summary.done == images[:1]
    assert read_valid_mask(out / "a.png").all()


def test_failed_write_leaves_no_temp_file(
    tmp_path: Path, images: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args, **kwargs):
        raise OSError("disk full")

    Image.init()
    monkeypatch.setitem(Image.SAVE, "PNG", explode)
    out = tmp_path / "masks"
    with pytest.raises(OSError, match="disk full"):
        precompute_masks(NoMask(), images[:1], out, progress=False)
    assert list(out.iterdir()) == []


class TestMaskPaths:
    def test_same_stem_collides_without_root(self, tmp_path: Path) -> None:
        paths = [tmp_path / "x" / "pano.jpg", tmp_path / "y" / "pano.jpg"]
        with pytest.raises(ValueError, match="root="):
            mask_paths(paths, tmp_path / "masks")

    def test_root_mirrors_folders(self, tmp_path: Path) -> None:
        paths = [tmp_path / "x" / "pano.jpg", tmp_path / "y" / "pano.jpg"]
        targets = mask_paths(paths, tmp_path / "masks", root=tmp_path)
        assert list(targets.values()) == [
            tmp_path / "masks" / "x" / "pano.png",
            tmp_path / "masks" / "y" / "pano.png",
        ]

    def test_outside_root(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="not inside root"):
            mask_paths([tmp_path / "a.png"], tmp_path / "masks", root=tmp_path / "sub")

    def test_bad_batch_size(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="batch_size"):
            precompute_masks(NoMask(), [], tmp_path, batch_size=0)


def test_with_the_tiny_grounded_sam(tmp_path: Path, tiny_masker, images: list[Path]) -> None:
    summary = precompute_masks(tiny_masker, images, tmp_path / "masks", progress=False)
    assert summary.done == images
    for img in images:
        mask = read_valid_mask(summary.masks[img])
        assert mask.shape == (1, 8, 16)
        assert mask.float().mean().item() == pytest.approx(summary.valid_share[img])
