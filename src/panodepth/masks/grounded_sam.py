"""Grounded-SAM masker: Grounding DINO boxes from text prompts, SAM masks inside the boxes.

Depth Anywhere masks sky and watermarks in unlabeled panoramas this way (prompts "sky" and
"watermark", box threshold 0.3, text threshold 0.25) and drops images with less than 20 %
valid pixels. Both models come from ``transformers`` and load from a hub id or from a local
directory written by ``save_pretrained`` (or downloaded with ``hf download --local-dir``).

Pipeline, per batch of images:

1. :meth:`GroundedSAMMasker.detect`: Grounding DINO (batched) with the prompt
   ``"sky. watermark."`` → boxes whose best token score is above ``box_threshold``, in pixel
   ``x0, y0, x1, y1`` of the input image. ``text_threshold`` only decides which prompt words a
   box is labelled with (as in Grounding DINO and Grounded-SAM); every box above the box
   threshold is used, whatever its label.
2. :meth:`GroundedSAMMasker.segment`: SAM (image encoder batched, one decoder call per image
   with all its boxes as prompts, one mask per box) → union of the masks = invalid region.
   Images without boxes are entirely valid and skip SAM.
3. ``valid = logical_not(invalid)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import Tensor

from panodepth.io.hub import download_instructions, offline_reason

from .base import DEFAULT_MIN_VALID, Masker, check_images

DEFAULT_DETECTOR = "IDEA-Research/grounding-dino-tiny"
DEFAULT_SEGMENTER = "facebook/sam-vit-base"
DEFAULT_PROMPTS = ("sky", "watermark")

# SAM masks are post-processed (upsampled to the image size) this many boxes at a time, so a
# large panorama with many boxes does not hold K full-size float masks at once.
_BOX_CHUNK = 16

_T = TypeVar("_T")


class MaskerLoadError(ValueError):
    """A masker model that cannot be loaded (missing directory, offline hub, wrong model)."""


def prompt_text(prompts: Sequence[str]) -> str:
    """Join text prompts the way Grounding DINO expects: lower case, each ending with a dot.

    Example:
        >>> prompt_text(["Sky", "watermark."])
        'sky. watermark.'
    """
    if isinstance(prompts, str):
        prompts = (prompts,)
    words = [str(p).strip().rstrip(".").strip().lower() for p in prompts]
    if not words or not all(words):
        raise ValueError(f"prompts must be non-empty strings, got {list(prompts)!r}")
    return " ".join(f"{w}." for w in words)


def _looks_local(source: str | os.PathLike) -> bool:
    """A path (existing or meant as one), as opposed to a hub id ``name`` / ``owner/name``."""
    if isinstance(source, os.PathLike):
        return True
    s = str(source)
    return (
        os.path.exists(s)
        or os.path.isabs(s)
        or s.startswith(("./", "../", "~", ".\\", "..\\"))
        or s.count("/") > 1
        or "\\" in s
    )


def _download_hint(kind: str, arg: str, default_id: str) -> str:
    local = f"./{default_id.rsplit('/', 1)[-1]}"
    return download_instructions(default_id, f"pass {arg}={local!r} (the {kind})", local)


def _reason(err: BaseException) -> str:
    """An exception's message on one line, without a trailing dot."""
    return " ".join(str(err).split()).rstrip(".") or type(err).__name__


def _load(
    kind: str,
    arg: str,
    source: str | os.PathLike,
    default_id: str,
    load: Callable[..., _T],
) -> _T:
    """Call ``load(source)``, turning every way it fails into a :class:`MaskerLoadError`."""
    if _looks_local(source):
        path = Path(source).expanduser()
        if not path.is_dir():
            what = "is not a directory" if path.exists() else "does not exist"
            raise MaskerLoadError(
                f"{kind}: local directory {str(path)!r} ({arg}=) {what}. "
                + _download_hint(kind, arg, default_id)
            )
        try:
            return load(str(path))
        except (OSError, ValueError) as err:
            raise MaskerLoadError(
                f"{kind}: cannot load from directory {str(path)!r} ({arg}=): {_reason(err)}. "
                "Expected a folder written by `model.save_pretrained(dir)` and "
                "`processor.save_pretrained(dir)` (config.json, model.safetensors and the "
                "processor/tokenizer files). " + _download_hint(kind, arg, default_id)
            ) from err
    reason = offline_reason()  # offline, or a Hub that cannot be reached: the cache only
    try:
        return load(str(source), **({"local_files_only": True} if reason else {}))
    except (OSError, ValueError) as err:
        offline = f" ({reason})" if reason else ""
        raise MaskerLoadError(
            f"{kind}: cannot load {str(source)!r} ({arg}=) from the Hugging Face hub or its "
            f"local cache{offline}: {_reason(err)}. " + _download_hint(kind, arg, str(source))
        ) from err


