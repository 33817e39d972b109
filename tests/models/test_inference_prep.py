"""`prepare_for_inference`: BatchNorm folded into convolutions, channels-last weights, same
outputs, the caller's model untouched."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from panodepth.models import build_model
from panodepth.models.inference import prepare_for_inference

from .student_checks import slow_if_big

FOLDS = {"unifuse": 50, "bifusepp": 86, "hohonet": 63, "egformer": 0, "pano-unet": 22}


@pytest.mark.parametrize("arch", slow_if_big(FOLDS))
def test_same_outputs_fewer_batchnorms(arch, one_thread):
    options = {"width": 8} if arch == "pano-unet" else {}
    model = build_model(arch, **options).eval()
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # BatchNorm statistics far from the identity
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2, generator=gen)
                m.running_var.uniform_(0.5, 2.0, generator=gen)
                m.weight.normal_(1, 0.2, generator=gen)
                m.bias.normal_(0, 0.2, generator=gen)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fast = prepare_for_inference(model)
    assert fast.folded_batchnorms == FOLDS[arch]
    norms = sum(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in fast.modules())
    assert norms == sum(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d)
                        for m in model.modules()) - FOLDS[arch]  # fmt: skip
    convs = [m for m in fast.modules() if isinstance(m, nn.Conv2d)]
    assert all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convs)
    x = torch.rand(2, 3, 64, 128)
    with torch.no_grad():
        ref, out = model(x), fast(x)
    torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4 * ref.abs().max().item())
    assert model.state_dict().keys() == before.keys()  # the caller's model is untouched
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
