"""DepthAnythingTeacher on tiny local checkpoints: contract, preprocessing, dtypes, errors."""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModelForDepthEstimation, DPTConfig, DPTForDepthEstimation

from panodepth.conventions import IMAGENET_MEAN, IMAGENET_STD
from panodepth.geometry import safe_reciprocal
from panodepth.teachers import DepthAnythingTeacher, Teacher, TeacherLoadError

from .conftest import CUSTOM_MEAN, CUSTOM_STD, save_tiny


@pytest.fixture(scope="module")
def teacher(teacher_dir: Path) -> DepthAnythingTeacher:
    return DepthAnythingTeacher(str(teacher_dir), input_size=56)


@functools.cache
def bare_model(model_dir: Path) -> torch.nn.Module:
    """The checkpoint loaded by transformers itself (once per folder), for :func:`reference`."""
    return AutoModelForDepthEstimation.from_pretrained(model_dir, local_files_only=True).eval()


def reference(
    model_dir: Path,
    images: torch.Tensor,
    size: tuple[int, int],
    mean: tuple[float, ...] | None = IMAGENET_MEAN,
    std: tuple[float, ...] | None = IMAGENET_STD,
    metric: bool = False,
) -> torch.Tensor:
    """The documented pipeline written out by hand around the bare transformers model."""
    model = bare_model(model_dir)
    x = F.interpolate(images, size=size, mode="bicubic", align_corners=False, antialias=True)
    if mean is not None:
        x = (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    with torch.no_grad():
        pred = model(pixel_values=x).predicted_depth[:, None]
    if metric:
        pred = 1.0 / pred
    pred = F.interpolate(
        pred, size=images.shape[-2:], mode="bilinear", align_corners=False, antialias=True
    )
    return pred.clamp(min=0)


class TestContract:
    @pytest.mark.parametrize("hw", [(32, 32), (48, 48), (40, 72), (72, 40)])
    def test_shape_range_finite(self, teacher: DepthAnythingTeacher, hw: tuple[int, int]) -> None:
        images = torch.rand(3, 3, *hw)
        out = teacher(images)
        assert isinstance(teacher, Teacher)
        assert out.shape == (3, 1, *hw)
        assert out.dtype == images.dtype and out.device == images.device
        assert torch.isfinite(out).all() and (out >= 0).all()
        assert out.std() > 0  # the tiny model is not degenerate

    def test_deterministic(self, teacher: DepthAnythingTeacher) -> None:
        images = torch.rand(2, 3, 32, 32)
        torch.testing.assert_close(teacher(images), teacher(images), rtol=0, atol=0)

    def test_chunking_matches_one_batch(self, teacher_dir: Path) -> None:
        images = torch.rand(5, 3, 32, 32)
        whole = DepthAnythingTeacher(str(teacher_dir), input_size=56, chunk_size=16)(images)
        chunked = DepthAnythingTeacher(str(teacher_dir), input_size=56, chunk_size=2)(images)
        torch.testing.assert_close(chunked, whole, rtol=1e-5, atol=1e-6)

    def test_images_are_labelled_independently(self, teacher: DepthAnythingTeacher) -> None:
        images = torch.rand(3, 3, 32, 32)
        torch.testing.assert_close(teacher(images)[1:2], teacher(images[1:2]))

    def test_empty_batch(self, teacher: DepthAnythingTeacher) -> None:
        assert teacher(torch.rand(0, 3, 32, 48)).shape == (0, 1, 32, 48)

    def test_output_follows_input_dtype(self, teacher: DepthAnythingTeacher) -> None:
        images = torch.rand(1, 3, 32, 32, dtype=torch.float64)
        out = teacher(images)
        assert out.dtype == torch.float64
        torch.testing.assert_close(out.float(), teacher(images.float()))

    @pytest.mark.parametrize(
        "bad",
        [
            torch.rand(3, 32, 32),
            torch.rand(1, 4, 32, 32),
            torch.zeros(1, 3, 8, 8, dtype=torch.uint8),
        ],
    )
    def test_bad_input_raises(self, teacher: DepthAnythingTeacher, bad: torch.Tensor) -> None:
        with pytest.raises(ValueError, match=r"\(N, 3, H, W\)|float RGB"):
            teacher(bad)

    def test_frozen_and_always_eval(self, teacher: DepthAnythingTeacher) -> None:
        assert all(not p.requires_grad for p in teacher.parameters())
        assert not teacher.training and not teacher.model.training
        teacher.train()
        assert not teacher.training and not teacher.model.training
        images = torch.rand(1, 3, 32, 32, requires_grad=True)
        assert not teacher(images).requires_grad

    def test_output_kind(self, teacher: DepthAnythingTeacher) -> None:
        assert teacher.output_kind == "relative_disparity"


class TestPreprocessing:
    @pytest.mark.parametrize(
        ("hw", "size"), [((32, 32), (56, 56)), ((48, 48), (56, 56)), ((40, 72), (56, 98))]
    )
    def test_matches_hand_written_pipeline(
        self,
        teacher: DepthAnythingTeacher,
        teacher_dir: Path,
        hw: tuple[int, int],
        size: tuple[int, int],
    ) -> None:
        images = torch.rand(2, 3, *hw)
        out = teacher(images)
        torch.testing.assert_close(out, reference(teacher_dir, images, size), rtol=1e-5, atol=1e-6)
        # the comparison is sensitive to the normalisation: without it the output differs
        unnormalised = reference(teacher_dir, images, size, mean=None, std=None)
        assert (out - unnormalised).abs().max() > 1e-2

    def test_normalisation_read_from_checkpoint(self, tiny_processor_dir: Path) -> None:
        teacher = DepthAnythingTeacher(str(tiny_processor_dir), input_size=56)
        assert teacher.image_mean == pytest.approx(CUSTOM_MEAN)
        assert teacher.image_std == pytest.approx(CUSTOM_STD)
        images = torch.rand(2, 3, 32, 32)
        out = teacher(images)
        expected = reference(tiny_processor_dir, images, (56, 56), CUSTOM_MEAN, CUSTOM_STD)
        torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-6)
        assert (out - reference(tiny_processor_dir, images, (56, 56))).abs().max() > 1e-2

    def test_imagenet_defaults_without_processor_config(
        self, teacher: DepthAnythingTeacher
    ) -> None:
        assert teacher.image_mean == IMAGENET_MEAN and teacher.image_std == IMAGENET_STD

    @pytest.mark.parametrize(
        ("input_size", "hw", "expected"),
        [
            (518, (256, 256), (518, 518)),
            (518, (512, 1024), (518, 1036)),
            (518, (1024, 512), (1036, 518)),
            (518, (600, 800), (518, 686)),  # 518 · 4/3 = 690.7 → 49 · 14
            (512, (100, 100), (518, 518)),  # rounded up to a multiple of 14
            (56, (40, 72), (56, 98)),
        ],
    )
    def test_inference_size(
        self,
        teacher_dir: Path,
        input_size: int,
        hw: tuple[int, int],
        expected: tuple[int, int],
    ) -> None:
        teacher = DepthAnythingTeacher(str(teacher_dir), input_size=input_size)
        assert teacher.patch_size == 14
        assert teacher.inference_size(*hw) == expected


