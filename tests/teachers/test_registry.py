"""Registry, weights metadata and build_teacher (names, hub ids, local directories)."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import pytest
import torch
from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config

from panodepth.teachers import (
    OUTPUT_KINDS,
    SHIPPED_WEIGHTS,
    TEACHERS,
    DepthAnythingTeacher,
    DepthAnythingWeights,
    SmallTeacherWeights,
    Teacher,
    TeacherLoadError,
    build_teacher,
    get_teacher_weights,
    list_teachers,
    register_teacher,
)

EXPECTED_IDS = {
    "depth-anything-v2-small": "depth-anything/Depth-Anything-V2-Small-hf",
    "depth-anything-v2-base": "depth-anything/Depth-Anything-V2-Base-hf",
    "depth-anything-v2-large": "depth-anything/Depth-Anything-V2-Large-hf",
    "depth-anything-v1-small": "LiheYoung/depth-anything-small-hf",
    "depth-anything-v1-base": "LiheYoung/depth-anything-base-hf",
    "depth-anything-v1-large": "LiheYoung/depth-anything-large-hf",
    "synthetic-small": str(SHIPPED_WEIGHTS),  # shipped in the package
}
# (hidden size, layers, heads, neck sizes, fusion size) of the published configs
ARCHITECTURES = {
    "SMALL": (384, 12, 6, [48, 96, 192, 384], 64),
    "BASE": (768, 12, 12, [96, 192, 384, 768], 128),
    "LARGE": (1024, 24, 16, [256, 512, 1024, 1024], 256),
}


def test_names_map_to_hub_ids() -> None:
    assert {name: TEACHERS[name].hub_id for name in list_teachers()} == EXPECTED_IDS
    assert get_teacher_weights("Depth-Anything-V2-Small") is DepthAnythingWeights.V2_SMALL
    with pytest.raises(ValueError, match="unknown teacher name"):
        get_teacher_weights("midas")


def test_weights_metadata() -> None:
    assert DepthAnythingWeights.DEFAULT is DepthAnythingWeights.V2_SMALL
    assert DepthAnythingWeights.verify("DEFAULT") is DepthAnythingWeights.V2_SMALL
    with pytest.raises(ValueError, match="not a member"):
        DepthAnythingWeights.verify("V3_HUGE")
    for weights in DepthAnythingWeights:
        assert weights.name.isupper()
        assert weights.output_kind in OUTPUT_KINDS and weights.input_size == 518
        assert weights.value.paper.startswith("https://arxiv.org/")
    licences = {w.name: w.license for w in DepthAnythingWeights}
    assert licences == {
        "V2_SMALL": "Apache-2.0",
        "V2_BASE": "CC-BY-NC-4.0",
        "V2_LARGE": "CC-BY-NC-4.0",
        "V1_SMALL": "Apache-2.0",
        "V1_BASE": "Apache-2.0",
        "V1_LARGE": "Apache-2.0",
    }


@pytest.mark.parametrize("size", sorted(ARCHITECTURES))
def test_num_params_match_architecture(size: str) -> None:
    hidden, layers, heads, neck, fusion = ARCHITECTURES[size]
    backbone = Dinov2Config(
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        image_size=518,
        patch_size=14,
        out_indices=[layers - 3, layers - 2, layers - 1, layers],
        reshape_hidden_states=False,
    )
    config = DepthAnythingConfig(
        backbone_config=backbone,
        reassemble_hidden_size=hidden,
        neck_hidden_sizes=neck,
        fusion_hidden_size=fusion,
    )
    with torch.device("meta"):
        model = DepthAnythingForDepthEstimation(config)
    count = sum(p.numel() for p in model.parameters())
    assert DepthAnythingWeights[f"V1_{size}"].num_params == count
    assert DepthAnythingWeights[f"V2_{size}"].num_params == count


def test_register_rejects_duplicates_and_bad_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("panodepth.teachers.registry.TEACHERS", dict(TEACHERS))
    with pytest.raises(ValueError, match="already registered"):
        register_teacher("depth-anything-v2-small", DepthAnythingWeights.V2_SMALL)
    for bad in ("Upper", "org/name", ""):
        with pytest.raises(ValueError, match="lower case"):
            register_teacher(bad, DepthAnythingWeights.V2_SMALL)


def test_build_from_directory(teacher_dir: Path) -> None:
    images = torch.rand(2, 3, 32, 32)
    direct = DepthAnythingTeacher(str(teacher_dir), input_size=56)
    for source in (str(teacher_dir), teacher_dir):
        built = build_teacher(source, input_size=56, chunk_size=1)
        assert isinstance(built, DepthAnythingTeacher) and isinstance(built, Teacher)
        torch.testing.assert_close(built(images), direct(images))


def test_registered_name_resolves_to_hub_id(network_attempts: list[object]) -> None:
    with pytest.raises(TeacherLoadError, match="Depth-Anything-V2-Small-hf") as info:
        build_teacher("depth-anything-v2-small")
    assert info.value.source == "depth-anything/Depth-Anything-V2-Small-hf"
    with pytest.raises(TeacherLoadError, match="LiheYoung/depth-anything-large-hf"):
        build_teacher(DepthAnythingWeights.V1_LARGE, dtype=torch.bfloat16)
    assert network_attempts == []


def test_existing_directory_wins_over_name(
    tmp_path: Path, teacher_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(teacher_dir, tmp_path / "depth-anything-v2-small")
    monkeypatch.chdir(tmp_path)
    built = build_teacher("depth-anything-v2-small", input_size=56)
    assert built.source == "depth-anything-v2-small"


def test_build_rejects_other_types_and_kwargs(teacher_dir: Path) -> None:
    with pytest.raises(TypeError):
        build_teacher(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        build_teacher(str(teacher_dir), no_such_option=1)
    with pytest.raises(TypeError):
        DepthAnythingWeights.V2_SMALL.build(no_such_option=1)


@pytest.mark.parametrize(
    "builder", [build_teacher, DepthAnythingWeights.build, SmallTeacherWeights.build]
)
def test_builders_spell_out_their_options(builder) -> None:
    params = inspect.signature(builder).parameters
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())
    options = [name for name, p in params.items() if p.kind is p.KEYWORD_ONLY]
    assert options == ["input_size", "chunk_size", "device", "dtype", "local_files_only"]


def test_options_left_out_keep_each_teacher_default(teacher_dir: Path) -> None:
    small = build_teacher("synthetic-small")
    assert small.input_size == "auto" and small.trained_size == 64 and small.chunk_size == 64
    small = SmallTeacherWeights.SYNTHETIC_SMALL.build(input_size=32, chunk_size=3)
    assert small.input_size == 32 and small.chunk_size == 3
    built = build_teacher(teacher_dir)
    assert built.input_size == 518 and built.chunk_size == 16


@pytest.mark.parametrize(
    ("typo", "meant"),
    [("synthetic-smal", "synthetic-small"), ("Depth-Anything-V2-Smal", "depth-anything-v2-small")],
)
def test_a_typo_is_named_at_once_with_the_closest_names(
    typo: str, meant: str, network_attempts: list[object]
) -> None:
    with pytest.raises(TeacherLoadError) as info:
        build_teacher(typo)
    message = str(info.value)
    assert f"teacher {typo!r} (did you mean {meant!r}?) is neither a known name" in message
    assert "depth-anything-v1-large" in message  # the known names are listed
    assert "hf download" not in message  # not advice to download something never asked for
    assert network_attempts == []


def test_a_missing_path_still_gets_the_folder_message(tmp_path: Path) -> None:
    with pytest.raises(TeacherLoadError, match="not an existing directory"):
        build_teacher(str(tmp_path / "da2-small"))
