"""EGFormer: contract, size, ERP bias geometry, per-sample re-weighting, memory-chunked
attention, training, checkpoints, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from panodepth.geometry import equirect_rays
from panodepth.models import build_model
from panodepth.models.attention import (
    adaptive_reweighting,
    erp_position_bias,
    stripe_attention,
    stripe_chord_tables,
    tangent_reference_points,
)
from panodepth.models.egformer import EGBlock, PanoformerBlock

from .student_checks import overfit

PAPER_PARAMS = 15.39e6  # original code at 512×1024 (REFERENCE.md, Students)


def test_parameter_count_matches_the_original(shared_student):
    # Nothing is sized by the input: the count is the one at 512×1024 (or any size).
    model = shared_student("egformer")
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - PAPER_PARAMS) / PAPER_PARAMS < 0.02, n
    assert n == 15_388_647
    kinds = [type(m) for m in model.modules()]
    assert kinds.count(PanoformerBlock) == 8  # two per outer stage (1/2, 1/4; both ways)
    assert kinds.count(EGBlock) == 14  # one per outer stage, two per inner one
    assert not any(b for _, b in model.named_buffers() if _ not in ("mean", "std"))


def test_any_size_runs(shared_student):
    model = shared_student("egformer")
    with torch.no_grad():
        assert model(torch.rand(1, 3, 96, 192)).shape == (1, 1, 96, 192)


@pytest.mark.parametrize("direction", ["horizontal", "vertical"])
def test_erp_bias_is_a_function_of_chord_distance(direction):
    h, w = 8, 16
    bias = erp_position_bias(h, w, direction, level=0.1)
    rays = equirect_rays(h, w, dtype=torch.float64)
    stripes = rays if direction == "horizontal" else rays.transpose(0, 1)  # (S, N, 3)
    chord = torch.cdist(stripes, stripes)
    assert bias.shape == chord.shape
    assert torch.allclose(bias.double(), -0.1 * chord, atol=1e-6)
    assert torch.allclose(bias, bias.transpose(-2, -1))  # symmetric
    diagonal = bias.diagonal(dim1=-2, dim2=-1)
    assert torch.equal(diagonal, torch.zeros_like(diagonal))  # zero distance: 0 …
    assert (bias <= diagonal[..., None] + 1e-7).all()  # … the largest value of each row
    stripe = bias[2]
    assert stripe[0, 1] == pytest.approx(float(stripe[4, 5]), abs=1e-6)  # equal angular steps
    assert stripe[1, 3] == pytest.approx(float(stripe[3, 5]), abs=1e-6)
    assert stripe[0, 1] > stripe[0, 2]  # farther: lower
    if direction == "horizontal":
        # cyclic across the ±180° seam; rows shrink with cos(latitude)
        assert stripe[0, w - 1] == pytest.approx(float(stripe[0, 1]), abs=1e-6)
        lat = math.pi / 2 - 2.5 / h * math.pi
        assert stripe[0, 1] == pytest.approx(-0.2 * math.cos(lat) * math.sin(math.pi / w), 1e-5)
    else:
        assert stripe[0, 1] == pytest.approx(-0.2 * math.sin(math.pi / (2 * h)), 1e-5)
        assert torch.equal(bias[0], bias[5])  # every column the same


def test_per_sample_reweighting(shared_student):
    # the re-weighting factor of a sample does not depend on its batch-mates …
    importance = torch.tensor([[1.0, 2.0, 4.0], [100.0, 10.0, 60.0]])
    m = adaptive_reweighting(importance)
    assert torch.allclose(m, torch.tensor([[0.5, 0.5, 1.0], [1.0, 0.5, 0.6]]))
    assert torch.equal(m[:1], adaptive_reweighting(importance[:1]))
    # … and neither does the model's output
    torch.manual_seed(0)
    model = shared_student("egformer")
    x = torch.rand(2, 3, 64, 128)
    x[1] *= 0.2  # a very different batch-mate (the original would rescale sample 0's M)
    with torch.no_grad():
        both = model(x)
        alone = torch.cat([model(x[:1]), model(x[1:])])
    assert torch.allclose(both, alone, atol=1e-5, rtol=1e-5)


def test_chunked_attention_matches_one_shot():
    torch.manual_seed(0)
    q, k, v = (torch.randn(2, 6, 2, 12, 4, requires_grad=True) for _ in range(3))
    scale, table = stripe_chord_tables(6, 12, "horizontal")
    out_a, imp_a = stripe_attention(q, k, v, scale, table, max_elements=1 << 30)
    grads_a = torch.autograd.grad((out_a.sum() + imp_a.sum()), (q, k, v))
    out_b, imp_b = stripe_attention(q, k, v, scale, table, max_elements=300)  # 1 stripe a chunk
    grads_b = torch.autograd.grad((out_b.sum() + imp_b.sum()), (q, k, v))
    assert torch.allclose(out_a, out_b, atol=1e-6) and torch.allclose(imp_a, imp_b)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(grads_a, grads_b, strict=True))
    # 1 − cos weights: a key whose normalised score is ±1 gets weight 1, a zero score weight 0
    weights_one = stripe_attention(
        torch.ones(1, 1, 1, 2, 1),
        torch.tensor([0.0, 1.0]).view(1, 1, 1, 2, 1),
        torch.eye(2).view(1, 1, 1, 2, 2),
        torch.zeros(1),
        torch.zeros(2, 2),
    )[0]
    assert torch.allclose(weights_one[0, 0, 0], torch.tensor([[0.0, 1.0], [0.0, 1.0]]), atol=1e-6)


def test_tangent_pattern_is_centred_on_the_pixel():
    ref = tangent_reference_points(16, 32)
    assert ref.shape == (16, 32, 9, 2)
    v, u = torch.meshgrid(torch.arange(16.0), torch.arange(32.0), indexing="ij")
    assert torch.allclose(ref[:, :, 4], torch.stack((u, v), -1), atol=1e-4)
    equator = ref[7:9, 10]  # near the equator the pattern is the 3×3 pixel neighbourhood
    assert torch.allclose(equator[..., 0] - 10, torch.tensor([-1.0, 0, 1] * 3), atol=0.05)
    assert (ref[..., 0] >= 0).all() and (ref[..., 0] < 32).all()  # wrapped in longitude


@pytest.mark.slow
def test_overfits_one_panorama(scenes):
    torch.manual_seed(0)
    sample = scenes["home"]
    model = build_model("egformer", output="depth", max_depth=10.0)
    # 10× lower after ≈ 49 steps (≈ 0.4 s each on 2 CPU cores); lr 1e-3 plateaus at 7–8×
    losses = overfit(
        model, sample.rgb[None], sample.depth[None], sample.valid[None], max_steps=80, lr=3e-4
    )
    assert losses[-1] * 10 <= losses[0], losses[::5]


def test_bad_options():
    with pytest.raises(ValueError, match="output"):
        build_model("egformer", output="normals")
    with pytest.raises(ValueError, match="drop_path_rate"):
        build_model("egformer", drop_path_rate=1.5)


def test_block_checkpointing_gives_the_same_gradients():
    torch.manual_seed(0)
    plain = build_model("egformer", checkpoint_blocks=False)
    saving = build_model("egformer", checkpoint_blocks=True)
    saving.load_state_dict(plain.state_dict())
    x = torch.rand(1, 3, 64, 128)
    plain(x).mean().backward()
    saving(x).mean().backward()
    for (name, a), b in zip(plain.named_parameters(), saving.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-7), name
