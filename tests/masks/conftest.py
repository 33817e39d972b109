"""Fixtures for the masker tests: tiny Grounding DINO and SAM built offline.

The tiny models are randomly initialised from configs and written with ``save_pretrained``
to a session temp folder, so the real loading code (``from_pretrained`` on a local directory)
runs without any download (the offline guard of ``tests/conftest.py`` cuts the network).
The text backbone of Grounding DINO is BERT; its WordPiece tokenizer is built from an
in-memory vocabulary holding the prompt words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

TINY_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "sky", "watermark", "logo", "."]

# The tiny SAM works on 64×64 inputs (longest side resized to 64, then padded square).
SAM_SIZE = 64


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same torch RNG state (random images are reproducible)."""
    torch.manual_seed(0)


def build_tiny_grounding_dino(path: Path) -> Path:
    from transformers import (
        BertConfig,
        BertTokenizer,
        GroundingDinoConfig,
        GroundingDinoForObjectDetection,
        GroundingDinoImageProcessor,
        GroundingDinoProcessor,
        SwinConfig,
    )

    torch.manual_seed(0)
    swin = SwinConfig(
        image_size=64,
        patch_size=4,
        embed_dim=16,
        depths=[1, 1, 1, 1],
        num_heads=[1, 1, 1, 1],
        window_size=2,
        out_indices=[2, 3, 4],
    )
    bert = BertConfig(
        vocab_size=len(TINY_VOCAB),
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
    )
    config = GroundingDinoConfig(
        backbone_config=swin,
        text_config=bert,
        num_queries=10,
        d_model=32,  # GroupNorm(32, d_model) in the input projections
        encoder_layers=1,
        encoder_ffn_dim=32,
        encoder_attention_heads=2,
        decoder_layers=2,  # a single decoder layer breaks the two-stage box refinement
        decoder_ffn_dim=32,
        decoder_attention_heads=2,
        encoder_n_points=2,
        decoder_n_points=2,
        max_text_len=32,
    )
    model = GroundingDinoForObjectDetection(config).eval()
    tokenizer = BertTokenizer(vocab={t: i for i, t in enumerate(TINY_VOCAB)})
    image_processor = GroundingDinoImageProcessor(size={"shortest_edge": 64, "longest_edge": 128})
    processor = GroundingDinoProcessor(image_processor=image_processor, tokenizer=tokenizer)
    model.save_pretrained(path)
    processor.save_pretrained(path)
    return path


def build_tiny_sam(path: Path) -> Path:
    from transformers import SamConfig, SamImageProcessor, SamModel, SamProcessor
    from transformers.models.sam.configuration_sam import (
        SamMaskDecoderConfig,
        SamPromptEncoderConfig,
        SamVisionConfig,
    )

    torch.manual_seed(0)
    vision = SamVisionConfig(
        hidden_size=16,
        output_channels=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=SAM_SIZE,
        patch_size=16,
        window_size=2,
        global_attn_indexes=[1],
        num_pos_feats=8,
        mlp_dim=32,
    )
    prompt = SamPromptEncoderConfig(
        hidden_size=16, image_size=SAM_SIZE, patch_size=vision.patch_size, mask_input_channels=4
    )
    decoder = SamMaskDecoderConfig(
        hidden_size=16,
        mlp_dim=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        iou_head_hidden_dim=16,
    )
    model = SamModel(
        SamConfig(vision_config=vision, prompt_encoder_config=prompt, mask_decoder_config=decoder)
    ).eval()
    image_processor = SamImageProcessor(
        size={"longest_edge": SAM_SIZE}, pad_size={"height": SAM_SIZE, "width": SAM_SIZE}
    )
    model.save_pretrained(path)
    SamProcessor(image_processor).save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(Grounding DINO dir, SAM dir), each written by ``save_pretrained``."""
    root = tmp_path_factory.mktemp("tiny_maskers")
    return build_tiny_grounding_dino(root / "gdino"), build_tiny_sam(root / "sam")


@pytest.fixture(scope="session")
def tiny_masker(tiny_dirs: tuple[Path, Path]):
    """A GroundedSAMMasker on the tiny models, loaded once through the real loading code.

    Shared by the tests: they replace its methods with ``monkeypatch`` only (undone after
    each test); it is frozen and always in eval mode.
    """
    from panodepth.masks import GroundedSAMMasker

    detector, segmenter = tiny_dirs
    return GroundedSAMMasker(detector=detector, segmenter=segmenter)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread) -> None:
    """These tests run on small tensors: one intra-op thread (see ``one_thread``)."""
