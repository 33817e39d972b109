"""The contract every registered student keeps (``list_models()``), checked in one place.

Forward shapes and both output kinds (value ranges of each head), a gradient for every
parameter (no unused parameter: DDP needs none), a strict checkpoint round trip with
identical outputs and no size-dependent tables in the state dict, the documented parameter
count, and clear errors for inputs that are not W = 2·H panoramas. Architecture-specific
behaviour is tested in each student's own file.
"""

from __future__ import annotations

import pytest
import torch

from panodepth.models import Student360, build_model, documented_params, list_models

from .student_checks import round_trip

STUDENTS = [name for name in list_models() if not name.startswith("test-")]
SMALL = {"pano-unet": {"width": 8}}  # the others have no size option


def test_every_built_in_student_is_covered():
    assert {"unifuse", "bifusepp", "hohonet", "egformer", "pano-unet"} <= set(STUDENTS)


@pytest.mark.parametrize("name", STUDENTS)
def test_forward_both_outputs_and_every_parameter_learns(name):
    torch.manual_seed(0)
    x = torch.rand(2, 3, 64, 128)
    depth = build_model(name, output="depth", max_depth=8.0, **SMALL.get(name, {}))
    assert isinstance(depth, Student360) and depth.model_name == name
    with torch.no_grad():
        y = depth(x)
    assert y.shape == (2, 1, 64, 128) and torch.isfinite(y).all()
    assert (y > 0).all() and (y < 8.0).all()  # max_depth · sigmoid
    model = build_model(name, output="disparity", **SMALL.get(name, {}))
    y = model(x)
    assert y.shape == (2, 1, 64, 128) and torch.isfinite(y).all() and (y >= 0).all()
    y.mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing, missing[:5]
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("name", STUDENTS)
def test_strict_round_trip_without_size_tables(name, tmp_path):
    torch.manual_seed(0)
    model = build_model(name, output="depth", max_depth=7.0, **SMALL.get(name, {})).eval()
    keys = set(model.state_dict())
    with torch.no_grad():
        model(torch.rand(1, 3, 64, 128))  # fills any size-keyed cache
    assert set(model.state_dict()) == keys  # ... which never reaches the state dict
    again = round_trip(model, tmp_path, torch.rand(1, 3, 64, 128))  # equal outputs
    assert type(again) is type(model) and again.model_name == name
    assert (again.output, again.max_depth) == ("depth", 7.0)
    assert again.model_options == model.model_options


@pytest.mark.parametrize("name", STUDENTS)
def test_documented_parameter_count(name):
    with torch.device("meta"):
        model = build_model(name)
    assert sum(p.numel() for p in model.parameters()) == documented_params(name)


@pytest.mark.parametrize("name", STUDENTS)
@pytest.mark.parametrize("shape", [(1, 3, 64, 100), (1, 3, 40, 80), (1, 1, 64, 128), (3, 64, 128)])
def test_non_panorama_input_is_a_clear_error(name, shape):
    model = build_model(name, **SMALL.get(name, {}))
    with pytest.raises(ValueError, match=r"W = 2·H|shape"):
        model(torch.rand(*shape))
    with pytest.raises(ValueError, match="output must be one of"):
        build_model(name, output="normals")
