"""The losses on every available device (CPU always; CUDA when present) and in half precision,
against float64 references written independently from the documented formulas (NumPy, one map
at a time)."""

import numpy as np
import pytest
import torch

from panodepth.losses import affine_invariant_loss, berhu_loss, gradient_matching_loss


def _maps(pred, target, mask):
    """Float64 NumPy (N, H, W) views of (..., H, W) tensors, one entry per map."""
    h, w = pred.shape[-2:]
    return (
        pred.detach().cpu().double().numpy().reshape(-1, h, w),
        target.detach().cpu().double().numpy().reshape(-1, h, w),
        mask.cpu().numpy().reshape(-1, h, w),
    )


def _normalise(x, valid, min_mad):
    """(x − t) / max(s, min_mad): lower median t, mean absolute deviation s of the valid x."""
    values = np.sort(x[valid])
    t = values[(len(values) - 1) // 2]
    s = np.abs(values - t).mean()
    return (x - t) / max(s, min_mad), s


def _counted_maps(pred, target, mask, min_mad):
    """(p̂, ĝ, mask) of each map the affine-invariant loss counts: ≥ 2 valid pixels and
    target MAD ≥ min_mad."""
    for p, g, m in zip(*_maps(pred, target, mask), strict=True):
        if m.sum() < 2:
            continue
        g_hat, s = _normalise(g, m, min_mad)
        if s < min_mad:
            continue
        yield _normalise(p, m, min_mad)[0], g_hat, m


def affine_reference(pred, target, mask, min_mad=1e-6):
    """Mean over maps with ≥ 2 valid pixels and target MAD ≥ min_mad of mean |p̂ − ĝ|."""
    per_map = [
        np.abs(p_hat - g_hat)[m].mean()
        for p_hat, g_hat, m in _counted_maps(pred, target, mask, min_mad)
    ]
    return float(np.mean(per_map)) if per_map else 0.0


def berhu_reference(pred, target, mask, c_ratio=0.2):
    """|d| up to c = c_ratio · max|d| of each map, (d² + c²)/(2c) above; mean over all valid."""
    values = []
    for p, g, m in zip(*_maps(pred, target, mask), strict=True):
        d = np.abs(p - g)[m]
        if d.size == 0:
            continue
        c = c_ratio * d.max()
        values.append(np.where(d <= c, d, (d * d + c * c) / (2 * c)))
    return float(np.concatenate(values).mean()) if values else 0.0


def gradient_reference(pred, target, mask, scales=4, min_mad=1e-6):
    """Σ over strides 2^k of (Σ|∂x R| + Σ|∂y R|) / n_valid over pixel pairs both valid, with
    R = p̂ − ĝ; mean over the maps the affine-invariant loss counts."""
    per_map = []
    for p_hat, g_hat, m in _counted_maps(pred, target, mask, min_mad):
        residual = p_hat - g_hat
        total = 0.0
        for k in range(scales):
            r, v = residual[:: 2**k, :: 2**k], m[:: 2**k, :: 2**k]
            pairs_x = v[:, 1:] & v[:, :-1]
            pairs_y = v[1:, :] & v[:-1, :]
            grad = (
                np.abs(np.diff(r, axis=1))[pairs_x].sum()
                + np.abs(np.diff(r, axis=0))[pairs_y].sum()
            )
            total += grad / max(v.sum(), 1)
        per_map.append(total)
    return float(np.mean(per_map)) if per_map else 0.0


LOSSES = [
    (affine_invariant_loss, affine_reference),
    (berhu_loss, berhu_reference),
    (gradient_matching_loss, gradient_reference),
]
IDS = ["affine", "berhu", "gradient"]


@pytest.mark.parametrize(("loss", "reference"), LOSSES, ids=IDS)
def test_matches_the_float64_reference(device, loss, reference):
    # cube-like maps (2 × 6 faces); one face is masked down to a single pixel (excluded)
    pred = torch.rand(2, 6, 1, 16, 16) * 3
    target = torch.rand(2, 6, 1, 16, 16) * 2 + 0.5
    mask = torch.rand(2, 6, 1, 16, 16) > 0.2
    mask[1, 4] = False
    mask[1, 4, 0, 3, 3] = True
    expected = reference(pred, target, mask)
    assert expected > 0.05  # far from the trivial value the checks below could not tell apart
    p = pred.to(device).requires_grad_(True)
    value = loss(p, target.to(device), mask.to(device))
    assert value.device.type == device and value.dtype == torch.float32
    assert value.item() == pytest.approx(expected, rel=1e-5, abs=1e-6)
    value.backward()
    assert torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    assert (p.grad[~mask.to(device)] == 0).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize(("loss", "reference"), LOSSES, ids=IDS)
def test_half_precision_is_computed_in_float32(dtype, loss, reference):
    # 256×256 pixels: the per-map sums exceed float16's range (65 504) if kept in half
    target = torch.rand(1, 1, 256, 256) * 10
    pred = target + torch.rand_like(target) * 10
    mask = torch.ones_like(target, dtype=torch.bool)
    p = pred.to(dtype).requires_grad_(True)
    value = loss(p, target.to(dtype))
    assert value.dtype == torch.float32
    # the reference sees the same half-precision inputs, computed in float64
    expected = reference(pred.to(dtype), target.to(dtype), mask)
    assert value.item() == pytest.approx(expected, rel=1e-4)
    value.backward()
    assert p.grad.dtype == dtype and torch.isfinite(p.grad.float()).all()
