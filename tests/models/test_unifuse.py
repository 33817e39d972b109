"""UniFuse: contract, size, that the cube branch is used, training, checkpoints, bad input."""

from __future__ import annotations

import pytest
import torch

from panodepth.models import build_model
from panodepth.models.layers import CircularConv2d, CircularMaxPool2d

from .student_checks import overfit

PAPER_PARAMS = 30.26e6  # original code at 512×1024 (REFERENCE.md, Students)


def test_parameter_count_matches_the_original():
    # Nothing in the model is sized by the input: the count is the one at 512×1024 (or any size).
    with torch.device("meta"):  # counted, never initialised
        model, equi_only = build_model("unifuse"), build_model("unifuse", fusion=False)
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - PAPER_PARAMS) / PAPER_PARAMS < 0.02, n
    assert n == 30_263_281  # 2 × ResNet-18 without classifier + 5 CEE blocks + decoder
    assert sum(p.numel() for p in equi_only.parameters()) == 14_327_217
    assert not any(k.startswith(("cube_", "fusions")) for k in equi_only.state_dict())


def test_cube_branch_sees_the_cube(monkeypatch, shared_student):
    torch.manual_seed(0)
    x = torch.rand(1, 3, 64, 128)
    model = shared_student("unifuse")
    calls = []
    real = model.to_cube

    def counted(img):
        calls.append(img.shape)
        return real(img)

    monkeypatch.setattr(model, "to_cube", counted)
    with torch.no_grad():
        base = model(x)
        assert calls == [(1, 3, 64, 128)]
        monkeypatch.setattr(model, "to_cube", lambda img: real(img).roll(1, dims=1))
        rolled = model(x)  # faces in the order D F R B L U: features land on the wrong faces
        monkeypatch.setattr(model, "to_cube", lambda img: torch.zeros_like(real(img)))
        blind = model(x)
    assert (rolled - base).abs().max() > 1e-4
    assert (blind - base).abs().max() > 1e-4

    equi_only = shared_student("unifuse", fusion=False)
    with torch.no_grad():
        base = equi_only(x)
        monkeypatch.setattr(equi_only, "to_cube", lambda img: torch.zeros(1, 6, 3, 32, 32))
        assert torch.equal(equi_only(x), base)


def test_circular_padding_removes_the_seam(shared_student):
    torch.manual_seed(0)
    model = shared_student("unifuse", fusion=False, circular_padding=True)
    layers = list(model.modules())
    assert any(isinstance(m, CircularConv2d) for m in layers)
    assert any(isinstance(m, CircularMaxPool2d) for m in layers)
    x = torch.rand(1, 3, 64, 128)
    with torch.no_grad():  # a yaw turn by a multiple of the total stride (32 px) commutes
        assert torch.allclose(model(x.roll(32, -1)), model(x).roll(32, -1), atol=1e-5)
    # same weights and keys as the zero-padded model, so checkpoints are interchangeable
    fused = shared_student("unifuse", circular_padding=True)
    plain = shared_student("unifuse")
    assert fused.state_dict().keys() == plain.state_dict().keys()
    assert sum(p.numel() for p in fused.parameters()) == 30_263_281
    with torch.no_grad():
        assert fused(torch.rand(1, 3, 64, 128)).shape == (1, 1, 64, 128)


@pytest.mark.slow
def test_overfits_one_panorama(scenes):
    torch.manual_seed(0)
    sample = scenes["home"]
    model = build_model("unifuse", output="depth", max_depth=10.0)
    # typically 10× lower after ~35 steps (≈ 0.25 s each on 2 CPU cores)
    losses = overfit(model, sample.rgb[None], sample.depth[None], sample.valid[None])
    assert losses[-1] * 10 <= losses[0], losses[::5]
