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
from panodepth.metrics import METRIC_LABELS
from panodepth.metrics.align import align
from panodepth.viz import colorize, mosaic

from .pipeline import DemoResult

COLUMNS = tuple(
    (name, METRIC_LABELS[name])
    for name in ("abs_rel", "sq_rel", "rmse", "rmse_log10", "delta1", "delta2", "delta3")
)


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.{digits}f}"


SMOKE_STEPS = 100  # fewer training steps than this: the verdict says it is a smoke test
CLAIM = (
    "The paper's claim: pseudo-labelling diverse unlabeled 360° panoramas with a perspective "
    "teacher improves zero-shot depth on an unseen domain"
)


def verdict(result: DemoResult) -> str:
    """One sentence: the claim and what this run found on C (AbsRel and δ1, A + B vs A only)."""
    rows = {r.name: r.metrics for r in result.rows}
    base, ours = rows.get("a_only", {}), rows.get("a_plus_b", {})
    b0, b1 = base.get("abs_rel", math.nan), ours.get("abs_rel", math.nan)
    if not (math.isfinite(b0) and b0 > 0 and math.isfinite(b1)):
        return f"{CLAIM}; this run has no finite AbsRel to compare."
    change = 100 * (b1 - b0) / b0
    small = (
        " (a run this small is a smoke test, not a test of the claim)"
        if result.config.steps < SMOKE_STEPS
        else ""
    )
    return (
        f"{CLAIM}; in this run, on C ({result.config.domain_c}, never seen), A + B(pseudo) is "
        f"{'better' if change < 0 else 'worse'} than A only: AbsRel {_fmt(b0)} → {_fmt(b1)} "
        f"({change:+.1f} %), δ1 {_fmt(base.get('delta1'))} → {_fmt(ours.get('delta1'))}{small}."
    )


def results_table(result: DemoResult) -> str:
    """The Markdown report: the verdict, then the table (with a line saying what was
    measured, and how)."""
    cfg = result.config
    lines = [
        f"**{verdict(result)}**",
        "",
        f"Domains: A labeled `{cfg.domain_a}`; B unlabeled `{cfg.domain_b}` (pseudo-labeled; "
        f"sky / watermarks masked); C test `{cfg.domain_c}` (never seen in any form).",
        "",
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
    lines += teacher_line({r.name: r.metrics for r in result.rows})
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


def teacher_line(metrics: dict[str, dict[str, float]]) -> list[str]:
    """What the teacher's own score on C says about the gain to expect (when it was scored).

    Students pseudo-labelled by a teacher end near the teacher's own level on C (measured
    over seeds in BENCHMARKS.md, "A bound on any choice of B"), so the gain on C is bounded by
    how far the teacher lies below A only.
    """
    base = metrics.get("a_only", {}).get("abs_rel", math.nan)
    teacher = metrics.get("teacher_stitched", {}).get("abs_rel", math.nan)
    if not (math.isfinite(base) and base > 0 and math.isfinite(teacher)):
        return []
    change = 100 * (teacher - base) / base
    return [
        "",
        f"The teacher itself (its cube faces stitched) scores AbsRel {_fmt(teacher)} on C, "
        f"{abs(change):.1f} % {'below' if change < 0 else 'above'} A only: students "
        "pseudo-labelled by a teacher end near its level (BENCHMARKS.md), so a zero-shot gain "
        "needs a teacher well below A only.",
    ]


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


# figure column → (title, model whose prediction it shows or None)
FIGURE_MODELS = (
    ("teacher_stitched", "teacher (cube faces)"),
    ("a_only", "student A only"),
    ("a_plus_b", "student A + B (ours)"),
)
ERROR_MODELS = (("a_only", "|error| A only (0 to 0.5)"), ("a_plus_b", "|error| ours (0 to 0.5)"))
MAX_ERROR = 0.5  # the error maps' colour scale: |d − g| / g in [0, 0.5]
LABEL_WIDTH = 96  # pixels of the row-label strip


def figure(result: DemoResult, scale: int = 2) -> torch.Tensor:
    """One labelled row per C panorama: RGB | GT | teacher (stitched, when there is one) |
    A only | A + B (ours) | error A only | error ours.

    Predictions are aligned to GT under the demo's protocol; the inverse-depth tiles of a row
    share one colour scale (GT's 2–98 % range), the error maps |d − g|/g share [0, 0.5].
    Tiles are upscaled ``scale``× (nearest); a header names the columns and a strip on the
    left names each row."""
    test = result.figure_inputs["test"]
    predictions = result.figure_inputs["predictions"]
    models = [(name, title) for name, title in FIGURE_MODELS if name in predictions]
    titles = ["RGB", "GT (inverse depth)", *(t for _, t in models), *(t for _, t in ERROR_MODELS)]
    rows = []
    for i in range(min(result.config.figure_rows, len(test))):
        rgb, gt, valid = test.rgb[i], test.depth[i], test.valid[i]
        depths = {}
        for name, _ in models:
            disparity = predictions[name][i : i + 1]
            depth = align(
                disparity, gt[None], valid[None], result.config.protocol, pred_kind="disparity"
            )
            depths[name] = depth[0]
        inv_gt = torch.where(valid, 1 / gt.clamp_min(1e-6), torch.zeros_like(gt))
        lo = float(inv_gt[valid].quantile(0.02)) if valid.any() else None
        hi = float(inv_gt[valid].quantile(0.98)) if valid.any() else None
        tiles = [rgb, colorize(inv_gt, valid, lo, hi)]
        tiles += [colorize(1 / depths[name].clamp_min(1e-6), None, lo, hi) for name, _ in models]
        for name, _ in ERROR_MODELS:
            err = ((depths[name] - gt).abs() / gt.clamp_min(1e-6)).where(valid, 0.0)
            tiles.append(colorize(err, valid, 0.0, MAX_ERROR, cmap="magma"))
        tiles = [t.repeat_interleave(scale, -2).repeat_interleave(scale, -1) for t in tiles]
        row = mosaic(torch.stack(tiles), ncols=len(tiles))
        label = text_strip(
            [f"C #{i}", test.names[i][:12]], LABEL_WIDTH, row.shape[-2], vertical=True
        )
        rows.append(torch.cat([label, row], dim=-1))
    grid = torch.cat(rows, dim=-2)
    column = tiles[0].shape[-1] + 2
    head = text_strip(titles, grid.shape[-1] - LABEL_WIDTH, 20, step=column)
    head = torch.cat([torch.ones(3, head.shape[-2], LABEL_WIDTH), head], dim=-1)
    return torch.cat([head, grid], dim=-2)


def text_strip(
    texts: list[str], width: int, height: int, step: int = 0, vertical: bool = False
) -> torch.Tensor:
    """A white (3, height, width) strip with ``texts`` drawn in black, left to right every
    ``step`` pixels, or one under the other when ``vertical``."""
    from PIL import Image, ImageDraw, ImageFont

    strip = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(strip)
    font = ImageFont.load_default(size=13)
    for i, text in enumerate(texts):
        xy = (4, 4 + 16 * i) if vertical else (i * step + 4, 3)
        draw.text(xy, text, fill="black", font=font)
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
