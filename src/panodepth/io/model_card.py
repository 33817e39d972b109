"""The model card of a pretrained student folder (``README.md``, what the Hub shows).

:func:`student_card` builds it from the student and what the caller knows:

* YAML metadata (``huggingface_hub.ModelCardData``): ``library_name: panodepth``,
  ``pipeline_tag: depth-estimation``, the tags of :data:`TAGS` plus the registry name, and the
  licence. The licence is the caller's to give (a Hub licence id such as ``apache-2.0``);
  without one the card says ``license: other`` with ``license_name: unknown`` and states in
  its text that no licence was given — never a guessed one;
* text: the architecture (registry name, class, builder options), what the output means
  (metric depth in metres, or relative disparity with unknown scale and shift), the
  parameter count, the input contract, training data and configuration and metrics (each
  "not stated" unless given; metrics name their alignment protocol), and how to use it:
  ``panodepth predict --checkpoint <hub id> pano.jpg`` and the Python lines.

``huggingface_hub`` is imported when a card is built, not with this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .pretrained import CARD_NAME, CONFIG_NAME, LIBRARY_NAME, WEIGHTS_NAME

if TYPE_CHECKING:
    from huggingface_hub import ModelCard

    from panodepth.models import Student360

TAGS = ("depth-estimation", "monocular-depth-estimation", "360", "panorama", "equirectangular")
PLACEHOLDER_ID = "<user>/<model>"


def student_card(
    model: Student360,
    *,
    repo_id: str | None = None,
    license: str | None = None,
    training_data: str | Sequence[str] | None = None,
    training_config: Mapping[str, Any] | str | None = None,
    metrics: Mapping[str, Mapping[str, float]] | None = None,
    metrics_protocol: str | None = None,
    description: str | None = None,
) -> ModelCard:
    """The model card of ``model`` (built by ``build_model``: it records name and options).

    Args:
        model: the student.
        repo_id: its hub id, used in the usage lines (default: :data:`PLACEHOLDER_ID`).
        license: a Hub licence id (``"apache-2.0"``, ``"cc-by-nc-4.0"``, …); None: not stated.
        training_data: what it was trained on (free text, or a list of datasets).
        training_config: the training configuration: a mapping (shown as JSON) or text
            (e.g. the YAML of ``panodepth fit --config``).
        metrics: ``{dataset: {metric: value}}``, e.g. ``{"Stanford2D3D": {"abs_rel": 0.1}}``.
        metrics_protocol: the alignment protocol of ``metrics`` (``"paper"``,
            ``"lsq_disparity"``, …; :mod:`panodepth.metrics`); None: not stated.
        description: a paragraph put under the title.
    """
    from huggingface_hub import ModelCard, ModelCardData

    name = getattr(model, "model_name", None)
    if name is None:
        raise ValueError("a model card needs a model made by build_model (it records the name)")
    options = dict(model.model_options)
    data = ModelCardData(
        library_name=LIBRARY_NAME,
        license=license or "other",
        license_name=None if license else "unknown",
        pipeline_tag="depth-estimation",
        tags=[*TAGS, name],
    )
    hub_id = repo_id or PLACEHOLDER_ID
    where = (
        ""
        if repo_id
        else (
            f"Replace `{PLACEHOLDER_ID}` by the repository's id, or by the path of a folder "
            "that holds these files."
        )
    )
    sections = [
        f"# {repo_id or f'panodepth student: {name}'}",
        description or "",
        "A 360° monocular depth model for equirectangular panoramas: a *student* of the "
        "`panodepth` library (trained with the Depth Anywhere recipe or on ground truth).",
        _summary(model, name, options, license),
        "## Training",
        f"**Data:** {_data_text(training_data)}",
        _config_text(training_config),
        "## Metrics",
        _metrics_text(metrics, metrics_protocol),
        "## How to use",
        _usage(hub_id),
        where,
        "## Files",
        f"* `{WEIGHTS_NAME}`: the weights, a panodepth student file (safetensors, format "
        "`panodepth-student/1`; its metadata holds the architecture and options, so any "
        "panodepth student reader loads it as it is);\n"
        f"* `{CONFIG_NAME}`: the same architecture and options as JSON;\n"
        f"* `{CARD_NAME}`: this card.",
    ]
    body = "\n\n".join(part for part in sections if part)
    return ModelCard(f"---\n{data.to_yaml()}\n---\n\n{body}\n")


def _summary(model: Student360, name: str, options: dict, license: str | None) -> str:
    params = sum(p.numel() for p in model.parameters())
    if model.output == "depth":
        bound = f", below {model.max_depth:g} m" if model.head_kind == "sigmoid" else ""
        output = (
            f"**metric depth** in metres{bound} (output kind `{model.output_kind}`, "
            '`output="depth"`): the predictions are distances you can use as they are'
        )
    else:
        output = (
            f"**relative disparity** (output kind `{model.output_kind}`, "
            '`output="disparity"`): inverse depth up to an unknown scale and shift, not '
            "metres; `panodepth predict` writes depth = 1/disparity normalised to median 1, or "
            "to `--median_depth` metres"
        )
    licence = (
        f"`{license}`"
        if license
        else "**not stated** — the uploader gave no licence (`license: other`); ask them "
        "before you reuse the weights"
    )
    rows = [
        ("architecture", f"`{name}` ({type(model).__name__})"),
        ("options", f"`{json.dumps(options, sort_keys=True)}`"),
        ("output", output),
        ("parameters", f"{params:,}"),
        (
            "input",
            "RGB in [0, 1], equirectangular, W = 2·H, H a multiple of 32 "
            f"(≥ {model.min_height}); panodepth resizes your panoramas",
        ),
        ("licence", licence),
    ]
    return "| | |\n|---|---|\n" + "\n".join(f"| {key} | {value} |" for key, value in rows)


def _data_text(data: str | Sequence[str] | None) -> str:
    if data is None or not data:
        return "not stated."
    return data if isinstance(data, str) else ", ".join(data)


def _config_text(config: Mapping[str, Any] | str | None) -> str:
    if config is None:
        return "**Configuration:** not stated."
    if isinstance(config, str):
        return f"**Configuration:**\n\n```yaml\n{config.strip()}\n```"
    text = json.dumps(dict(config), indent=2, sort_keys=True, default=str)
    return f"**Configuration:**\n\n```json\n{text}\n```"


def _metrics_text(metrics: Mapping[str, Mapping[str, float]] | None, protocol: str | None) -> str:
    if not metrics:
        return "None reported."
    names = sorted({metric for values in metrics.values() for metric in values})
    lines = ["| dataset | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for dataset, values in metrics.items():
        cells = [f"{values[n]:.4g}" if n in values else "–" for n in names]
        lines.append(f"| {dataset} | " + " | ".join(cells) + " |")
    aligned = f"Alignment protocol: {protocol or 'not stated'} (protocols: `panodepth.metrics`)."
    return "\n".join(lines) + "\n\n" + aligned


def _usage(hub_id: str) -> str:
    return f"""With panodepth installed:

```bash
panodepth predict --checkpoint {hub_id} pano.jpg --out depth/
```

```python
import panodepth
from panodepth.models import Student360

results = panodepth.predict("pano.jpg", checkpoint="{hub_id}")  # depth maps, at the input size
student = Student360.from_pretrained("{hub_id}").eval()  # the network: (B, 3, H, 2H) in [0, 1]
```

Offline (`HF_HUB_OFFLINE=1`) the model loads from the local Hugging Face cache only; on a
machine without internet access, run `hf download {hub_id} --local-dir DIR` elsewhere, copy
`DIR` over and pass `--checkpoint DIR`."""
