"""The simulated teacher: exact labels without degradation, noise, sky, cache, determinism."""

from __future__ import annotations

import pytest
import torch

from panodepth.data.datasets.synthetic import SyntheticPanoramas
from panodepth.data.synthetic import render_sample
from panodepth.data.synthetic.dataset import synthesize
from panodepth.distill import (
    CachedPseudoLabels,
    PseudoLabels,
    SimulatedSource,
    SimulationParams,
    pseudo_label_loss,
    student_to_faces,
)
from panodepth.distill.cache import precompute_pseudo_labels, read_pseudo_label_file
from panodepth.distill.simulated import simulated_pseudo_labels
from panodepth.geometry import random_rotation

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def home():
    s = render_sample("home", 0, height=64)
    return s.depth[None].expand(2, -1, -1, -1)


@pytest.fixture(scope="module")
def outdoor():
    s = render_sample("outdoor", 1, height=64)
    assert (~s.valid).any()  # the outdoor domain has sky
    return s.depth[None], s.valid[None]


def gt_disparity(depth):
    return torch.where(depth > 0, 1 / depth.clamp_min(1e-6), torch.zeros_like(depth))


def rotations(n, seed=0):
    return random_rotation(n, 45.0, generator=torch.Generator().manual_seed(seed))


CLEAN = SimulationParams(blur_sigma=0, noise=0, scale_range=1, shift_max=0)


def test_clean_labels_are_the_true_face_disparity(home):
    rot = rotations(2)
    clean = simulated_pseudo_labels(home, rot, params=CLEAN)
    exact = student_to_faces(gt_disparity(home), rot)
    assert clean.disparity.shape == (2, 6, 1, 32, 32) and clean.valid.all()
    assert torch.allclose(clean.disparity, exact, rtol=1e-5)
    # with the (default) random per-face affine the values differ, the loss does not
    labels = simulated_pseudo_labels(
        home, rot, params=SimulationParams(blur_sigma=0, noise=0),
        generator=torch.Generator().manual_seed(1),
    )  # fmt: skip
    ratio = (labels.disparity / exact).flatten(2)
    assert ratio.std(-1).max() > 1e-3  # an affine, not a pure scale ...
    assert ratio.median(-1).values.std() > 0.05  # ... different for every face
    assert pseudo_label_loss(gt_disparity(home), labels) < 0.05
    assert torch.equal(labels.rotation, rot) and labels.keep.all()


def test_blur_and_noise_make_the_labels_harder(home):
    rot = rotations(2, seed=3)

    def loss(**kw):
        g = torch.Generator().manual_seed(2)
        return float(pseudo_label_loss(gt_disparity(home), simulated_pseudo_labels(
            home, rot, generator=g, params=SimulationParams(**kw))))  # fmt: skip

    clean = loss(blur_sigma=0, noise=0)
    noisy = loss(blur_sigma=0, noise=0.05)
    blurred = loss(blur_sigma=1.5, noise=0)
    assert clean < 0.05
    assert noisy > clean + 0.05 and loss(blur_sigma=0, noise=0.2) > noisy
    assert blurred > clean + 0.01
    assert loss(blur_sigma=0, noise=0, additive_noise=0.1) > clean + 0.05


