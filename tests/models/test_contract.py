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

from .student_checks import round_trip, slow_if_big

STUDENTS = [name for name in list_models() if not name.startswith("test-")]
SMALL = {"pano-unet": {"width": 8}}  # the others have no size option


def test_every_built_in_student_is_covered():
    assert {"unifuse", "bifusepp", "hohonet", "egformer", "pano-unet"} <= set(STUDENTS)


@pytest.fixture
def student(shared_student):
    """``name`` → the module's shared student of that name (default options: disparity head),
    seed 0, eval mode; read only."""
    return lambda name: shared_student(name, **SMALL.get(name, {}))


@pytest.mark.parametrize("name", STUDENTS)
def test_forward_both_outputs_and_every_parameter_learns(name, student):
    torch.manual_seed(0)
    x = torch.rand(2, 3, 64, 128)
    model = build_model(name, output="depth", max_depth=8.0, **SMALL.get(name, {}))
    assert isinstance(model, Student360) and model.model_name == name
    assert model.training  # a fresh model trains: batch statistics, dropout
    y = model(x)
    assert y.shape == (2, 1, 64, 128) and torch.isfinite(y).all()
    assert (y > 0).all() and (y < 8.0).all()  # max_depth · sigmoid
    y.mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing, missing[:5]
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    disparity = student(name)
    assert disparity.output == "disparity" and disparity.model_name == name
    with torch.no_grad():
        y = disparity(x)
    assert y.shape == (2, 1, 64, 128) and torch.isfinite(y).all() and (y >= 0).all()
    assert y.std() > 0  # not a constant map


@pytest.mark.parametrize("name", STUDENTS)
def test_no_size_dependent_tables_in_the_state_dict(name, student):
    with torch.device("meta"):  # the keys of a model that never ran
        keys = set(build_model(name, **SMALL.get(name, {})).state_dict())
    model = student(name)
    with torch.no_grad():
        model(torch.rand(1, 3, 64, 128))  # fills any size-keyed cache
    assert set(model.state_dict()) == keys  # ... which never reaches the state dict
    assert not [key for key in keys if "grid" in key.lower()]


# files of 60–210 MB take a second or more to write and read back: only pano-unet's is fast
@pytest.mark.parametrize("name", slow_if_big(STUDENTS, limit_mb=50))
def test_strict_round_trip(name, tmp_path):
    torch.manual_seed(0)
    model = build_model(name, output="depth", max_depth=7.0, **SMALL.get(name, {}))
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
def test_non_panorama_input_is_a_clear_error(name, student):
    model = student(name)
    for shape in [(1, 3, 64, 100), (1, 3, 40, 80), (1, 1, 64, 128), (3, 64, 128)]:
        with pytest.raises(ValueError, match=r"W = 2·H|shape"):
            model(torch.rand(*shape))
    with pytest.raises(ValueError, match="output must be one of"):
        build_model(name, output="normals")
