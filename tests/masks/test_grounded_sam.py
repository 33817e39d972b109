"""GroundedSAMMasker: loading, the real detection/segmentation plumbing on tiny models, and
the box → mask → invalid logic checked exactly with a stubbed detector and SAM decoder."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import Tensor

from panodepth.masks import GroundedSAMMasker, MaskerLoadError, combine_valid, prompt_text

from .conftest import SAM_SIZE, TINY_VOCAB


def box_fill(h: int, w: int, boxes: list[list[float]]) -> Tensor:
    """(1, H, W) bool: pixels whose centre lies inside any of the boxes (x0, y0, x1, y1)."""
    ys = torch.arange(h).float()[:, None] + 0.5
    xs = torch.arange(w).float()[None, :] + 0.5
    out = torch.zeros(1, h, w, dtype=torch.bool)
    for x0, y0, x1, y1 in boxes:
        out |= ((xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1))[None]
    return out


def fake_sam_decoder(masker: GroundedSAMMasker, monkeypatch: pytest.MonkeyPatch) -> list:
    """Replace SAM's prompt decoder by one that returns each box, filled, as its mask.

    The fake answers in SAM's padded input frame (``SAM_SIZE`` square, one logit per input
    pixel; the real decoder answers at a quarter of that, and bilinear upsampling then rounds
    the corners of a box): logit +10 at pixel centres inside the box, -10 outside. The masks
    then come back through the real ``post_process_masks`` pixel-exact. Returns the list of
    box prompts it received.
    """
    seen = []

    def forward(*, image_embeddings: Tensor, input_boxes: Tensor, multimask_output: bool):
        assert not multimask_output
        assert image_embeddings.shape[0] == 1
        seen.append(input_boxes.clone())
        logits = [
            torch.where(box_fill(SAM_SIZE, SAM_SIZE, [box]), 10.0, -10.0)
            for box in input_boxes[0].tolist()
        ]
        return SimpleNamespace(pred_masks=torch.stack(logits)[None])  # (1, K, 1, S, S)

    monkeypatch.setattr(masker.segmenter, "forward", forward)
    return seen


class TestPromptText:
    def test_depth_anywhere_prompts(self) -> None:
        assert prompt_text(("sky", "watermark")) == "sky. watermark."

    def test_lower_case_and_one_dot_each(self) -> None:
        assert prompt_text(["Sky.", "  WaterMark "]) == "sky. watermark."
        assert prompt_text("sky") == "sky."

    @pytest.mark.parametrize("bad", [(), ("sky", ""), (" . ",)])
    def test_empty(self, bad: tuple[str, ...]) -> None:
        with pytest.raises(ValueError, match="prompts"):
            prompt_text(bad)


class TestTinyModels:
    """The real pipeline on tiny random models loaded from local directories."""

    def test_output_shape_dtype_and_consistency(self, tiny_masker: GroundedSAMMasker) -> None:
        images = torch.rand(2, 3, 32, 64)
        valid = tiny_masker(images)
        assert valid.shape == (2, 1, 32, 64)
        assert valid.dtype == torch.bool
        boxes = tiny_masker.detect(images)
        assert len(boxes) == 2
        assert all(b.ndim == 2 and b.shape[1] == 4 and b.dtype == torch.float32 for b in boxes)
        assert sum(len(b) for b in boxes) > 0  # random weights: scores near 1, boxes found
        assert torch.equal(valid, ~tiny_masker.segment(images, boxes))

    def test_models_frozen_and_in_eval(self, tiny_masker: GroundedSAMMasker) -> None:
        tiny_masker.train()
        assert not tiny_masker.detector.training
        assert not tiny_masker.segmenter.training
        assert not any(p.requires_grad for p in tiny_masker.parameters())

    def test_prompt_reaches_the_detector(
        self, tiny_masker: GroundedSAMMasker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seen = {}
        real = tiny_masker.detector.forward

        def spy(**kwargs):
            seen.update(kwargs)
            return real(**kwargs)

        monkeypatch.setattr(tiny_masker.detector, "forward", spy)
        tiny_masker.detect(torch.rand(2, 3, 32, 64))
        tokenizer = tiny_masker.detector_processor.tokenizer
        assert tiny_masker.text == "sky. watermark."
        assert seen["input_ids"].shape[0] == 2
        assert tokenizer.decode(seen["input_ids"][1]) == "[CLS] sky. watermark. [SEP]"
        assert seen["pixel_values"].dtype == torch.float32

    def test_thresholds_passed_through(
        self, tiny_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        masker = GroundedSAMMasker(*tiny_dirs, box_threshold=0.42, text_threshold=0.33)
        processor = masker.detector_processor
        real = processor.post_process_grounded_object_detection
        calls = []

        def spy(*args, **kwargs):
            calls.append(kwargs)
            return real(*args, **kwargs)

        monkeypatch.setattr(processor, "post_process_grounded_object_detection", spy)
        masker.detect(torch.rand(3, 3, 24, 40))
        assert calls[0]["threshold"] == 0.42
        assert calls[0]["text_threshold"] == 0.33
        assert list(calls[0]["target_sizes"]) == [(24, 40)] * 3

    def test_threshold_above_one_finds_nothing(
        self, tiny_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        masker = GroundedSAMMasker(*tiny_dirs, box_threshold=1.01)

        def no_sam(*args, **kwargs):
            raise AssertionError("SAM must not run when there are no boxes")

        monkeypatch.setattr(masker.segmenter, "forward", no_sam)
        monkeypatch.setattr(masker.segmenter, "get_image_embeddings", no_sam)
        images = torch.rand(2, 3, 32, 64)
        assert [len(b) for b in masker.detect(images)] == [0, 0]
        valid = masker(images)
        assert valid.all()
        assert masker.keep(valid).tolist() == [True, True]

    def test_dtype_passed_to_from_pretrained(self, tiny_dirs: tuple[Path, Path]) -> None:
        masker = GroundedSAMMasker(*tiny_dirs, dtype=torch.float64)
        assert masker.detector.dtype == torch.float64
        assert masker.segmenter.dtype == torch.float64
        valid = masker(torch.rand(1, 3, 32, 64))
        assert valid.shape == (1, 1, 32, 64)
        assert valid.dtype == torch.bool

    def test_repr_names_the_settings(self, tiny_masker: GroundedSAMMasker) -> None:
        text = repr(tiny_masker)
        assert "sky. watermark." in text
        assert "box_threshold=0.3" in text
        assert "min_valid=0.2" in text


class TestBoxesToMask:
    """Stubbed detector (known boxes): exactly the union of the boxes' masks is invalid."""

    def test_real_tiny_sam_union_goes_to_the_right_image(
        self, tiny_masker: GroundedSAMMasker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        boxes = [torch.zeros(0, 4), torch.tensor([[0.0, 0.0, 16.0, 8.0], [8.0, 4.0, 40.0, 28.0]])]
        monkeypatch.setattr(tiny_masker, "detect", lambda images: boxes)
        images = torch.rand(2, 3, 32, 64)
        valid = tiny_masker(images)
        assert valid[0].all()  # no boxes: all valid
        invalid = tiny_masker.segment(images, boxes)
        assert torch.equal(valid, ~invalid)
        # each box's own mask is inside the union
        for box in boxes[1]:
            one = tiny_masker.segment(images[1:], [box[None]])
            assert not (one & ~invalid[1:]).any()

    @pytest.mark.parametrize(
        ("size", "boxes"),
        [
            # SAM input frame = image frame (longest side 64)
            ((32, 64), [[0, 0, 16, 8], [8, 4, 40, 28]]),
            # image 16×32 is resized 2× for SAM: box prompts must be scaled to match
            ((16, 32), [[0, 0, 8, 4], [20, 6, 32, 16]]),
            # a box reaching past the image is clipped
            ((32, 64), [[48, 16, 80, 40]]),
        ],
    )
    def test_exact_union(
        self,
        tiny_masker: GroundedSAMMasker,
        monkeypatch: pytest.MonkeyPatch,
        size: tuple[int, int],
        boxes: list[list[float]],
    ) -> None:
        h, w = size
        seen = fake_sam_decoder(tiny_masker, monkeypatch)
        box_lists = [torch.tensor(boxes, dtype=torch.float32), torch.zeros(0, 4)]
        monkeypatch.setattr(tiny_masker, "detect", lambda images: box_lists)
        valid = tiny_masker(torch.rand(2, 3, h, w))
        expected = box_fill(h, w, boxes)
        assert torch.equal(valid[0], ~expected)
        assert valid[1].all()
        assert len(seen) == 1  # SAM's decoder ran for the image with boxes only
        scale = 64 / w
        clipped = torch.tensor(boxes).clamp(min=0)
        clipped[:, 0::2] = clipped[:, 0::2].clamp(max=w)
        clipped[:, 1::2] = clipped[:, 1::2].clamp(max=h)
        torch.testing.assert_close(seen[0][0], clipped * scale)

    def test_many_boxes_are_chunked_but_united(
        self, tiny_masker: GroundedSAMMasker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        fake_sam_decoder(tiny_masker, monkeypatch)
        boxes = [[4 * i, 4 * (i % 8), 4 * i + 4, 4 * (i % 8) + 4] for i in range(16)]
        boxes += [[0, 28, 64, 32]] * 5  # 21 boxes: more than one post-processing chunk
        monkeypatch.setattr(tiny_masker, "detect", lambda images: [torch.tensor(boxes).float()])
        valid = tiny_masker(torch.rand(1, 3, 32, 64))
        assert torch.equal(valid[0], ~box_fill(32, 64, boxes))

    def test_mostly_masked_image_is_dropped(
        self, tiny_masker: GroundedSAMMasker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        fake_sam_decoder(tiny_masker, monkeypatch)
        # 32×64 images: top 28 rows masked (87.5 %, dropped) and top 8 rows (25 %, kept)
        boxes = [torch.tensor([[0.0, 0.0, 64.0, 28.0]]), torch.tensor([[0.0, 0.0, 64.0, 8.0]])]
        monkeypatch.setattr(tiny_masker, "detect", lambda images: boxes)
        valid = tiny_masker(torch.rand(2, 3, 32, 64))
        assert valid.float().mean(dim=(1, 2, 3)).tolist() == [0.125, 0.75]
        assert tiny_masker.keep(valid).tolist() == [False, True]

    def test_85_percent_masked_is_dropped_with_a_stubbed_segment(
        self, tiny_masker: GroundedSAMMasker, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        invalid = torch.zeros(2, 1, 20, 20, dtype=torch.bool)
        invalid[0].view(-1)[:340] = True  # 85 %
        invalid[1].view(-1)[:300] = True  # 75 %
        monkeypatch.setattr(tiny_masker, "detect", lambda images: [torch.zeros(1, 4)] * 2)
        monkeypatch.setattr(tiny_masker, "segment", lambda images, boxes: invalid)
        valid = tiny_masker(torch.rand(2, 3, 20, 20))
        assert torch.equal(valid, ~invalid)  # the mask is applied, not dropped
        assert tiny_masker.keep(valid).tolist() == [False, True]
        depth = torch.ones(2, 1, 20, 20)
        usable = combine_valid(depth, valid)
        assert usable.sum().item() == (400 - 340) + (400 - 300)

    def test_bad_boxes(self, tiny_masker: GroundedSAMMasker) -> None:
        images = torch.rand(2, 3, 16, 32)
        with pytest.raises(ValueError, match="one \\(K, 4\\) tensor per image"):
            tiny_masker.segment(images, [torch.zeros(0, 4)])
        with pytest.raises(ValueError, match=r"boxes\[1\]"):
            tiny_masker.segment(images, [torch.zeros(0, 4), torch.zeros(3)])


class TestLoading:
    def test_missing_local_dir(self, tmp_path: Path, tiny_dirs: tuple[Path, Path]) -> None:
        missing = tmp_path / "grounding-dino-tiny"
        with pytest.raises(MaskerLoadError) as err:
            GroundedSAMMasker(detector=missing, segmenter=tiny_dirs[1])
        msg = str(err.value)
        assert str(missing) in msg
        assert "does not exist" in msg
        assert "hf download IDEA-Research/grounding-dino-tiny --local-dir" in msg
        assert isinstance(err.value, ValueError)

    def test_missing_segmenter_dir_as_string(self, tiny_dirs: tuple[Path, Path]) -> None:
        with pytest.raises(MaskerLoadError, match=r"SAM segmenter.*/no/such/sam.*facebook/sam"):
            GroundedSAMMasker(detector=tiny_dirs[0], segmenter="/no/such/sam")

    def test_empty_dir(self, tmp_path: Path, tiny_dirs: tuple[Path, Path]) -> None:
        with pytest.raises(MaskerLoadError, match=r"cannot load from directory.*save_pretrained"):
            GroundedSAMMasker(detector=tmp_path, segmenter=tiny_dirs[1])

    def test_weights_file_missing(self, tmp_path: Path, tiny_dirs: tuple[Path, Path]) -> None:
        sam = shutil.copytree(tiny_dirs[1], tmp_path / "sam")
        (sam / "model.safetensors").unlink()
        with pytest.raises(MaskerLoadError, match="SAM segmenter"):
            GroundedSAMMasker(detector=tiny_dirs[0], segmenter=sam)

    def test_partial_weights_are_refused(
        self, tmp_path: Path, tiny_dirs: tuple[Path, Path]
    ) -> None:
        from safetensors.torch import load_file, save_file

        sam = shutil.copytree(tiny_dirs[1], tmp_path / "sam")
        weights = load_file(sam / "model.safetensors")
        dropped = sorted(k for k in weights if "mask_decoder" in k)[:3]
        save_file({k: v for k, v in weights.items() if k not in dropped}, sam / "model.safetensors")
        with pytest.raises(MaskerLoadError, match="partly random") as err:
            GroundedSAMMasker(detector=tiny_dirs[0], segmenter=sam)
        assert dropped[0] in str(err.value)

    def test_swapped_models(self, tiny_dirs: tuple[Path, Path]) -> None:
        detector, segmenter = tiny_dirs
        with pytest.raises(MaskerLoadError, match="Grounding DINO"):
            GroundedSAMMasker(detector=segmenter, segmenter=segmenter)
        with pytest.raises(MaskerLoadError, match=r"'grounding-dino' model, expected 'sam'"):
            GroundedSAMMasker(detector=detector, segmenter=detector)

    def test_offline_hub_id(self, tiny_dirs: tuple[Path, Path]) -> None:
        with pytest.raises(MaskerLoadError) as err:
            GroundedSAMMasker(detector="panodepth-tests/no-such-detector", segmenter=tiny_dirs[1])
        msg = str(err.value)
        assert "panodepth-tests/no-such-detector" in msg
        assert "offline mode is on (HF_HUB_OFFLINE" in msg
        assert "--local-dir ./no-such-detector" in msg
        assert "detector='./no-such-detector'" in msg

    def test_offline_default_ids(self) -> None:
        from huggingface_hub import try_to_load_from_cache

        if isinstance(
            try_to_load_from_cache("IDEA-Research/grounding-dino-tiny", "config.json"), str
        ):
            pytest.skip("the real Grounding DINO is in this machine's hub cache")
        with pytest.raises(MaskerLoadError, match=r"IDEA-Research/grounding-dino-tiny.*offline"):
            GroundedSAMMasker()

    def test_tokenizer_vocab_is_the_tiny_one(self, tiny_masker: GroundedSAMMasker) -> None:
        assert len(tiny_masker.detector_processor.tokenizer) == len(TINY_VOCAB)


def test_an_unreachable_hub_means_the_cache_only(
    tiny_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, network_attempts: list[object]
) -> None:
    import socket

    from huggingface_hub import constants

    from panodepth.io.hub import OFFLINE_VARIABLES, PROXY_VARIABLES

    for var in (*OFFLINE_VARIABLES, *PROXY_VARIABLES, "HF_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # online, as far as HF knows

    def no_dns(*args: object, **kwargs: object):
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(MaskerLoadError, match=r"huggingface.co does not resolve"):
        GroundedSAMMasker(detector="panodepth-tests/no-such-detector", segmenter=tiny_dirs[1])
    assert network_attempts == []  # not tried: no retries for nothing