def _load_model(
    kind: str,
    arg: str,
    source: str | os.PathLike,
    default_id: str,
    model_cls: Any,
    model_type: str,
    dtype: torch.dtype | None,
) -> Any:
    """Load a model, refusing other model types and checkpoints with missing weights."""
    from transformers import AutoConfig

    config = _load(kind, arg, source, default_id, AutoConfig.from_pretrained)
    if config.model_type != model_type:
        raise MaskerLoadError(
            f"{kind}: {str(source)!r} ({arg}=) holds a {config.model_type!r} model, expected "
            f"{model_type!r}"
        )
    kwargs: dict[str, Any] = {"config": config, "output_loading_info": True}
    if dtype is not None:
        kwargs["dtype"] = dtype
    model, info = _load(
        kind, arg, source, default_id, lambda s, **kw: model_cls.from_pretrained(s, **kwargs, **kw)
    )
    bad = {k: sorted(info.get(k) or ()) for k in ("missing_keys", "mismatched_keys")}
    if any(bad.values()):
        raise MaskerLoadError(
            f"{kind}: {str(source)!r} ({arg}=) does not hold all weights of a {model_type} "
            f"model (it would run partly random): "
            + "; ".join(f"{k}: {v[:5]}{' …' if len(v) > 5 else ''}" for k, v in bad.items() if v)
        )
    return model.eval().requires_grad_(False)


