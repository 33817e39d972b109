"""Label sources: a real (tiny) teacher and the simulated teacher through the one cache driver."""

from __future__ import annotations

import pytest
import torch

from panodepth.data.datasets.synthetic import SyntheticPanoramas
from panodepth.data.synthetic.dataset import synthesize
from panodepth.distill import (
    CachedPseudoLabels,
    FaceProjection,
    LabelSource,
    PseudoLabels,
    SimulatedSource,
    SimulationParams,
    TeacherSource,
    precompute_pseudo_labels,
)
from panodepth.distill.cache import read_pseudo_label_file
from panodepth.teachers import DepthAnythingTeacher
from panodepth.teachers.tiny import save_tiny_depth_anything

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth") / "outdoor"
    synthesize(root, "outdoor", 3, height=32, watermark_prob=1.0, progress=False)
    return root


@pytest.fixture(scope="module")
def tiny_teacher(tmp_path_factory):
    return DepthAnythingTeacher(save_tiny_depth_anything(tmp_path_factory.mktemp("da")), 56)


def test_both_sources_fill_the_cache_through_one_driver(folder, tiny_teacher, tmp_path):
    sources = {
        "teacher": TeacherSource(tiny_teacher, name="tiny-da"),
        "simulated": SimulatedSource(SimulationParams(blur_sigma=0.5)),
    }
    files = {}
    for kind, source in sources.items():
        assert isinstance(source, LabelSource)
        dataset = SyntheticPanoramas(folder, labeled=source.needs_ground_truth, height=32)
        out = tmp_path / kind
        summary = precompute_pseudo_labels(source, dataset, out, rotations=2, seed=4,
                                           progress=False)  # fmt: skip
        assert summary.done == dataset.names == ["00000", "00001", "00002"]
        # resumable: a second run skips every finished file
        again = precompute_pseudo_labels(source, dataset, out, rotations=2, seed=4, progress=False)
        assert again.done == [] and again.skipped == dataset.names
        files[kind] = {p.name: read_pseudo_label_file(p) for p in sorted(out.iterdir())}
    assert files["teacher"].keys() == files["simulated"].keys()  # one naming rule
    for name, (tensors, meta) in files["teacher"].items():
        sim_tensors, sim_meta = files["simulated"][name]
        assert meta["teacher"] == "tiny-da"
        assert sim_meta["teacher"] == "simulated(blur=0.5, noise=0.05)"
        assert meta["source"] == sim_meta["source"]  # the same panorama ...
        assert torch.equal(tensors["rotation"], sim_tensors["rotation"])  # ... same draws
        assert tensors["disparity"].shape == sim_tensors["disparity"].shape == (2, 6, 1, 16, 16)
        assert tensors["valid"].all() and not sim_tensors["valid"].all()  # the GT knows sky
    # an unlabeled reader of the same panoramas gets either cache as PseudoLabels records
    unlabeled = SyntheticPanoramas(folder, labeled=False, height=32)
    for kind in sources:
        labels = CachedPseudoLabels(unlabeled, tmp_path / kind).load(2, key=(0, 1, 5))
        labels = labels["pseudo_labels"]
        assert isinstance(labels, PseudoLabels) and labels.projection == FaceProjection("cube", 16)


def test_the_simulated_source_reads_the_region_mask_only_if_asked(folder, tmp_path):
    labeled = SyntheticPanoramas(folder, labeled=True, height=32)
    # a panorama with a watermark: region labels that mask pixels of valid depth
    sample = next(s for s in map(labeled.__getitem__, range(len(labeled)))
                  if ((s["depth"] > 0) & ~s["region_valid"]).sum() > 50)  # fmt: skip
    batch = {k: sample[k][None] for k in ("rgb", "depth", "region_valid")}
    rotation = torch.eye(3)[None]

    def valid(params):
        g = torch.Generator().manual_seed(0)
        return SimulatedSource(params)(batch, rotation, g).valid

    with_mask = valid(SimulationParams())
    without = valid(SimulationParams(use_region_mask=False))
    assert with_mask.sum() < without.sum()
    assert (with_mask & ~without).sum() == 0
    with pytest.raises(ValueError, match="depth"):
        SimulatedSource()({"rgb": batch["rgb"]}, rotation)


def test_the_teacher_source_labels_the_views_it_is_given(tiny_teacher):
    source = TeacherSource(tiny_teacher, name="tiny")
    rgb = torch.rand(2, 3, 32, 64)
    rotation = torch.eye(3).expand(2, 3, 3)
    labels = source({"rgb": rgb}, rotation)
    assert torch.equal(labels.rotation, rotation) and labels.keep.all()
    assert labels.disparity.shape == (2, 6, 1, 16, 16)
    online = source.labeler(rgb, rotation=rotation)  # the online path, the same record
    assert torch.equal(labels.disparity, online.disparity)
    assert source.device == torch.device("cpu") and source.teacher is tiny_teacher


def test_simulation_params_name_lists_what_differs_from_the_defaults():
    assert SimulationParams().name == "simulated(blur=1.0, noise=0.05)"
    assert SimulationParams(noise=0.1, shift_max=0.0).name == (
        "simulated(blur=1.0, noise=0.1, shift_max=0.0)"
    )
    with pytest.raises(ValueError, match="min_valid"):
        SimulationParams(min_valid=1.5)