class TestMetric:
    def test_metric_checkpoint_returns_inverse_depth(self, tiny_metric_dir: Path) -> None:
        teacher = DepthAnythingTeacher(str(tiny_metric_dir), input_size=56)
        assert teacher.output_kind == "metric_disparity"
        images = torch.rand(2, 3, 32, 32)
        out = teacher(images)
        expected = reference(tiny_metric_dir, images, (56, 56), metric=True)
        torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-7)
        assert (out > 1 / 20).all()  # depth < max_depth = 20 m

    def test_non_positive_depth_gives_zero_disparity(self) -> None:
        depth = torch.tensor([-1.0, 0.0, 0.5, 4.0])
        torch.testing.assert_close(safe_reciprocal(depth), torch.tensor([0.0, 0.0, 2.0, 0.25]))


class TestDtype:
    def test_bfloat16_on_cpu(self, teacher: DepthAnythingTeacher, teacher_dir: Path) -> None:
        bf16 = DepthAnythingTeacher(str(teacher_dir), input_size=56, dtype=torch.bfloat16)
        assert next(bf16.parameters()).dtype == torch.bfloat16
        images = torch.rand(2, 3, 32, 32)
        out, ref = bf16(images), teacher(images)
        assert out.dtype == torch.float32
        assert (out - ref).abs().max() <= 0.05 * ref.abs().max()

    def test_dtype_strings(self, teacher_dir: Path) -> None:
        bf16 = DepthAnythingTeacher(str(teacher_dir), input_size=56, dtype="bf16")
        assert next(bf16.parameters()).dtype == torch.bfloat16
        with pytest.raises(ValueError, match="dtype"):
            DepthAnythingTeacher(str(teacher_dir), dtype="int8")

    def test_float16_on_cpu_falls_back_with_warning(self, teacher_dir: Path) -> None:
        with pytest.warns(UserWarning, match="float16"):
            fp16 = DepthAnythingTeacher(str(teacher_dir), input_size=56, dtype=torch.float16)
        assert next(fp16.parameters()).dtype == torch.float32

    if torch.cuda.is_available():  # collected only where a GPU exists

        def test_float16_on_cuda(self, teacher: DepthAnythingTeacher, teacher_dir: Path) -> None:
            fp16 = DepthAnythingTeacher(
                str(teacher_dir), input_size=56, device="cuda", dtype="fp16"
            )
            images = torch.rand(2, 3, 32, 32)
            out, ref = fp16(images), teacher(images)
            assert out.device == images.device and out.dtype == torch.float32
            assert (out - ref).abs().max() <= 0.02 * ref.abs().max()


