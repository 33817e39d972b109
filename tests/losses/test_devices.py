"""The losses run on every available device (CPU always; CUDA when present) and agree."""

import pytest
import torch

from panodepth.losses import affine_invariant_loss, berhu_loss, gradient_matching_loss

DEVICES = ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("loss", [affine_invariant_loss, berhu_loss, gradient_matching_loss])
def test_device_and_agreement_with_cpu(device, loss):
    pred = torch.rand(2, 6, 1, 16, 16)
    target = torch.rand(2, 6, 1, 16, 16)
    mask = torch.rand(2, 6, 1, 16, 16) > 0.2
    ref = loss(pred, target, mask)
    p = pred.to(device).requires_grad_(True)
    value = loss(p, target.to(device), mask.to(device))
    assert value.device.type == device
    value.backward()
    assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    torch.testing.assert_close(value.cpu(), ref, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("loss", [affine_invariant_loss, berhu_loss, gradient_matching_loss])
def test_half_precision_is_computed_in_float32(dtype, loss):
    # 256×256 pixels: the per-map sums exceed float16's range (65 504) if kept in half
    target = torch.rand(1, 1, 256, 256) * 10
    pred = target + torch.rand_like(target) * 10
    ref = loss(pred.to(dtype).float(), target.to(dtype).float())
    p = pred.to(dtype).requires_grad_(True)
    value = loss(p, target.to(dtype))
    assert value.dtype == torch.float32
    torch.testing.assert_close(value, ref)
    value.backward()
    assert p.grad.dtype == dtype and torch.isfinite(p.grad.float()).all()
