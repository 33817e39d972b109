"""The demo's stages: data → pseudo labels → students → evaluation on C (zero-shot) and B.

1. :func:`synthesize_domains`: domains A (labeled), B (unlabeled: sky, watermarks), C (test)
   and unseen B test panoramas, with the synthetic generator (resumable folders under
   ``OUT/data``).
2. :func:`make_pseudo_labels`: K cached pseudo-label draws per B panorama, from the demo's
   one label source (:func:`build_label_source`, built once from ``cfg.teacher``) on the
   cube faces of randomly rotated panoramas (``max_deg = 0``: the no-rotation ablation).
   Sources: a teacher (:class:`~panodepth.distill.TeacherSource`: the shipped
   ``synthetic-small`` network or any Depth Anything) or ``simulated``
   (:class:`~panodepth.distill.SimulatedSource`: true face disparity, degraded, from B's
   GT). The generator's sky / watermark labels stand in for Grounded-SAM (whose weights
   cannot be downloaded here): the training module drops masked pixels from the
   pseudo-label loss.
3. :func:`train_student`: :class:`~panodepth.training.DepthAnywhere` through a Lightning
   ``Trainer`` for the same number of steps and the same seed for every variant.
4. :func:`evaluate_model`: each model predicts every C panorama once
   (:mod:`.evaluation`); the metrics under an explicit protocol, the cube seam measure
   (:mod:`panodepth.metrics.seams`) and the figure read that prediction; the same metrics
   on the unseen B panoramas (how much of the pseudo-labeled domain each model learned).

:func:`run_demo` runs them all and returns a :class:`DemoResult`; :mod:`.report` writes it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import Tensor

from panodepth.data import Augment, SyntheticPanoramas
from panodepth.data.synthetic.dataset import synthesize
from panodepth.distill import (
    FaceProjection,
    LabelSource,
    SimulatedSource,
    TeacherSource,
    precompute_pseudo_labels,
)
from panodepth.distill.cache import cache_tag
from panodepth.inference import Predictor
from panodepth.models import Student360
from panodepth.training import DepthAnywhere, PanoramaDataModule, save_student

from .config import DemoConfig
from .evaluation import TestSet, predict, score

SIMULATED = "simulated"

# variant name → (label in the table, uses B's pseudo labels, rotation bound or None)
VARIANTS: dict[str, tuple[str, bool, bool]] = {
    "a_only": ("student, A only (baseline)", False, True),
    "a_plus_b": ("student, A + B pseudo (Depth Anywhere)", True, True),
    "a_plus_b_norot": ("student, A + B pseudo, no rotation (ablation)", True, False),
}


@dataclass
class Evaluation:
    name: str
    label: str
    metrics: dict[str, float]
    seam: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    metrics_b: dict[str, float] = field(default_factory=dict)  # on unseen B panoramas


@dataclass
class DemoResult:
    config: DemoConfig
    rows: list[Evaluation]
    figure_inputs: dict[str, Any]
    seconds: float
    teacher: str
    notes: list[str] = field(default_factory=list)


SET_LABELS = {"a": "A", "b": "B", "c": "C", "b_test": "B test", "val": "validation"}


def synthesize_domains(cfg: DemoConfig, out: Path, progress: bool = True) -> dict[str, Path]:
    """Write (or reuse) the domains; returns their folders by key a, b, c, b_test, val.

    ``b_test`` (when ``cfg.count_b_test > 0``): unseen panoramas of B's domains with their GT,
    without watermarks — B was never labeled, so scoring on it shows how much of B the
    students learned from the pseudo labels (the paper's use: unlabeled data of the target
    domain), next to the zero-shot score on C. ``val`` (when ``cfg.count_val > 0``): the
    validation domain, for design choices (C is scored only to report).
    """
    # key → (domain, count, watermark probability, seed offset: each set its own scenes)
    specs = {
        "a": (cfg.domain_a, cfg.count_a, 0.0, ord("a")),
        "b": (cfg.domain_b, cfg.count_b, cfg.watermark_prob_b, ord("b")),
        "c": (cfg.domain_c, cfg.count_c, 0.0, ord("c")),
    }
    if cfg.count_b_test > 0:
        specs["b_test"] = (cfg.domain_b, cfg.count_b_test, 0.0, ord("t"))
    if cfg.count_val > 0:
        specs["val"] = (cfg.domain_val, cfg.count_val, 0.0, ord("v"))
    roots = {}
    for key, (domain, count, watermark, offset) in specs.items():
        root = out / "data" / f"{key}-{domain}-{cfg.height}-s{cfg.seed}-wm{watermark:g}"
        synthesize(
            root,
            domain,
            count,
            height=cfg.height,
            seed=cfg.seed + offset,
            watermark_prob=watermark,
            progress=progress,
            desc=f"data {SET_LABELS[key]} ({domain})",
        )
        roots[key] = root
    return roots


def build_label_source(cfg: DemoConfig) -> LabelSource:
    """The demo's one label source, from ``cfg.teacher``: ``"simulated"`` → the simulated
    teacher with ``cfg.simulated`` (labels from B's GT); anything else → that teacher
    (:func:`panodepth.teachers.build_teacher`: a name, file or Depth Anything id / folder)."""
    if cfg.teacher == SIMULATED:
        return SimulatedSource(cfg.simulated, FaceProjection("cube"))
    from panodepth.teachers import build_teacher

    return TeacherSource(build_teacher(cfg.teacher), None, FaceProjection("cube"), str(cfg.teacher))


def make_pseudo_labels(
    cfg: DemoConfig,
    unlabeled_root: Path,
    out: Path,
    rotate: bool,
    source: LabelSource,
    progress: bool = True,
) -> Path:
    """Cache K pseudo-label draws of every B panorama from ``source``; returns the folder."""
    max_deg = cfg.max_deg if rotate else 0.0
    name = f"{cache_tag(source)}-k{cfg.rotations}-deg{max_deg:g}-s{cfg.seed}-h{cfg.height}"
    cache = out / "labels" / name
    dataset = SyntheticPanoramas(
        unlabeled_root, labeled=source.needs_ground_truth, height=cfg.height
    )
    summary = precompute_pseudo_labels(
        source, dataset, cache, rotations=cfg.rotations, max_deg=max_deg, seed=cfg.seed,
        progress=progress, desc=f"pseudo labels B ({'±' if rotate else ''}{max_deg:g}°)",
    )  # fmt: skip
    if summary.failed:
        raise RuntimeError(f"pseudo-labelling failed for: {summary.failed[:3]}")
    return cache


@dataclass
class Trained:
    """A trained variant: the student (eval mode, CPU), training seconds, and its curve:
    ``{test set key: [(step, metrics), …]}`` when monitored."""

    student: Student360
    seconds: float
    curve: dict[str, list[tuple[int, dict[str, float]]]] = field(default_factory=dict)


def train_student(
    cfg: DemoConfig,
    roots: dict[str, Path | None],
    cache: Path | None,
    name: str,
    out: Path,
    progress: bool = True,
    monitor: dict[str, TestSet] | None = None,
) -> Trained:
    """Train one variant (same steps, seed and labeled data for all).

    ``roots["a"] = None`` trains on B's pseudo labels alone (a check of the mechanism).
    With ``monitor`` and ``cfg.eval_every`` > 0, the student is scored on each test set every
    ``cfg.eval_every`` steps (and at the end) under ``cfg.protocol``. Lightning's own console
    output is left to ``panodepth fit``: the demo shows one progress bar per variant.
    """
    import lightning as L
    from lightning.pytorch.loggers import CSVLogger

    from .callbacks import Monitor, StepBar, quiet_lightning

    L.seed_everything(cfg.seed, workers=True, verbose=False)
    module = DepthAnywhere(
        student=cfg.student,
        student_options=dict(cfg.student_options),
        lr=cfg.lr,
        lr_schedule=cfg.lr_schedule,
    )
    labeled = None
    if roots.get("a") is not None:
        labeled = SyntheticPanoramas(
            roots["a"], height=cfg.height, augment=Augment(), seed=cfg.seed
        )
    unlabeled = None
    if cache is not None:
        unlabeled = SyntheticPanoramas(
            roots["b"], labeled=False, height=cfg.height, augment=Augment(), seed=cfg.seed
        )
    data = PanoramaDataModule(
        labeled,
        unlabeled,
        pseudo_labels=None if cache is None else str(cache),
        batch_size=cfg.batch_size,
        num_workers=cfg.num_workers,
        seed=cfg.seed,
    )

    def score_fn(student: Student360, test: TestSet) -> dict[str, float]:
        predictor = Predictor.from_student(student, height=cfg.height)
        return score(predict(predictor, test), test, cfg.protocol, seams=False).metrics

    callbacks: list[L.Callback] = [StepBar(f"train {name}", cfg.steps, enabled=progress)]
    curve: dict[str, list[tuple[int, dict[str, float]]]] = {}
    if monitor and cfg.eval_every > 0:
        callbacks.append(Monitor(monitor, cfg.eval_every, cfg.steps, score_fn, curve))
    with quiet_lightning():
        trainer = L.Trainer(
            max_steps=cfg.steps,
            accelerator="auto",
            devices=1,
            logger=CSVLogger(out / "logs", name=name),
            enable_checkpointing=False,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            limit_val_batches=0,
            log_every_n_steps=max(1, min(10, cfg.steps // 20)),
            enable_progress_bar=False,
            callbacks=callbacks,
        )
        start = time.perf_counter()
        trainer.fit(module, datamodule=data)
        seconds = time.perf_counter() - start
    student = module.student.cpu().eval()
    save_student(student, out / "students" / f"{name}.safetensors")
    return Trained(student, seconds, curve)


def evaluate_model(
    cfg: DemoConfig,
    name: str,
    label: str,
    predictor: Predictor,
    test: TestSet,
    test_b: TestSet | None = None,
) -> tuple[Evaluation, Tensor]:
    """Score one model: its prediction of every C panorama (made once, returned for the
    figure) under ``cfg.protocol`` with the seam measure, and its metrics on ``test_b``."""
    start = time.perf_counter()
    disparity = predict(predictor, test)
    on_c = score(disparity, test, cfg.protocol)
    seconds = time.perf_counter() - start
    metrics_b = {}
    if test_b is not None:
        metrics_b = score(predict(predictor, test_b), test_b, cfg.protocol, seams=False).metrics
    row = Evaluation(name, label, on_c.metrics, on_c.seam, metrics_b=metrics_b)
    row.extra["eval_seconds"] = seconds
    return row, disparity


def run_demo(cfg: DemoConfig, out: Path, progress: bool = True) -> DemoResult:
    """All stages; every artefact goes under ``out``."""
    start = time.perf_counter()
    out = Path(out)
    roots = synthesize_domains(cfg, out, progress)
    source = build_label_source(cfg)
    caches = {
        rotate: make_pseudo_labels(cfg, roots["b"], out, rotate, source, progress)
        for rotate in (True, False)
    }
    test = TestSet.read(SyntheticPanoramas(roots["c"], height=cfg.height))
    test_b = None
    if "b_test" in roots:
        test_b = TestSet.read(SyntheticPanoramas(roots["b_test"], height=cfg.height))

    rows: list[Evaluation] = []
    predictions: dict[str, Tensor] = {}
    notes = []
    if isinstance(source, TeacherSource):
        stitched = Predictor.from_teacher(source.teacher, height=cfg.height)
        label = "teacher on cube faces, stitched (no GT)"
        row, predictions["teacher_stitched"] = evaluate_model(
            cfg, "teacher_stitched", label, stitched, test, test_b
        )
        rows.append(row)
    else:
        notes.append(
            f"{cfg.teacher} teacher: it needs the GT depth, so it has no image-only stitched "
            "baseline"
        )
    for name, (label, uses_b, rotate) in VARIANTS.items():
        cache = caches[rotate] if uses_b else None
        trained = train_student(cfg, roots, cache, name, out, progress)
        predictor = Predictor.from_student(trained.student, height=cfg.height)
        row, predictions[name] = evaluate_model(cfg, name, label, predictor, test, test_b)
        row.seconds = trained.seconds
        rows.append(row)
    for row in rows:
        bad = [k for k, v in row.metrics.items() if not math.isfinite(v)]
        if bad:
            notes.append(f"{row.name}: non-finite {bad}")
    figure_inputs = {"test": test, "predictions": predictions}
    return DemoResult(
        cfg, rows, figure_inputs, time.perf_counter() - start, str(cfg.teacher), notes
    )
