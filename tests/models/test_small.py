"""PanoUNet (``pano-unet``): contract, size, roll equivariance, training, checkpoints."""

from __future__ import annotations

import pytest
import torch

from panodepth.models import PanoUNet, build_model
from panodepth.models.layers import CircularConv2d

from .student_checks import overfit

pytestmark = pytest.mark.usefixtures("one_thread")


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


def test_overfits_one_panorama(scenes):
    torch.manual_seed(0)
    sample = scenes["home"]
    model = build_model("pano-unet", output="depth", max_depth=10.0, width=8)
    # typically 10× lower after ~20 steps
    losses = overfit(model, sample.rgb[None], sample.depth[None], sample.valid[None],
                     max_steps=150, lr=1e-2)  # fmt: skip
    assert losses[-1] * 10 <= losses[0], losses[::10]
