"""The small UNet teacher: shapes, the file format and the shipped weights."""

from __future__ import annotations

import pytest
import torch

from panodepth.teachers import (
    SHIPPED_WEIGHTS,
    SmallTeacher,
    SmallTeacherWeights,
    SmallUNet,
    Teacher,
    TeacherLoadError,
    build_teacher,
    list_teachers,
    load_small_teacher,
    read_metadata,
    save_small_teacher,
)
from panodepth.teachers.small import FORMAT, num_params


@pytest.fixture(scope="module")
def net() -> SmallUNet:
    torch.manual_seed(0)
    return SmallUNet().eval()


class TestSmallUNet:
    @pytest.mark.parametrize("hw", [(32, 32), (64, 64), (48, 80), (16, 112)])
    def test_shapes(self, net: SmallUNet, hw: tuple[int, int]) -> None:
        with torch.no_grad():
            out = net(torch.rand(2, 3, *hw))
        assert out.shape == (2, 1, *hw)
        assert bool((out >= 0).all()) and bool(torch.isfinite(out).all())

    def test_rejects_sizes_not_multiple_of_16(self, net: SmallUNet) -> None:
        with pytest.raises(ValueError, match="divisible by 16"):
            net(torch.rand(1, 3, 40, 32))

    def test_size_of_default_architecture(self, net: SmallUNet) -> None:
        assert 500_000 <= num_params(net) <= 2_000_000
        assert num_params(net) == SmallTeacherWeights.SYNTHETIC_SMALL.num_params


class TestSmallTeacher:
    @pytest.mark.parametrize("hw", [(32, 32), (64, 64), (17, 23), (5, 3), (40, 100)])
    def test_any_size(self, net: SmallUNet, hw: tuple[int, int]) -> None:
        teacher = SmallTeacher(net)
        out = teacher(torch.rand(3, 3, *hw, dtype=torch.float64))
        assert out.shape == (3, 1, *hw) and out.dtype == torch.float64
        assert bool((out >= 0).all()) and bool(torch.isfinite(out).all())
        assert not out.requires_grad

    def test_contract(self, net: SmallUNet) -> None:
        teacher = SmallTeacher(net, chunk_size=2)
        assert isinstance(teacher, Teacher) and teacher.output_kind == "relative_disparity"
        assert teacher(torch.rand(0, 3, 32, 32)).shape == (0, 1, 32, 32)
        teacher.train()
        assert not teacher.training and not teacher.net.training
        assert not any(p.requires_grad for p in teacher.parameters())
        x = torch.rand(5, 3, 32, 32)
        torch.testing.assert_close(teacher(x), SmallTeacher(net, chunk_size=64)(x))
        with pytest.raises(ValueError, match="shape"):
            teacher(torch.rand(2, 1, 32, 32))

    def test_input_size_resizes_and_comes_back(self, net: SmallUNet) -> None:
        teacher = SmallTeacher(net, input_size=32)
        out = teacher(torch.rand(2, 3, 64, 96))
        assert out.shape == (2, 1, 64, 96)
        with pytest.raises(ValueError, match="input_size"):
            SmallTeacher(net, input_size=0)


