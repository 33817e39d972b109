"""BiFuse++: contract, size, the cube branch and its ablation, overfitting, checkpoints."""

from __future__ import annotations

import pytest
import torch

from panodepth.geometry import equirect_to_cube
from panodepth.models import bifusepp as bifusepp_module
from panodepth.models import build_model
from panodepth.models.bifusepp import BiFusePP
from panodepth.training import load_student, save_student

from .student_checks import overfit

RELEASED_PARAMS = 52.49e6  # fuenwang/BiFusev2 ResUNet(layers=34), any resolution
# the release's last fusion module also has an equirect and a cube head (1×1 conv 1024 → 512
# + BN each) whose outputs are never used; ours leaves them out
UNUSED_RELEASED_HEADS = 2 * (1024 * 512 + 512 + 2 * 512)


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def panorama(h: int = 64, batch: int = 1, seed: int = 0) -> torch.Tensor:
    return torch.rand(batch, 3, h, 2 * h, generator=torch.Generator().manual_seed(seed))


@pytest.fixture
def fused(shared_student) -> BiFusePP:
    """The module's shared seeded BiFuse++ (eval mode, read only: hooks are removed again,
    patches undone by ``monkeypatch``)."""
    return shared_student("bifusepp")


def test_parameter_count_matches_release():
    with torch.device("meta"):  # counted, never initialised
        model, ablation = build_model("bifusepp"), build_model("bifusepp", fusion=False)
    # the release's count to its rounding once its two dead heads are added back: same layers
    assert abs(n_params(model) + UNUSED_RELEASED_HEADS - RELEASED_PARAMS) < 0.005e6
    assert abs(n_params(model) / RELEASED_PARAMS - 1) < 0.021  # 51.44 M: −2.0 %
    assert n_params(ablation) < 0.6 * n_params(model)  # no cube encoder, no fusion


@pytest.mark.parametrize("h", [32, 96])
def test_any_height_multiple_of_32(fused, h):
    # 32: cube faces shrink to 1×1 at stride 16 already; 96: face and equirect sizes of the
    # coarsest stage do not match exactly (2 vs 3 rows). Both must still work.
    with torch.no_grad():
        y = fused(panorama(h))
    assert y.shape == (1, 1, h, 2 * h) and torch.isfinite(y).all()


def test_cube_branch_sees_the_cube_faces(fused):
    seen = []
    hook = fused.cube_stem.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    x = panorama()
    with torch.no_grad():
        fused(x)
    hook.remove()
    faces = equirect_to_cube((x - fused.mean) / fused.std, 32)  # F R B L U D, side H/2
    assert seen[0].shape == (6, 3, 32, 32)
    torch.testing.assert_close(seen[0], faces.reshape(6, 3, 32, 32))


def permute_input_faces(monkeypatch):
    """Make the cube branch receive its faces in another order (features stay untouched)."""
    project = bifusepp_module.equirect_to_cube
    calls = []

    def permuted(img, face_size):
        faces = project(img, face_size)
        if img.shape[1] != 3:  # feature maps inside the fusion modules
            return faces
        calls.append(face_size)
        return faces[:, [2, 3, 0, 1, 5, 4]]  # B L F R D U instead of F R B L U D

    monkeypatch.setattr(bifusepp_module, "equirect_to_cube", permuted)
    return calls


def test_permuted_faces_change_the_output(fused, monkeypatch):
    x = panorama()
    with torch.no_grad():
        reference = fused(x)
        calls = permute_input_faces(monkeypatch)
        permuted = fused(x)
    assert calls == [32]
    assert (permuted - reference).abs().max() > 1e-3 * reference.abs().max()


def test_equirect_only_ablation_ignores_the_cube(monkeypatch, shared_student):
    model = shared_student("bifusepp", fusion=False)
    assert not hasattr(model, "cube_stem") and not hasattr(model, "fuse")
    x = panorama()
    with torch.no_grad():
        reference = model(x)
        calls = permute_input_faces(monkeypatch)
        permuted = model(x)
    assert calls == []
    assert torch.equal(reference, permuted)


@pytest.mark.slow
def test_overfits_one_synthetic_panorama(scenes):
    torch.manual_seed(0)
    sample = scenes["office"]
    target = 1.0 / sample.depth[None].clamp(min=1e-3)  # disparity, 1/m
    # ≈ 25 steps needed, ≈ 0.3 s each on 2 CPU cores
    losses = overfit(build_model("bifusepp"), sample.rgb[None], target, sample.valid[None])
    assert losses[-1] <= losses[0] / 10, f"loss {losses[0]:.4f} → {losses[-1]:.4f}"


@pytest.mark.slow  # writes and reads a 206 MB file
def test_loading_is_strict_about_the_cube_branch(tmp_path, fused):
    save_student(fused, tmp_path / "student.safetensors")
    with pytest.raises(ValueError, match="do not fit"):
        # strict: the cube branch's weights are not dropped
        load_student(tmp_path / "student.safetensors", fusion=False)
