"""Cached pseudo labels: precompute K rotations per panorama, shard, resume, load a draw."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file
from torch import nn

from panodepth.distill import FaceProjection, TeacherSource, panorama_to_faces
from panodepth.distill.cache import load_pseudo_labels, precompute_pseudo_labels, shard
from panodepth.io import collect_inputs


class LuminanceTeacher(nn.Module):
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return images.mean(1, keepdim=True) * 3 + 1


def write_panoramas(folder, n=3):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray(rng.integers(0, 255, (16, 32, 3), dtype=np.uint8)).save(
            folder / f"p{i}.png"
        )
    return folder


def test_collect_inputs(tmp_path):
    folder = write_panoramas(tmp_path / "panos")
    assert [i.path.name for i in collect_inputs(folder)] == ["p0.png", "p1.png", "p2.png"]
    listing = tmp_path / "panos" / "list.txt"
    listing.write_text("# unlabeled\np1.png\np2.png depth/p2.png\n")
    assert [i.path for i in collect_inputs(listing)] == [folder / "p1.png", folder / "p2.png"]
    listing.write_text("a b c\n")
    with pytest.raises(ValueError, match=r"list.txt:1: expected 'rgb \[depth\]'"):
        collect_inputs(listing)


def test_precompute_writes_k_draws_and_loads_them(tmp_path):
    folder = write_panoramas(tmp_path / "panos")
    source = TeacherSource(LuminanceTeacher())
    out = tmp_path / "labels"
    summary = precompute_pseudo_labels(source, collect_inputs(folder), out, rotations=4,
                                       save_faces=True, progress=False)  # fmt: skip
    assert sorted(summary.done) == ["p0", "p1", "p2"] and not summary.failed
    t = load_file(str(out / "p1.safetensors"))
    assert t["disparity"].shape == (4, 6, 1, 8, 8) and t["disparity"].dtype == torch.float16
    assert t["rotation"].shape == (4, 3, 3) and t["faces"].dtype == torch.uint8
    # the stored labels are the teacher's output on the stored views of the stored rotation
    faces = t["faces"].float() / 255
    assert torch.allclose(t["disparity"].float(), faces.mean(2, keepdim=True) * 3 + 1, atol=0.02)
    labels = load_pseudo_labels(out / "p1.safetensors", draw=2)
    assert torch.equal(labels.rotation, t["rotation"][2:3])
    assert labels.projection == FaceProjection("cube", 8)
    pano = torch.from_numpy(np.array(Image.open(folder / "p1.png"))).permute(2, 0, 1)[None] / 255
    views = panorama_to_faces(pano.float(), labels.rotation, labels.projection)
    assert torch.allclose(labels.disparity, views.mean(2, keepdim=True) * 3 + 1, atol=0.01)


def test_resume_shards_and_determinism(tmp_path):
    folder = write_panoramas(tmp_path / "panos", n=5)
    inputs = collect_inputs(folder)
    source = TeacherSource(LuminanceTeacher())
    a = precompute_pseudo_labels(source, inputs, tmp_path / "a", 2, rank=0, world_size=2,
                                 progress=False)  # fmt: skip
    b = precompute_pseudo_labels(source, inputs, tmp_path / "a", 2, rank=1, world_size=2,
                                 progress=False)  # fmt: skip
    assert sorted(a.done + b.done) == [f"p{i}" for i in range(5)] and not set(a.done) & set(b.done)
    again = precompute_pseudo_labels(source, inputs, tmp_path / "a", 2, progress=False)
    assert again.done == [] and len(again.skipped) == 5
    single = precompute_pseudo_labels(source, inputs, tmp_path / "b", 2, progress=False)
    assert len(single.done) == 5
    for i in range(5):  # the draws depend only on (seed, name), not on the sharding
        x = load_file(str(tmp_path / "a" / f"p{i}.safetensors"))["rotation"]
        y = load_file(str(tmp_path / "b" / f"p{i}.safetensors"))["rotation"]
        assert torch.equal(x, y)
    assert not list((tmp_path / "a").glob("*.tmp"))
    with pytest.raises(ValueError, match="rank must be"):
        shard([1, 2], 2, 2)


def test_bad_inputs_are_reported_and_the_rest_is_done(tmp_path):
    folder = write_panoramas(tmp_path / "panos", n=2)
    (folder / "broken.png").write_bytes(b"nope")
    summary = precompute_pseudo_labels(TeacherSource(LuminanceTeacher()), collect_inputs(folder),
                                       tmp_path / "out", 1, progress=False)  # fmt: skip
    assert sorted(summary.done) == ["p0", "p1"]
    assert len(summary.failed) == 1 and "broken.png" in summary.failed[0]


def test_load_rejects_bad_files(tmp_path):
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable pseudo-label file"):
        load_pseudo_labels(bad)


def _labels_file(path, metadata):
    """A file with the cache's tensors (one draw of six 8-px faces) and the given metadata."""
    from safetensors.torch import save_file

    k = torch.zeros(1, 6, 1, 8, 8)
    tensors = {"disparity": k.half(), "valid": k.to(torch.uint8), "rotation": torch.eye(3)[None],
               "keep": torch.ones(1, dtype=torch.uint8)}  # fmt: skip
    save_file(tensors, str(path), metadata=metadata)
    return path