def test_sky_is_invalid(outdoor):
    depth, valid = outdoor
    rot = torch.eye(3)[None]
    labels = simulated_pseudo_labels(depth, rot, generator=torch.Generator().manual_seed(0))
    sky_share = float(1 - labels.valid.float().mean())
    assert 0.05 < sky_share < 0.9
    assert (labels.disparity[~labels.valid] == 0).all()
    assert (labels.disparity[labels.valid] > 0).all()
    # no label pixel sees sky: the GT validity sampled with 'nearest' agrees
    from panodepth.distill import FaceProjection, panorama_to_faces

    nearest = panorama_to_faces(valid.float(), rot, FaceProjection(), mode="nearest") > 0.5
    assert not (labels.valid & ~nearest).any()
    # the clean labels are exact where valid, despite the sky next to them
    clean = simulated_pseudo_labels(depth, rot, params=CLEAN)
    exact = student_to_faces(gt_disparity(depth).clamp_min(1e-3), rot)
    assert torch.allclose(clean.disparity[clean.valid], exact[clean.valid], rtol=1e-4)
    # a region mask (e.g. watermarks) is ANDed in; too few valid pixels drop the panorama
    region = torch.ones_like(valid)
    region[..., :, : depth.shape[-1] // 2] = False
    masked = simulated_pseudo_labels(depth, rot, region_valid=region)
    assert masked.valid.sum() < labels.valid.sum()
    strict = SimulationParams(min_valid=0.9)
    assert not simulated_pseudo_labels(depth, rot, region_valid=region, params=strict).keep.any()


def test_deterministic_with_a_generator(home):
    rot = rotations(2)
    a = simulated_pseudo_labels(home, rot, generator=torch.Generator().manual_seed(5))
    b = simulated_pseudo_labels(home, rot, generator=torch.Generator().manual_seed(5))
    c = simulated_pseudo_labels(home, rot, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a.disparity, b.disparity) and torch.equal(a.valid, b.valid)
    assert not torch.equal(a.disparity, c.disparity)


def test_bad_arguments(home):
    with pytest.raises(ValueError, match="noise"):
        simulated_pseudo_labels(home, rotations(2), params=SimulationParams(noise=-1))
    with pytest.raises(ValueError, match="scale_range"):
        SimulationParams(scale_range=0.5)
    with pytest.raises(ValueError, match="rotation"):
        simulated_pseudo_labels(home, rotations(3))
    with pytest.raises(ValueError, match="depth"):
        simulated_pseudo_labels(home[:, 0], rotations(2))


@pytest.fixture(scope="module")
def synthetic_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth") / "outdoor"
    synthesize(root, "outdoor", 3, height=32, watermark_prob=0.5, progress=False)
    return root


def test_precomputed_cache_is_read_by_cached_pseudo_labels(synthetic_folder, tmp_path):
    labeled = SyntheticPanoramas(synthetic_folder, labeled=True, height=32)
    out = tmp_path / "labels"
    summary = precompute_pseudo_labels(SimulatedSource(), labeled, out, rotations=3, progress=False)
    assert sorted(summary.done) == ["00000", "00001", "00002"] and not summary.failed
    tensors, meta = read_pseudo_label_file(out / "00001.safetensors")
    assert tensors["disparity"].shape == (3, 6, 1, 16, 16)
    assert meta["teacher"] == SimulationParams().name == "simulated(blur=1.0, noise=0.05)"
    assert meta["max_deg"] == "45.0"
    # the same panoramas as an unlabeled dataset get their cached labels
    unlabeled = SyntheticPanoramas(synthetic_folder, labeled=False, height=32)
    cached = CachedPseudoLabels(unlabeled, out)
    sample = cached.load(1, key=(0, 1))
    labels = sample["pseudo_labels"]
    assert isinstance(labels, PseudoLabels)
    assert labels.disparity.shape == (1, 6, 1, 16, 16) and labels.projection.kind == "cube"
    assert not labels.valid.all()  # sky
    draws = {tuple(r.flatten().tolist()) for r in tensors["rotation"]}
    assert tuple(labels.rotation[0].flatten().tolist()) in draws
    # resumable and deterministic in (seed, name)
    again = precompute_pseudo_labels(SimulatedSource(), labeled, out, rotations=3, progress=False)
    assert again.done == [] and len(again.skipped) == 3
    other = tmp_path / "again"
    precompute_pseudo_labels(SimulatedSource(), labeled, other, rotations=3, progress=False,
                             rank=1, world_size=2)  # fmt: skip
    assert sorted(p.stem for p in other.iterdir()) == ["00001"]
    t2, _ = read_pseudo_label_file(other / "00001.safetensors")
    assert all(torch.equal(tensors[k], t2[k]) for k in tensors)


def test_max_deg_zero_gives_identity_rotations(synthetic_folder, tmp_path):
    labeled = SyntheticPanoramas(synthetic_folder, labeled=True, height=32)
    precompute_pseudo_labels(SimulatedSource(), labeled, tmp_path, rotations=2, max_deg=0,
                             progress=False)  # fmt: skip
    tensors, meta = read_pseudo_label_file(tmp_path / "00000.safetensors")
    assert torch.equal(tensors["rotation"], torch.eye(3).expand(2, 3, 3))
    assert meta["max_deg"] == "0"


def test_precompute_rejects_unlabeled_or_augmented_datasets(synthetic_folder, tmp_path):
    from panodepth.data.augment import Augment

    unlabeled = SyntheticPanoramas(synthetic_folder, labeled=False, height=32)
    with pytest.raises(ValueError, match="labeled"):
        precompute_pseudo_labels(SimulatedSource(), unlabeled, tmp_path, progress=False)
    augmented = SyntheticPanoramas(synthetic_folder, height=32, augment=Augment())
    with pytest.raises(ValueError, match="augment"):
        precompute_pseudo_labels(SimulatedSource(), augmented, tmp_path, progress=False)
    with pytest.raises(ValueError, match="ground truth"):  # image files have no GT
        precompute_pseudo_labels(SimulatedSource(), synthetic_folder / "rgb", tmp_path)
