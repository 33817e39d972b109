"""The demo: `--quick` end to end (artefacts, a complete finite table) and the mechanism."""

from __future__ import annotations

import csv
import json
import math
import re

import pytest
import torch

from panodepth.cli.main import main
from panodepth.demo import QUICK
from panodepth.demo.pipeline import (
    VARIANTS,
    build_label_source,
    make_pseudo_labels,
    synthesize_domains,
    train_student,
)
from panodepth.teachers import TeacherLoadError


@pytest.mark.slow
def test_quick_demo_writes_a_complete_finite_table(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--no_progress"]) == 0
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    lines = [line for line in printed.splitlines() if line.strip()]
    # a clean console: no Lightning banners, tips, warnings or its progress bar; one sentence
    for noise in ("GPU available", "Tip", "Warning", "warning", "Epoch", "LeafSpec"):
        assert noise not in printed, printed
    assert len(lines) == 1, lines
    assert lines[0].startswith("The paper's claim:") and "on C (home, never seen)" in lines[0]
    assert "smoke test" in lines[0] and str(out) in lines[0]
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
    assert table.startswith("**The paper's claim:")  # the verdict leads
    assert "AbsRel" in table and "protocol `lsq_disparity`" in table
    assert "B unlabeled `hotel+loft+classroom+outdoor`" in table
    assert table.count("\n| ") == 2 * (1 + len(names))  # C and B tables: header + rows
    c_table = next(block for block in table.split("\n\n") if block.startswith("| model"))
    assert "n/a" not in c_table
    assert "On B, A + B(pseudo) vs A only" in table
    assert "The teacher itself (its cube faces stitched) scores AbsRel" in table
    from PIL import Image

    figure = Image.open(out / "figure.png")
    assert figure.width > 6 * QUICK.height * 2 and figure.height > QUICK.figure_rows * QUICK.height


@pytest.mark.slow
def test_simulated_teacher_is_learned_from(tmp_path):
    """Mechanism, not a score: trained on simulated pseudo labels only, the student's
    pseudo-label loss falls."""
    cfg = QUICK.with_overrides(count_a=4, count_b=8, count_c=1, steps=40, batch_size=4,
                               teacher="simulated", lr=3e-3)  # fmt: skip
    roots = synthesize_domains(cfg, tmp_path, progress=False)
    cache = make_pseudo_labels(cfg, roots["b"], tmp_path, rotate=True,
                               source=build_label_source(cfg), progress=False)  # fmt: skip
    trained = train_student(cfg, {**roots, "a": None}, cache, "b_only", tmp_path, progress=False)
    assert not trained.student.training and trained.seconds > 0 and trained.curve == {}
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


@pytest.mark.slow
def test_the_demo_holds_one_label_source_built_from_cfg_teacher(tmp_path):
    """``teacher="simulated"`` → the simulated source with the config's degradations;
    anything else → that teacher as a source. No ``None`` stands for either."""
    from panodepth.data import SyntheticPanoramas
    from panodepth.distill import SimulatedSource, SimulationParams, TeacherSource
    from panodepth.distill.cache import read_pseudo_label_file
    from panodepth.teachers.tiny import save_tiny_depth_anything

    params = SimulationParams(blur_sigma=2.0, noise=0.1)
    simulated = build_label_source(QUICK.with_overrides(teacher="simulated", simulated=params))
    assert isinstance(simulated, SimulatedSource) and simulated.params == params
    tiny = str(save_tiny_depth_anything(tmp_path / "tiny-da"))
    cfg = QUICK.with_overrides(count_a=1, count_b=2, count_c=1, count_b_test=0, rotations=2,
                               teacher=tiny, height=32)  # fmt: skip
    source = build_label_source(cfg)
    assert isinstance(source, TeacherSource) and source.name == tiny
    roots = synthesize_domains(cfg, tmp_path, progress=False)
    caches = {}
    for label_source in (source, simulated):
        caches[label_source.name] = make_pseudo_labels(
            cfg, roots["b"], tmp_path, rotate=False, source=label_source, progress=False
        )
    # a teacher folder is named with its weights' checksum; the height is in every name
    assert re.fullmatch(r"tiny-da-[0-9a-f]{8}-k2-deg0-s0-h32", caches[tiny].name)
    assert caches[params.name].name == "simulated-b2-n0.1-k2-deg0-s0-h32"
    names = SyntheticPanoramas(roots["b"], labeled=False, height=32).names
    for name, cache in caches.items():
        assert sorted(p.stem for p in cache.iterdir()) == names
        tensors, meta = read_pseudo_label_file(cache / f"{names[0]}.safetensors")
        assert meta["teacher"] == name and meta["max_deg"] == "0.0"
        assert torch.equal(tensors["rotation"], torch.eye(3).expand(2, 3, 3))


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    from panodepth.data import SyntheticPanoramas
    from panodepth.data.synthetic.dataset import synthesize

    root = tmp_path_factory.mktemp("home") / "c"
    synthesize(root, "home", 5, height=32, seed=3, progress=False)
    return SyntheticPanoramas(root, height=32)


class CountingPredictor:
    """A predictor that counts the panoramas it is asked to predict."""

    def __init__(self, predictor):
        self.predictor, self.seen = predictor, 0

    def disparity(self, rgb):
        self.seen += rgb.shape[0]
        return self.predictor.disparity(rgb)


def test_each_model_predicts_each_test_panorama_once_and_is_scored_as_evaluate_dataset(home):
    from panodepth.demo.evaluation import TestSet, predict, score
    from panodepth.demo.pipeline import DemoResult, evaluate_model
    from panodepth.demo.report import figure
    from panodepth.inference import Predictor, evaluate_dataset
    from panodepth.models import build_model

    torch.manual_seed(0)
    predictor = Predictor.from_student(build_model("pano-unet").eval(), height=32)
    test = TestSet.read(home)
    counting = CountingPredictor(predictor)
    row, disparity = evaluate_model(QUICK, "a_only", "A only", counting, test, test_b=test)
    assert counting.seen == 2 * len(test)  # C once (metrics + seams + figure) and B once
    assert disparity.shape == (5, 1, 32, 64)
    expected = evaluate_dataset(predictor, home, QUICK.protocol, batch_size=8, progress=False)
    assert row.metrics == pytest.approx(expected.summary, rel=1e-9)
    assert row.metrics_b == pytest.approx(expected.summary, rel=1e-9)
    assert row.seam["ratio"] > 0 and not score(disparity, test, QUICK.protocol, seams=False).seam
    # the figure reads the stored predictions: other predictions, another figure
    cfg = QUICK.with_overrides(height=32, figure_rows=2)
    ours = disparity * (1 + torch.rand_like(disparity))

    def draw(predictions):
        return figure(DemoResult(cfg, [row], {"test": test, "predictions": predictions}, 0.0, ""))

    image = draw({"a_only": disparity, "a_plus_b": ours})
    assert image.shape[-1] > 6 * 64 * 2 and image.shape[-2] > 2 * 32 * 2
    assert not torch.equal(image, draw({"a_only": disparity, "a_plus_b": disparity}))
    # with the stitched teacher: one more labelled column
    wider = draw({"a_only": disparity, "a_plus_b": ours, "teacher_stitched": ours})
    assert wider.shape[-1] == image.shape[-1] + 64 * 2 + 2
    assert torch.equal(predict(predictor, test), disparity)  # one prediction, reproducible


def test_a_monitored_run_records_a_curve_on_each_set(tmp_path, home):
    """``eval_every``: the student is scored every N steps and after the last one, on each
    monitored set, without disturbing training (the run is the one without a monitor)."""
    from panodepth.demo.evaluation import TestSet

    cfg = QUICK.with_overrides(count_a=4, count_b=1, count_c=1, count_b_test=0, steps=5,
                               batch_size=2, height=32, eval_every=2)  # fmt: skip
    roots = synthesize_domains(cfg, tmp_path / "data", progress=False)
    test = TestSet.read(home)
    trained = train_student(cfg, roots, None, "m", tmp_path / "m", progress=False,
                            monitor={"c": test, "also": test})  # fmt: skip
    assert set(trained.curve) == {"c", "also"}
    assert [step for step, _ in trained.curve["c"]] == [2, 4, 5]
    assert all(0 < m["abs_rel"] < 1 and 0 <= m["delta1"] <= 1 for _, m in trained.curve["c"])
    plain = train_student(cfg, roots, None, "p", tmp_path / "p", progress=False)
    for a, b in zip(trained.student.parameters(), plain.student.parameters(), strict=True):
        assert torch.equal(a, b)


def test_verdict_states_the_claim_and_what_the_run_found():
    from panodepth.demo.pipeline import DemoResult, Evaluation
    from panodepth.demo.report import verdict

    cfg = QUICK.with_overrides(steps=800)
    rows = [Evaluation("a_only", "A", {"abs_rel": 0.2, "delta1": 0.6}),
            Evaluation("a_plus_b", "A+B", {"abs_rel": 0.17, "delta1": 0.7})]  # fmt: skip
    text = verdict(DemoResult(cfg, rows, {}, 0.0, "t"))
    assert text.startswith("The paper's claim:") and "is better than A only" in text
    assert "0.200 → 0.170 (-15.0 %)" in text and "δ1 0.600 → 0.700" in text
    assert "smoke test" not in text
    rows[1].metrics["abs_rel"] = 0.25
    text = verdict(DemoResult(QUICK, rows, {}, 0.0, "t"))
    assert "is worse than A only" in text and "(+25.0 %)" in text and "smoke test" in text


def test_report_compares_the_teacher_with_a_only():
    from panodepth.demo.report import teacher_line

    rows = {"a_only": {"abs_rel": 0.2}, "teacher_stitched": {"abs_rel": 0.21}}
    (line,) = [t for t in teacher_line(rows) if t]
    assert "AbsRel 0.210 on C, 5.0 % above A only" in line
    rows["teacher_stitched"]["abs_rel"] = 0.15
    assert "25.0 % below A only" in teacher_line(rows)[1]
    assert teacher_line({"a_only": {"abs_rel": 0.2}}) == []  # the simulated teacher: no row


def test_new_weights_under_the_same_name_never_reuse_cached_labels(tmp_path):
    import zlib

    from panodepth.distill import TeacherSource
    from panodepth.distill.cache import cache_tag
    from panodepth.teachers import SHIPPED_WEIGHTS, SmallTeacher

    shipped = cache_tag(TeacherSource(SmallTeacher(), name="synthetic-small"))
    assert shipped == f"synthetic-small-{zlib.crc32(SHIPPED_WEIGHTS.read_bytes()):08x}"
    retrained = tmp_path / "synthetic-small.safetensors"
    retrained.write_bytes(SHIPPED_WEIGHTS.read_bytes())
    same = cache_tag(TeacherSource(SmallTeacher(retrained), name="synthetic-small"))
    assert same == shipped  # same bytes, same labels
    from panodepth.teachers.small import load_small_teacher, save_small_teacher

    net, _ = load_small_teacher(retrained)
    with torch.no_grad():
        next(net.parameters()).add_(0.01)
    save_small_teacher(net, retrained, {"run": 2})
    assert cache_tag(TeacherSource(SmallTeacher(retrained), name="synthetic-small")) != shipped
