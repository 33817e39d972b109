"""The demo's outputs: a table like the paper's (Markdown + JSON) and a Figure-1-like PNG.

``OUT/results.md`` and ``OUT/results.json`` hold, per row (stitched teacher, A-only
student, A + B(pseudo) student, no-rotation ablation), the metrics on the held-out domain C
under the stated protocol, the cube seam measure and the training time, and (second table,
``metrics_b``) AbsRel / δ1 on unseen panoramas of the pseudo-labeled domain B; ``OUT/figure.png``
shows, for a few C panoramas, RGB / GT / baseline / ours and the two absolute-relative
error maps (same colour scales within a row), from the predictions the pipeline made once
per model (``result.figure_inputs``: the :class:`~.evaluation.TestSet` and each model's
disparity).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch

from panodepth.io.atomic import atomic_save
from panodepth.io.images import write_png
from panodepth.metrics.align import align
from panodepth.viz import colorize, mosaic

from .pipeline import DemoResult

COLUMNS = (
    ("abs_rel", "AbsRel ↓"),
    ("sq_rel", "SqRel ↓"),
    ("rmse", "RMSE ↓"),
    ("rmse_log10", "RMSElog ↓"),
    ("delta1", "δ1 ↑"),
    ("delta2", "δ2 ↑"),
    ("delta3", "δ3 ↑"),
)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


def results_table(result: DemoResult) -> str:
    """The Markdown table (with a header line saying what was measured, and how)."""
    cfg = result.config
    lines = [
        f"Zero-shot on domain C ({cfg.domain_c}, {cfg.count_c} panoramas, "
        f"{cfg.height}×{2 * cfg.height}); protocol `{cfg.protocol}`; teacher `{result.teacher}`; "
        f"students `{cfg.student}`, {cfg.steps} steps, batch {cfg.batch_size}"
        f"{' + ' + str(cfg.batch_size) + ' unlabeled' if cfg.count_b else ''}, seed {cfg.seed}.",
        "",
        "| model | " + " | ".join(t for _, t in COLUMNS) + " | seam ratio | train s |",
        "|---|" + "---|" * (len(COLUMNS) + 2),
    ]
    for row in result.rows:
        cells = [_fmt(row.metrics.get(key)) for key, _ in COLUMNS]
        seam = _fmt(row.seam.get("ratio"), 2) if row.seam else "n/a"
        secs = f"{row.seconds:.0f}" if row.seconds else "–"
        lines.append(f"| {row.label} | " + " | ".join(cells) + f" | {seam} | {secs} |")
    lines += gain_line({r.name: r.metrics for r in result.rows})
    lines += [
        "",
        "Seam ratio: prediction jump across un-rotated cube-face borders relative "
        "to a rotated control (1 = no visible seams).",
    ]
    lines += domain_b_table(result)
    lines += [f"Note: {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def domain_b_table(result: DemoResult) -> list[str]:
    """Lines of the second table: unseen panoramas of B, the pseudo-labeled domain."""
    rows = [r for r in result.rows if r.metrics_b]
    if not rows:
        return []
    cfg = result.config
    lines = [
        "",
        f"On unseen panoramas of domain B ({cfg.domain_b}, {cfg.count_b_test} panoramas without "
        "watermarks; B was never labeled — only pseudo-labeled), same protocol:",
        "",
        "| model | AbsRel ↓ | δ1 ↑ |",
        "|---|---|---|",
    ]
    for row in rows:
        cells = (_fmt(row.metrics_b.get("abs_rel")), _fmt(row.metrics_b.get("delta1")))
        lines.append(f"| {row.label} | {cells[0]} | {cells[1]} |")
    return lines + gain_line({r.name: r.metrics_b for r in rows}, "On B, ")


def gain_line(metrics: dict[str, dict[str, float]], prefix: str = "") -> list[str]:
    """``["", "A + B(pseudo) vs A only: AbsRel ±x %."]`` when both rows have a finite AbsRel."""
    base = metrics.get("a_only", {}).get("abs_rel", math.nan)
    ours = metrics.get("a_plus_b", {}).get("abs_rel", math.nan)
    if not (math.isfinite(base) and base > 0 and math.isfinite(ours)):
        return []
    return ["", f"{prefix}A + B(pseudo) vs A only: AbsRel {100 * (ours - base) / base:+.1f} %."]


def results_json(result: DemoResult) -> dict:
    def clean(d: dict) -> dict:
        return {k: (v if isinstance(v, float) and math.isfinite(v) else None) for k, v in d.items()}

    return {
        "config": result.config.to_dict(),
        "protocol": result.config.protocol,
        "teacher": result.teacher,
        "seconds": result.seconds,
        "rows": [
            {
                "name": r.name,
                "label": r.label,
                "metrics": clean(r.metrics),
                "metrics_b": clean(r.metrics_b),
                "seam": clean(r.seam),
                "train_seconds": r.seconds,
            }
            for r in result.rows
        ],
        "notes": result.notes,
    }


FIGURE_COLUMNS = (
    "RGB",
    "GT (inverse depth)",
    "A only",
    "A + B pseudo (ours)",
    "|error| A only",
    "|error| ours",
)


def figure(result: DemoResult, scale: int = 2) -> torch.Tensor:
    """RGB | GT | baseline | ours | error baseline | error ours, one row per C panorama
    (predictions aligned to GT under the demo's protocol; errors are |d − g|/g in [0, 0.5]),
    upscaled ``scale``× (nearest) with a header naming the columns."""
    test = result.figure_inputs["test"]
    predictions = result.figure_inputs["predictions"]
    tiles = []
    for i in range(min(result.config.figure_rows, len(test))):
        rgb, gt, valid = test.rgb[i], test.depth[i], test.valid[i]
        depths = []
        for name in ("a_only", "a_plus_b"):
            disparity = predictions[name][i : i + 1]
            depth = align(
                disparity, gt[None], valid[None], result.config.protocol, pred_kind="disparity"
            )
            depths.append(depth[0])
        inv = [torch.where(valid, 1 / gt.clamp_min(1e-6), torch.zeros_like(gt))]
        inv += [1 / d.clamp_min(1e-6) for d in depths]
        lo = float(inv[0][valid].quantile(0.02)) if valid.any() else None
        hi = float(inv[0][valid].quantile(0.98)) if valid.any() else None
        errors = [
            ((d - gt).abs() / gt.clamp_min(1e-6)).where(valid, torch.zeros_like(gt)) for d in depths
        ]
        tiles += [
            rgb,
            colorize(inv[0], valid, lo, hi),
            colorize(inv[1], None, lo, hi),
            colorize(inv[2], None, lo, hi),
        ]
        tiles += [colorize(e, valid, 0.0, 0.5, cmap="magma") for e in errors]
    tiles = [t.repeat_interleave(scale, -2).repeat_interleave(scale, -1) for t in tiles]
    grid = mosaic(torch.stack(tiles), ncols=6)
    return torch.cat([header(grid.shape[-1], tiles[0].shape[-1] + 2), grid], dim=-2)


def header(width: int, column: int, height: int = 14) -> torch.Tensor:
    """A white strip with the column titles (PIL's default font)."""
    from PIL import Image, ImageDraw

    strip = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(strip)
    for i, title in enumerate(FIGURE_COLUMNS):
        draw.text((i * column + 4, 1), title, fill="black")
    return torch.from_numpy(np.asarray(strip).copy()).permute(2, 0, 1).float() / 255


def write_report(result: DemoResult, out: Path) -> dict[str, Path]:
    """Write results.md, results.json and figure.png under ``out``; returns their paths."""
    out = Path(out)
    paths = {
        "table": out / "results.md",
        "json": out / "results.json",
        "figure": out / "figure.png",
    }
    text = results_table(result).encode()
    atomic_save(paths["table"], lambda f: f.write(text))
    blob = json.dumps(results_json(result), indent=2).encode()
    atomic_save(paths["json"], lambda f: f.write(blob))
    write_png(paths["figure"], figure(result))
    return paths
