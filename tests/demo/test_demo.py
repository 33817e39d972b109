"""The demo: `--quick` end to end (artefacts, a complete finite table) and the mechanism."""

from __future__ import annotations

import csv
import json
import math

import pytest

from panodepth.cli.main import main
from panodepth.demo import QUICK
from panodepth.demo.pipeline import VARIANTS, make_pseudo_labels, synthesize_domains, train_student
from panodepth.teachers import TeacherLoadError


@pytest.mark.slow
def test_quick_demo_writes_a_complete_finite_table(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--no_progress"]) == 0
    printed = capsys.readouterr().out
    assert "AbsRel" in printed and "protocol `lsq_disparity`" in printed
    results = json.loads((out / "results.json").read_text())
    names = [row["name"] for row in results["rows"]]
    assert names == ["teacher_stitched", *VARIANTS]  # shipped teacher: stitched baseline too
    for row in results["rows"]:
        for key in ("abs_rel", "sq_rel", "rmse", "delta1", "delta2", "delta3"):
            assert row["metrics"][key] is not None and math.isfinite(row["metrics"][key]), row
        assert row["seam"]["ratio"] is not None and row["seam"]["ratio"] > 0
        for key in ("abs_rel", "delta1"):  # also scored on unseen panoramas of B
            assert row["metrics_b"][key] is not None and math.isfinite(row["metrics_b"][key])
    table = (out / "results.md").read_text()
    assert table.count("\n| ") == 2 * (1 + len(names))  # C and B tables: header + rows
    assert "n/a" not in table.split("\n\n")[1]
    assert "On B, A + B(pseudo) vs A only" in table
    from PIL import Image

    figure = Image.open(out / "figure.png")
    assert figure.width > 6 * QUICK.height * 2 and figure.height > QUICK.figure_rows * QUICK.height


def test_simulated_teacher_is_learned_from(tmp_path):
    """Mechanism, not a score: trained on simulated pseudo labels only, the student's
    pseudo-label loss falls."""
    cfg = QUICK.with_overrides(count_a=4, count_b=8, count_c=1, steps=40, batch_size=4,
                               teacher="simulated", lr=3e-3)  # fmt: skip
    roots = synthesize_domains(cfg, tmp_path, progress=False)
    cache = make_pseudo_labels(cfg, roots["b"], tmp_path, rotate=True, teacher=None,
                               progress=False)  # fmt: skip
    train_student(cfg, {**roots, "a": None}, cache, "b_only", tmp_path, progress=False)
    rows = list(csv.DictReader(next((tmp_path / "logs").rglob("metrics.csv")).open()))
    losses = [float(r["train/loss_pseudo"]) for r in rows if r.get("train/loss_pseudo")]
    assert len(losses) >= 8
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < 0.8 * first, losses


@pytest.mark.slow
def test_unknown_teacher_is_a_clear_error(tmp_path):
    with pytest.raises(TeacherLoadError, match="no-such-teacher"):
        main(["demo", "--quick", "--teacher", "no-such-teacher", "--out", str(tmp_path),
              "--no_progress"])  # fmt: skip