class TestLoading:
    def test_missing_directory(self, tmp_path: Path, network_attempts: list[object]) -> None:
        missing = tmp_path / "no" / "such" / "weights"
        with pytest.raises(TeacherLoadError) as info:
            DepthAnythingTeacher(str(missing))
        message = str(info.value)
        assert str(missing) in message and "not an existing directory" in message
        assert "--local-dir DIR" in message and "hf download" in message
        assert info.value.source == str(missing) and isinstance(info.value, ValueError)
        assert info.value.__cause__ is None and info.value.__suppress_context__
        assert network_attempts == []

    def test_unknown_hub_id_offline(self, network_attempts: list[object]) -> None:
        with pytest.raises(TeacherLoadError, match="offline") as info:
            DepthAnythingTeacher("panodepth-tests/no-such-model")
        message = str(info.value)
        assert "'panodepth-tests/no-such-model'" in message
        assert "hf download panodepth-tests/no-such-model --local-dir DIR" in message
        assert "huggingface-cli download" in message and "HF_HUB_OFFLINE" in message
        assert "Traceback" not in message and len(message.splitlines()) < 10
        assert network_attempts == []

    def test_local_files_only_without_env(
        self, monkeypatch: pytest.MonkeyPatch, network_attempts: list[object]
    ) -> None:
        from huggingface_hub import constants

        # online as far as the environment and huggingface_hub know: only the argument holds
        monkeypatch.delenv("HF_HUB_OFFLINE")
        monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        with pytest.raises(TeacherLoadError):
            DepthAnythingTeacher("panodepth-tests/no-such-model", local_files_only=True)
        assert network_attempts == []

    def test_directory_without_model(self, tmp_path: Path) -> None:
        with pytest.raises(TeacherLoadError, match="exists but holds no loadable depth model"):
            DepthAnythingTeacher(str(tmp_path))

    def test_path_like_loads_without_warnings(self, teacher_dir: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            teacher = DepthAnythingTeacher(teacher_dir, input_size=56)
        assert teacher.source == str(teacher_dir)

    def test_other_depth_model_loads_with_warning(self, tmp_path: Path) -> None:
        config = DPTConfig(
            hidden_size=32,
            num_hidden_layers=4,
            num_attention_heads=2,
            intermediate_size=64,
            image_size=32,
            patch_size=16,
            backbone_out_indices=[0, 1, 2, 3],
            neck_hidden_sizes=[8, 16, 32, 32],
            fusion_hidden_size=16,
        )
        DPTForDepthEstimation(config).save_pretrained(tmp_path)
        with pytest.warns(UserWarning, match="not Depth Anything"):
            teacher = DepthAnythingTeacher(str(tmp_path), input_size=32)
        assert teacher.patch_size == 16 and teacher.output_kind == "relative_disparity"
        out = teacher(torch.rand(2, 3, 40, 40))  # DPT's ViT needs square inputs
        assert out.shape == (2, 1, 40, 40) and (out >= 0).all()

    @pytest.mark.parametrize("kwargs", [{"input_size": 0}, {"chunk_size": 0}, {"chunk_size": 1.5}])
    def test_bad_arguments(self, teacher_dir: Path, kwargs: dict[str, object]) -> None:
        with pytest.raises(ValueError, match="positive int"):
            DepthAnythingTeacher(str(teacher_dir), **kwargs)

    def test_seeded_checkpoints_differ(self, tmp_path: Path, teacher: DepthAnythingTeacher) -> None:
        other = DepthAnythingTeacher(str(save_tiny(tmp_path / "seed1", seed=1)), input_size=56)
        images = torch.rand(1, 3, 32, 32)
        assert (other(images) - teacher(images)).abs().max() > 1e-3
