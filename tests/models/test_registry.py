"""The student registry, the shared forward contract and checkpoints by name."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from panodepth.models import Student360, build_model, list_models, register_model
from panodepth.models.backbones import BackboneWeightsError, resnet
from panodepth.training import load_student, save_student


class Tiny(Student360):
    def __init__(self, width: int = 4, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.net = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, 1, 1)
        )

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@register_model("test-tiny")
def tiny(*, width: int = 4, output: str = "disparity", max_depth: float = 10.0) -> Tiny:
    return Tiny(width, output=output, max_depth=max_depth)


def test_registry_names_and_duplicates():
    assert "test-tiny" in list_models()
    with pytest.raises(ValueError, match="already registered"):
        register_model("test-tiny")(tiny)
    with pytest.raises(ValueError, match="unknown model 'nope'; available"):
        build_model("nope")
    with pytest.raises(ValueError, match=r"unknown model 'unifsue' \(did you mean 'unifuse'\?\)"):
        build_model("unifsue")


def test_output_heads():
    x = torch.rand(2, 3, 32, 64)
    disp = build_model("test-tiny", output="disparity")(x)
    depth = build_model("test-tiny", output="depth", max_depth=5.0)(x)
    assert disp.shape == depth.shape == (2, 1, 32, 64)
    assert (disp >= 0).all() and (depth > 0).all() and (depth < 5.0).all()
    with pytest.raises(ValueError, match="output must be one of"):
        build_model("test-tiny", output="normals")


def test_normalisation_is_inside_and_not_state():
    model = build_model("test-tiny")
    assert "mean" not in model.state_dict() and "std" not in model.state_dict()
    x = torch.rand(1, 3, 32, 64)
    raw = model.net((x - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1))
                    / torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1))  # fmt: skip
    assert torch.allclose(model(x), torch.nn.functional.softplus(raw))


@pytest.mark.parametrize("shape", [(1, 3, 32, 60), (1, 3, 40, 80), (1, 1, 32, 64), (3, 32, 64)])
def test_bad_input_shapes(shape):
    with pytest.raises(ValueError, match=r"W = 2·H|shape"):
        build_model("test-tiny")(torch.rand(*shape))


def test_checkpoint_round_trip(tmp_path):
    model = build_model("test-tiny", width=6, output="depth", max_depth=7.0)
    path = save_student(model, tmp_path / "m.safetensors")
    again = load_student(path)
    assert isinstance(again, Tiny) and again.output == "depth" and again.max_depth == 7.0
    x = torch.rand(1, 3, 32, 64)
    assert torch.equal(model(x), again(x))
    assert load_student(path, max_depth=3.0).max_depth == 3.0


def test_checkpoint_errors(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"nope")
    with pytest.raises(ValueError, match="not a readable student checkpoint"):
        load_student(bad)
    path = save_student(build_model("test-tiny", width=6), tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match="do not fit"):
        load_student(path, width=8)  # strict: other shapes are refused, never silently dropped
    with pytest.raises(ValueError, match="needs a model made by build_model"):
        save_student(Tiny(), tmp_path / "x.safetensors")


def test_pretrained_backbone_offline_is_a_clear_error(monkeypatch, tmp_path, network_attempts):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # an empty hub cache
    calls = []

    def offline(url, *args, **kwargs):
        calls.append(url)
        raise OSError("network unreachable")

    # where torchvision's weights API looks the download function up (not torch.hub's name)
    monkeypatch.setattr("torchvision.models._api.load_state_dict_from_url", offline)
    with pytest.raises(BackboneWeightsError, match=r"resnet18.*pretrained=False"):
        resnet(18, pretrained=True)
    assert len(calls) == 1 and calls[0].startswith("https://download.pytorch.org/")
    assert network_attempts == []
    assert sum(p.numel() for p in resnet(18).parameters()) == 11_689_512


def test_the_architectures_are_exported_like_torchvision_models():
    import panodepth.models as models

    for name in ("UniFuse", "BiFusePP", "HoHoNet", "EGFormer", "PanoUNet"):
        cls = getattr(models, name)
        assert issubclass(cls, models.Student360) and name in models.__all__
        assert callable(cls.from_pretrained)  # the README's UniFuse.from_pretrained(...)
