"""The losses' value checks run only with the debug switch on (panodepth.checks).

By default a loss never reads tensor values (no device sync inside a training step), so a
NaN prediction gives a NaN loss. With ``debug_checks()`` a NaN or Inf in ``pred`` or
``target`` at a valid pixel raises, naming the argument. Invalid pixels may hold anything.
"""

import math

import pytest
import torch

from panodepth.checks import ValueCheckError, debug_checks
from panodepth.losses import affine_invariant_loss, berhu_loss, gradient_matching_loss
from tests.sync_counter import count_host_reads, total

LOSSES = [affine_invariant_loss, berhu_loss, gradient_matching_loss]


def _inputs():
    pred, target = torch.rand(2, 1, 8, 8) + 0.1, torch.rand(2, 1, 8, 8) + 0.1
    mask = torch.ones(2, 1, 8, 8, dtype=torch.bool)
    return pred, target, mask


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("name", ["pred", "target"])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_debug_checks_refuse_non_finite_valid_pixels(loss, name, bad):
    pred, target, mask = _inputs()
    (pred if name == "pred" else target)[1, 0, 3, 3] = bad
    with debug_checks(), pytest.raises(ValueCheckError, match=f"{name} contains NaN or Inf"):
        loss(pred, target, mask)


@pytest.mark.parametrize("loss", LOSSES)
def test_debug_checks_ignore_invalid_pixels(loss):
    pred, target, mask = _inputs()
    pred[1, 0, 3, 3] = target[0, 0, 2, 5] = math.nan
    mask[1, 0, 3, 3] = mask[0, 0, 2, 5] = False
    with debug_checks():
        assert torch.isfinite(loss(pred, target, mask))


@pytest.mark.parametrize("loss", LOSSES)
def test_no_value_read_by_default(loss):
    pred, target, mask = _inputs()
    pred[1, 0, 3, 3] = math.nan
    with debug_checks(False), count_host_reads() as counts:
        value = loss(pred.requires_grad_(), target, mask)
        value.backward()
    assert total(counts) == 0
    assert torch.isnan(value)  # the NaN goes through: catching it is the debug switch's job
