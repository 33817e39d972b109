"""DepthAnywhere: the recipe's losses, cached labels under augmentation, fine-tuning, eval."""

from __future__ import annotations

import pytest
import torch

from panodepth.data import MixedDataset, SyntheticPanoramas, apply_roll_flip, collate_mixed
from panodepth.distill import CachedPseudoLabels, PseudoLabels, TeacherSource
from panodepth.distill.cache import precompute_pseudo_labels
from panodepth.teachers import DepthAnythingTeacher
from panodepth.training import DepthAnywhere, load_student, save_student

from .conftest import HEIGHT


def mixed_batch(domains, augment=None, cache=None, ratio=1):
    labeled = SyntheticPanoramas(domains["a"], height=HEIGHT, augment=augment)
    unlabeled = SyntheticPanoramas(domains["b"], labeled=False, height=HEIGHT, augment=augment)
    if cache is not None:
        unlabeled = CachedPseudoLabels(unlabeled, cache)
    mixed = MixedDataset(labeled, unlabeled, ratio=ratio)
    return collate_mixed([mixed[0], mixed[1]])


@pytest.fixture(scope="module")
def cache(domains, teacher_dir, tmp_path_factory):
    source = TeacherSource(DepthAnythingTeacher(teacher_dir, input_size=56))
    out = tmp_path_factory.mktemp("cache")
    paths = SyntheticPanoramas(domains["b"], labeled=False, height=HEIGHT).paths
    summary = precompute_pseudo_labels(source, paths, out, rotations=3, max_deg=45,
                                       height=HEIGHT, progress=False)  # fmt: skip
    assert len(summary.done) == len(paths)
    return out


