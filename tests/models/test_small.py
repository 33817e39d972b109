"""PanoUNet (``pano-unet``): contract, size, roll equivariance, training, checkpoints."""

from __future__ import annotations

import pytest
import torch

from panodepth.data.synthetic import render_sample
from panodepth.models import PanoUNet, build_model, list_models
from panodepth.models.layers import CircularConv2d

from .student_checks import overfit, round_trip

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("output", ["disparity", "depth"])
def test_forward_backward(output):
    torch.manual_seed(0)
    model = build_model("pano-unet", output=output, max_depth=8.0)
    assert isinstance(model, PanoUNet) and "pano-unet" in list_models()
    y = model(torch.rand(2, 3, 64, 128))
    assert y.shape == (2, 1, 64, 128) and torch.isfinite(y).all()
    if output == "disparity":
        assert (y >= 0).all()
    else:
        assert (y > 0).all() and (y < 8.0).all()
    y.mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_other_resolution():
    model = build_model("pano-unet").eval()
    with torch.no_grad():
        y = model(torch.rand(1, 3, 128, 256))
    assert y.shape == (1, 1, 128, 256) and torch.isfinite(y).all()


def test_size_and_width():
    count = sum(p.numel() for p in build_model("pano-unet").parameters())
    assert count == 492_193  # width=16, as documented in panodepth.models.small
    small = build_model("pano-unet", width=8)
    assert 0.2 * count < sum(p.numel() for p in small.parameters()) < 0.3 * count
    for bad in (0, 7, -2, 16.0, True):
        with pytest.raises(ValueError, match="width"):
            PanoUNet(width=bad)


def test_roll_by_the_total_stride_commutes():
    torch.manual_seed(0)
    model = build_model("pano-unet", width=8).eval()
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(isinstance(m, CircularConv2d) for m in convs)
    x = torch.rand(2, 3, 64, 128)
    with torch.no_grad():
        y = model(x)
        for shift in (32, 64, -32):
            assert torch.allclose(model(x.roll(shift, -1)), y.roll(shift, -1), atol=1e-5)
        # no seam at ±180°: the outputs next to the border depend on the other side
        x2 = x.clone()
        x2[..., -4:] = 0
        changed = (model(x2) - y).abs()[..., :2]
        assert changed.max() > 1e-4


def test_overfits_one_panorama():
    torch.manual_seed(0)
    sample = render_sample("home", 0, height=64)
    model = build_model("pano-unet", output="depth", max_depth=10.0, width=8)
    # typically 10× lower after ~20 steps
    losses = overfit(model, sample.rgb[None], sample.depth[None], sample.valid[None],
                     max_steps=150, lr=1e-2)  # fmt: skip
    assert losses[-1] * 10 <= losses[0], losses[::10]


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = build_model("pano-unet", output="depth", width=8)
    again = round_trip(model, tmp_path, torch.rand(1, 3, 64, 128))
    assert isinstance(again, PanoUNet) and again.output == "depth" and again.width == 8


@pytest.mark.parametrize("shape", [(1, 3, 64, 100), (1, 3, 40, 80)])
def test_bad_input(shape):
    with pytest.raises(ValueError, match="W = 2·H"):
        build_model("pano-unet")(torch.rand(*shape))