@pytest.mark.parametrize("tag", [None, "panodepth-pseudo-labels/0", "panodepth-student/1"])
def test_files_without_the_format_tag_are_refused_by_name(tmp_path, tag):
    from panodepth.data import UnlabeledPanoramas
    from panodepth.distill import CachedPseudoLabels
    from panodepth.distill.cache import FORMAT, read_pseudo_label_file

    folder = write_panoramas(tmp_path / "panos", n=1)
    meta = {"source": str(folder / "p0.png"), "projection": '{"kind": "cube", "face_size": 8}'}
    if tag is not None:
        meta["format"] = tag
    (tmp_path / "labels").mkdir()
    bad = _labels_file(tmp_path / "labels" / "p0.safetensors", meta)
    for read in (load_pseudo_labels, read_pseudo_label_file):
        with pytest.raises(ValueError, match=r"p0\.safetensors: not a panodepth pseudo-label"):
            read(bad)
    with pytest.raises(ValueError, match=rf"p0\.safetensors.*{FORMAT}"):
        CachedPseudoLabels(UnlabeledPanoramas(folder, height=16), tmp_path / "labels")
    # the same file with the tag is read, as the record the online teacher makes
    _labels_file(bad, {**meta, "format": FORMAT})
    labels = load_pseudo_labels(bad)
    assert labels.projection == FaceProjection("cube", 8) and labels.valid.dtype == torch.bool
    assert labels.disparity.shape == (1, 6, 1, 8, 8) and labels.disparity.dtype == torch.float32


def test_written_files_carry_the_format_and_what_rebuilds_the_views(tmp_path):
    from safetensors import safe_open

    from panodepth.distill.cache import FORMAT

    folder = write_panoramas(tmp_path / "panos", n=1)
    out = tmp_path / "labels"
    tangent = FaceProjection("tangent", 8, level=0, fov_deg=70.0)
    precompute_pseudo_labels(TeacherSource(LuminanceTeacher(), projection=tangent, name="lum"),
                             folder, out, rotations=2, progress=False)  # fmt: skip
    with safe_open(str(out / "p0.safetensors"), framework="pt") as f:
        meta = f.metadata()
    assert meta["format"] == FORMAT and meta["teacher"] == "lum"
    assert meta["projection"] == '{"kind": "tangent", "face_size": 8, "level": 0, "fov_deg": 70.0}'
    assert load_pseudo_labels(out / "p0.safetensors", draw=1).projection == tangent


def test_an_old_file_in_the_cache_is_labelled_again_not_skipped(tmp_path):
    folder = write_panoramas(tmp_path / "panos", n=2)
    out = tmp_path / "labels"
    out.mkdir()
    _labels_file(out / "p0.safetensors", {"source": str(folder / "p0.png")})  # no format tag
    summary = precompute_pseudo_labels(TeacherSource(LuminanceTeacher()), folder, out, 2,
                                       progress=False)  # fmt: skip
    assert sorted(summary.done) == ["p0", "p1"] and not summary.skipped
    assert load_pseudo_labels(out / "p0.safetensors", draw=1).rotation.shape == (1, 3, 3)