class TestFile:
    def test_round_trip_with_metadata(self, net: SmallUNet, tmp_path) -> None:
        meta = {"command": "panodepth train-teacher --steps 3", "steps": 3, "eval": {"a": 0.5}}
        path = save_small_teacher(net, tmp_path / "sub" / "t.safetensors", meta, torch.float32)
        loaded, read = load_small_teacher(path)
        assert read["format"] == FORMAT and read["command"] == meta["command"]
        assert read["steps"] == 3 and read["eval"] == {"a": 0.5}
        assert read["arch"]["widths"] == list(net.config.widths)
        x = torch.rand(2, 3, 32, 32)
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), net(x), rtol=0, atol=0)

    def test_float16_storage_is_close(self, net: SmallUNet, tmp_path) -> None:
        path = save_small_teacher(net, tmp_path / "t16.safetensors")
        teacher = build_teacher(str(path))  # a .safetensors path resolves to SmallTeacher
        assert isinstance(teacher, SmallTeacher) and teacher.source == str(path)
        x = torch.rand(2, 3, 32, 32)
        with torch.no_grad():
            torch.testing.assert_close(teacher(x), net(x), rtol=2e-2, atol=2e-3)

    def test_overwrite_leaves_no_temporary_file(self, net: SmallUNet, tmp_path) -> None:
        path = tmp_path / "t.safetensors"
        save_small_teacher(net, path, {"run": 1})
        save_small_teacher(net, path, {"run": 2})
        assert read_metadata(path)["run"] == 2
        assert [p.name for p in tmp_path.iterdir()] == ["t.safetensors"]

    def test_reserved_keys(self, net: SmallUNet, tmp_path) -> None:
        with pytest.raises(ValueError, match="reserved"):
            save_small_teacher(net, tmp_path / "t.safetensors", {"format": "x"})

    def test_missing_file_names_it(self, tmp_path) -> None:
        missing = tmp_path / "nope.safetensors"
        with pytest.raises(TeacherLoadError, match=r"nope\.safetensors") as info:
            build_teacher(missing)
        assert info.value.source == str(missing)

    def test_corrupt_file_names_it(self, tmp_path) -> None:
        bad = tmp_path / "corrupt.safetensors"
        bad.write_bytes(b"\x00garbage" * 10)
        with pytest.raises(TeacherLoadError, match=r"corrupt\.safetensors"):
            SmallTeacher(bad)

    def test_foreign_safetensors_file(self, tmp_path) -> None:
        from safetensors.torch import save_file

        other = tmp_path / "other.safetensors"
        save_file({"w": torch.zeros(2)}, str(other))
        with pytest.raises(TeacherLoadError, match="not a panodepth small-teacher"):
            read_metadata(other)

    def test_mismatched_weights(self, net: SmallUNet, tmp_path) -> None:
        from safetensors.torch import load_file, save_file

        path = save_small_teacher(net, tmp_path / "t.safetensors")
        meta = {k: v for k, v in _raw_metadata(path).items()}
        state = load_file(str(path))
        state.pop(next(iter(state)))
        save_file(state, str(path), metadata=meta)
        with pytest.raises(TeacherLoadError, match=r"t\.safetensors"):
            load_small_teacher(path)


def _raw_metadata(path) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as f:
        return f.metadata()


class TestShippedWeights:
    def test_registered_and_loads(self) -> None:
        assert "synthetic-small" in list_teachers()
        assert SHIPPED_WEIGHTS.is_file()
        assert SHIPPED_WEIGHTS.stat().st_size <= 8 * 2**20
        teacher = build_teacher("synthetic-small")
        assert isinstance(teacher, SmallTeacher)
        out = teacher(torch.rand(6, 3, 32, 32))
        assert out.shape == (6, 1, 32, 32)
        assert bool(torch.isfinite(out).all()) and bool((out > 0).all())

    def test_views_larger_than_trained_are_reduced_to_it(self) -> None:
        teacher = build_teacher("synthetic-small")
        seen: list[tuple[int, ...]] = []
        hook = teacher.net.register_forward_pre_hook(lambda _m, args: seen.append(args[0].shape))
        try:
            assert teacher(torch.rand(1, 3, 366, 366)).shape == (1, 1, 366, 366)
            teacher(torch.rand(1, 3, 32, 48))  # smaller than trained: its own size
        finally:
            hook.remove()
        assert seen == [(1, 3, 64, 64), (1, 3, 32, 48)]

    def test_teacher_mode_on_a_large_panorama_stays_valid(self) -> None:
        """Regression: at the input's own size (a 366 px view of a 512-row panorama) the
        64 px teacher's stitched output was invalid on a third of a synthetic office."""
        from panodepth.data.synthetic import render_sample
        from panodepth.inference import Predictor

        predictor = Predictor.from_teacher("synthetic-small", height=512)
        rgb = torch.nn.functional.interpolate(
            render_sample("office", 0, height=128).rgb[None], size=(512, 1024), mode="bilinear"
        )
        disparity = predictor.disparity(rgb.clamp(0, 1))
        assert float((disparity > 0).float().mean()) > 0.95

    def test_metadata_says_how_it_was_made(self) -> None:
        meta = read_metadata(SHIPPED_WEIGHTS)
        assert meta["command"].startswith("panodepth train-teacher ")
        # a broad world of indoor styles and outdoor scenes; never the demo's test domain
        # (home) nor its validation domain (cabin), which picked the weights
        assert meta["domains"] == ["office", "hotel", "loft", "classroom", "outdoor"]
        assert meta["eval_domain"] == "cabin" and "home" not in meta["domains"]
        assert f"--steps {meta['train']['steps']}" in meta["command"]
        validation = meta["validation"]
        assert validation["domain"] == "cabin" and len(validation["curve_abs_rel"]) >= 10
        best = min(validation["curve_abs_rel"], key=lambda row: row[1])
        assert validation["best_step"] == best[0]
        cabin = meta["eval"]["cabin@64"]["lsq_disparity"]
        assert cabin["abs_rel"] == pytest.approx(best[1], abs=1e-4)  # the kept weights
        assert 0 < cabin["abs_rel"] < 0.16 and cabin["delta1"] > 0.75  # constant: ≈ 0.25 / 0.5