def test_online_step_has_both_terms_and_trains(domains, teacher_dir):
    torch.manual_seed(0)
    module = DepthAnywhere(teacher=DepthAnythingTeacher(teacher_dir, input_size=56))
    module.eval()  # batch norm on running statistics: one forward or two give the same
    batch = mixed_batch(domains, ratio=2)
    assert batch["unlabeled"]["rgb"].shape[0] == 4  # 1:2 mixing
    gt = module.gt_term(module(batch["labeled"]["rgb"]), batch["labeled"])
    torch.manual_seed(1)  # the online teacher's random rotations
    pseudo = module.pseudo_term(module(batch["unlabeled"]["rgb"]), batch["unlabeled"])
    assert torch.isfinite(gt) and gt > 0 and torch.isfinite(pseudo) and pseudo > 0
    module.log = lambda *a, **k: None  # outside a Trainer
    torch.manual_seed(1)
    loss = module.training_step(batch, 0)
    torch.testing.assert_close(loss, 0.5 * gt + 0.5 * pseudo, rtol=1e-4, atol=1e-6)
    loss.backward()
    grads = [p.grad for p in module.student.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    # teacher weights are not part of the student's checkpoint
    assert all(key.startswith("student.") for key in module.state_dict())


def test_cached_labels_are_compared_in_the_unaugmented_frame(domains, cache):
    """A rolled+flipped student prediction, un-done, gives the loss of the plain one."""
    torch.manual_seed(0)
    module = DepthAnywhere()
    batch = mixed_batch(domains, cache=cache)["unlabeled"]
    labels = batch["pseudo_labels"]  # the collate stacked the samples' records into one
    assert isinstance(labels, PseudoLabels)
    assert labels.disparity.shape == (2, 6, 1, HEIGHT // 2, HEIGHT // 2)
    disparity = torch.rand(2, 1, HEIGHT, 2 * HEIGHT) + 0.1
    plain = module.pseudo_term(disparity, batch)
    roll, flip = torch.tensor([5, 17]), torch.tensor([True, False])
    region = apply_roll_flip(batch["region_valid"], roll, flip)  # as the reader augments it
    moved = dict(batch, roll=roll, flip=flip, region_valid=region)
    augmented = apply_roll_flip(disparity, roll, flip)
    torch.testing.assert_close(module.pseudo_term(augmented, moved), plain)
    # without undoing the augmentation, the loss would differ
    assert not torch.allclose(module.pseudo_term(augmented, batch), plain)


def test_region_mask_removes_masked_pixels_from_the_pseudo_loss(domains, cache):
    module = DepthAnywhere()
    batch = mixed_batch(domains, cache=cache)["unlabeled"]
    assert "region_valid" in batch and not batch["region_valid"].all()  # B has sky
    disparity = torch.rand(2, 1, HEIGHT, 2 * HEIGHT) + 0.1
    with_mask = module.pseudo_term(disparity, batch)
    masked = batch["region_valid"]
    garbage = torch.where(masked, disparity, torch.full_like(disparity, 50.0))
    torch.testing.assert_close(module.pseudo_term(garbage, batch), with_mask, rtol=0.05, atol=0.05)
    no_mask = {k: v for k, v in batch.items() if k != "region_valid"}
    assert module.pseudo_term(garbage, no_mask) > module.pseudo_term(disparity, no_mask) + 0.01


def test_unlabeled_batch_without_labels_or_teacher_is_a_clear_error(domains):
    batch = mixed_batch(domains)["unlabeled"]
    with pytest.raises(ValueError, match="need pseudo labels"):
        DepthAnywhere().pseudo_term(torch.rand(2, 1, HEIGHT, 2 * HEIGHT), batch)


def test_berhu_needs_a_metric_head_and_trains_depth(domains):
    with pytest.raises(ValueError, match="output='depth'"):
        DepthAnywhere(gt_loss="berhu")
    module = DepthAnywhere(output="depth", gt_loss="berhu")
    batch = mixed_batch(domains)["labeled"]
    loss = module.gt_term(module(batch["rgb"]), batch)
    assert torch.isfinite(loss) and loss > 0


def test_init_weights_fine_tunes_from_a_student_file(tmp_path):
    """Table 5 style: a disparity student's weights start a metric-depth run."""
    torch.manual_seed(1)
    source = DepthAnywhere().student
    path = save_student(source, tmp_path / "rel.safetensors")
    tuned = DepthAnywhere(output="depth", gt_loss="berhu", init_weights=str(path))
    for (k, a), (_, b) in zip(source.state_dict().items(), tuned.student.state_dict().items(),
                              strict=True):  # fmt: skip
        assert torch.equal(a, b), k
    assert tuned.student.output == "depth"
    with pytest.raises(ValueError, match="not found"):
        DepthAnywhere(init_weights=str(tmp_path / "missing.ckpt"))


def test_student_of_a_lightning_checkpoint_loads(tmp_path):
    import lightning as L

    module = DepthAnywhere(student_options={"fusion": False})
    trainer = L.Trainer(logger=False, enable_checkpointing=False, accelerator="cpu",
                        enable_progress_bar=False)  # fmt: skip
    trainer.strategy.connect(module)
    trainer.save_checkpoint(tmp_path / "m.ckpt")
    student = load_student(tmp_path / "m.ckpt")
    for (k, a), (_, b) in zip(module.student.state_dict().items(),
                              student.state_dict().items(), strict=True):  # fmt: skip
        assert torch.equal(a, b), k
    (tmp_path / "bad.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match=r"bad\.ckpt"):
        load_student(tmp_path / "bad.ckpt")


@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_lr_schedule_over_a_short_fit(domains, tmp_path, schedule):
    import lightning as L

    from panodepth.training import PanoramaDataModule

    module = DepthAnywhere(student="pano-unet", lr=1e-3, lr_schedule=schedule)
    data = PanoramaDataModule(SyntheticPanoramas(domains["a"], height=HEIGHT), batch_size=2)
    trainer = L.Trainer(max_steps=4, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False,
                        limit_val_batches=0, default_root_dir=tmp_path)  # fmt: skip
    trainer.fit(module, datamodule=data)
    lr = trainer.optimizers[0].param_groups[0]["lr"]
    # cosine: 1e-3 at step 0, decayed to 1 % of it once all 4 steps are taken
    assert lr == pytest.approx(1e-3 if schedule == "constant" else 1e-5, rel=1e-6)


def test_unknown_lr_schedule_is_a_clear_error():
    with pytest.raises(ValueError, match="lr_schedule"):
        DepthAnywhere(student="pano-unet", lr_schedule="step")


def test_the_cached_batch_reaches_the_loss_as_one_pseudo_labels_record(domains, cache):
    """Through the data module's loader and Lightning's device transfer, the unlabeled batch
    carries one PseudoLabels (no ``pl_*`` keys), and the step leaves it as it was."""
    from panodepth.distill import FaceProjection
    from panodepth.training import PanoramaDataModule

    data = PanoramaDataModule(
        SyntheticPanoramas(domains["a"], height=HEIGHT),
        SyntheticPanoramas(domains["b"], labeled=False, height=HEIGHT),
        pseudo_labels=str(cache), ratio=2, batch_size=2, num_workers=0,
    )  # fmt: skip
    module = DepthAnywhere(student="pano-unet")
    batch = next(iter(data.train_dataloader()))
    batch = module.transfer_batch_to_device(batch, torch.device("cpu"), 0)
    unlabeled = batch["unlabeled"]
    labels = unlabeled["pseudo_labels"]
    assert isinstance(labels, PseudoLabels) and not any(k.startswith("pl_") for k in unlabeled)
    assert labels.disparity.shape == (4, 6, 1, HEIGHT // 2, HEIGHT // 2)  # 2 × ratio 2
    assert labels.projection == FaceProjection("cube", HEIGHT // 2)
    seen = []
    original = module.pseudo_labels
    module.pseudo_labels = lambda sample: seen.append(original(sample)) or seen[-1]
    valid = labels.valid.clone()
    module.log = lambda *a, **k: None  # outside a Trainer
    loss = module.training_step(batch, 0)
    assert torch.isfinite(loss) and seen and seen[0][0] is labels and seen[0][1] is False
    assert torch.equal(labels.valid, valid)  # region masks were applied to a copy
    not_a_record = dict(unlabeled, pseudo_labels={"disparity": labels.disparity})
    with pytest.raises(TypeError, match="PseudoLabels"):
        module.pseudo_term(torch.rand(4, 1, HEIGHT, 2 * HEIGHT), not_a_record)