class GroundedSAMMasker(Masker):
    """Masks text-prompted regions (sky, watermarks) with Grounding DINO + SAM.

    Args:
        detector: Grounding DINO hub id or local directory (model + processor with tokenizer).
        segmenter: SAM hub id or local directory (model + processor).
        prompts: what to mask; lower-cased and joined as ``"sky. watermark."``.
        box_threshold: boxes whose best token score is ``> box_threshold`` are kept
            (``threshold`` of ``post_process_grounded_object_detection``).
        text_threshold: token score for a box's text label (labels are not used to filter).
        min_valid: smallest valid share for :meth:`keep` (Depth Anywhere: 0.2).
        device: where to put both models (default: leave them on the CPU; ``.to()`` works).
        dtype: model dtype passed to ``from_pretrained`` (default: the checkpoint's own).

    Raises:
        MaskerLoadError: a model that is missing, unreachable (offline) or of the wrong kind;
            the message says how to download it to a local directory.
    """

    def __init__(
        self,
        detector: str | os.PathLike = DEFAULT_DETECTOR,
        segmenter: str | os.PathLike = DEFAULT_SEGMENTER,
        prompts: Sequence[str] = DEFAULT_PROMPTS,
        box_threshold: float = 0.3,
        text_threshold: float = 0.25,
        min_valid: float = DEFAULT_MIN_VALID,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(min_valid)
        from transformers import (
            AutoProcessor,
            GroundingDinoForObjectDetection,
            SamModel,
            SamProcessor,
        )

        self.text = prompt_text(prompts)
        self.box_threshold = float(box_threshold)
        self.text_threshold = float(text_threshold)
        self.detector_id = str(detector)
        self.segmenter_id = str(segmenter)

        self.detector_processor = _load(
            "Grounding DINO detector",
            "detector",
            detector,
            DEFAULT_DETECTOR,
            AutoProcessor.from_pretrained,
        )
        if not hasattr(self.detector_processor, "post_process_grounded_object_detection"):
            raise MaskerLoadError(
                f"Grounding DINO detector: {self.detector_id!r} (detector=) has a "
                f"{type(self.detector_processor).__name__}, not a Grounding DINO processor"
            )
        self.detector = _load_model(
            "Grounding DINO detector",
            "detector",
            detector,
            DEFAULT_DETECTOR,
            GroundingDinoForObjectDetection,
            "grounding-dino",
            dtype,
        )
        self.segmenter_processor = _load(
            "SAM segmenter", "segmenter", segmenter, DEFAULT_SEGMENTER, SamProcessor.from_pretrained
        )
        self.segmenter = _load_model(
            "SAM segmenter", "segmenter", segmenter, DEFAULT_SEGMENTER, SamModel, "sam", dtype
        )
        if device is not None:
            self.to(device)

    def extra_repr(self) -> str:
        return (
            f"text={self.text!r}, box_threshold={self.box_threshold}, "
            f"text_threshold={self.text_threshold}, min_valid={self.min_valid}, "
            f"detector={self.detector_id!r}, segmenter={self.segmenter_id!r}"
        )

    @staticmethod
    def _model_inputs(encoding: Any, model: torch.nn.Module) -> dict[str, Tensor]:
        """Processor output moved to the model's device, floats cast to the model's dtype."""
        p = next(model.parameters())
        out = {}
        for k, v in encoding.items():
            if isinstance(v, Tensor):
                v = v.to(p.device, dtype=p.dtype) if v.is_floating_point() else v.to(p.device)
            out[k] = v
        return out

    @torch.no_grad()
    def detect(self, images: Tensor) -> list[Tensor]:
        """Grounding DINO boxes for the prompts.

        Args:
            images: ``(N, 3, H, W)`` RGB in [0, 1].

        Returns:
            N float32 tensors ``(K_i, 4)`` on the images' device: ``x0, y0, x1, y1`` in pixels
            of the input images (K_i may be 0).
        """
        images = check_images(images)
        n, _, h, w = images.shape
        enc = self.detector_processor(
            images=list(images.detach().float().cpu()),
            text=[self.text] * n,
            return_tensors="pt",
            do_rescale=False,
        )
        inputs = self._model_inputs(enc, self.detector)
        outputs = self.detector(**inputs)
        results = self.detector_processor.post_process_grounded_object_detection(
            outputs,
            inputs["input_ids"],
            threshold=self.box_threshold,
            text_threshold=self.text_threshold,
            target_sizes=[(h, w)] * n,
        )
        return [r["boxes"].reshape(-1, 4).float().to(images.device) for r in results]

    @torch.no_grad()
    def segment(self, images: Tensor, boxes: Sequence[Tensor]) -> Tensor:
        """SAM masks for the boxes, united per image: the invalid region.

        Args:
            images: ``(N, 3, H, W)`` RGB in [0, 1].
            boxes: N tensors ``(K_i, 4)``, ``x0, y0, x1, y1`` in pixels (as from :meth:`detect`).

        Returns:
            ``(N, 1, H, W)`` bool on the images' device, True = inside some box's mask
            (invalid). All False for an image without boxes.
        """
        images = check_images(images)
        n, _, h, w = images.shape
        if len(boxes) != n:
            raise ValueError(f"boxes: expected one (K, 4) tensor per image ({n}), got {len(boxes)}")
        for i, b in enumerate(boxes):
            if b.ndim != 2 or b.shape[1] != 4:
                raise ValueError(f"boxes[{i}] must have shape (K, 4), got {tuple(b.shape)}")
        invalid = torch.zeros(n, 1, h, w, dtype=torch.bool, device=images.device)
        todo = [i for i, b in enumerate(boxes) if len(b)]
        if not todo:
            return invalid

        enc = self.segmenter_processor(
            images=list(images[todo].detach().float().cpu()), return_tensors="pt", do_rescale=False
        )
        inputs = self._model_inputs(enc, self.segmenter)
        embeddings = self.segmenter.get_image_embeddings(inputs["pixel_values"])
        original = enc["original_sizes"].tolist()
        reshaped = enc["reshaped_input_sizes"].tolist()
        scale_dtype = next(self.segmenter.parameters()).dtype
        for j, i in enumerate(todo):
            (oh, ow), (rh, rw) = original[j], reshaped[j]
            b = boxes[i].detach().float().cpu().clone()
            b[:, 0::2] = b[:, 0::2].clamp(0, w)
            b[:, 1::2] = b[:, 1::2].clamp(0, h)
            # Box prompts live in SAM's resized frame (longest side = SAM's input size)
            b = b * torch.tensor([rw / ow, rh / oh, rw / ow, rh / oh])
            out = self.segmenter(
                image_embeddings=embeddings[j : j + 1],
                input_boxes=b[None].to(embeddings.device, scale_dtype),
                multimask_output=False,
            )
            logits = out.pred_masks[0]  # (K, 1, h', w'): one mask per box
            for k in range(0, len(logits), _BOX_CHUNK):
                masks = self.segmenter_processor.post_process_masks(
                    [logits[k : k + _BOX_CHUNK].float()], [original[j]], [reshaped[j]]
                )[0]  # (k, 1, H, W) bool
                union = masks.any(dim=0).to(invalid.device)
                invalid[i] = torch.logical_or(invalid[i], union)
        return invalid

    def forward(self, images: Tensor) -> Tensor:
        """``(N, 1, H, W)`` bool validity mask: False inside the union of the SAM masks."""
        images = check_images(images)
        invalid = self.segment(images, self.detect(images))
        return torch.logical_not(invalid)
