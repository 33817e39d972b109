"""The demo's stages: data → pseudo labels → students → evaluation on C (zero-shot) and B.

1. :func:`synthesize_domains`: domains A (labeled), B (unlabeled: sky, watermarks), C (test)
   and unseen B test panoramas, with the synthetic generator (resumable folders under
   ``OUT/data``).
2. :func:`make_pseudo_labels`: K cached pseudo-label draws per B panorama, from the teacher
   on the cube faces of randomly rotated panoramas (``max_deg = 0``: the no-rotation
   ablation). Teachers: the shipped ``synthetic-small`` network, any Depth Anything, or
   ``simulated`` (true face disparity, degraded; :mod:`panodepth.distill.simulated`). The
   generator's sky / watermark labels stand in for Grounded-SAM (whose weights cannot be
   downloaded here): the training module drops masked pixels from the pseudo-label loss.
3. :func:`train_student`: :class:`~panodepth.training.DepthAnywhere` through a Lightning
   ``Trainer`` for the same number of steps and the same seed for every variant.
4. :func:`evaluate_predictor`: metrics on C under an explicit protocol, and the cube seam
   measure (:mod:`panodepth.metrics.seams`); the same metrics on the unseen B panoramas
   (how much of the pseudo-labeled domain each model learned).

:func:`run_demo` runs them all and returns a :class:`DemoResult`; :mod:`.report` writes it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from panodepth.data import Augment, SyntheticPanoramas
from panodepth.data.synthetic.dataset import synthesize
from panodepth.distill import FaceProjection, PseudoLabeler
from panodepth.distill.cache import precompute_pseudo_labels
from panodepth.distill.simulated import precompute_simulated_labels
from panodepth.inference import Predictor, evaluate_dataset
from panodepth.metrics.seams import seam_statistics, seam_summary
from panodepth.models import Student360
from panodepth.training import DepthAnywhere, PanoramaDataModule, save_student

from .config import DemoConfig

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


def synthesize_domains(cfg: DemoConfig, out: Path, progress: bool = True) -> dict[str, Path]:
    """Write (or reuse) the three domains; returns their folders by key a, b, c, b_test.

    ``b_test`` (when ``cfg.count_b_test > 0``): unseen panoramas of B's domain with their GT,
    without watermarks — B was never labeled, so scoring on it shows how much of B the
    students learned from the pseudo labels (the paper's use: unlabeled data of the target
    domain), next to the zero-shot score on C.
    """
    # key → (domain, count, watermark probability, seed offset: each set its own scenes)
    specs = {
        "a": (cfg.domain_a, cfg.count_a, 0.0, ord("a")),
        "b": (cfg.domain_b, cfg.count_b, cfg.watermark_prob_b, ord("b")),
        "c": (cfg.domain_c, cfg.count_c, 0.0, ord("c")),
    }
    if cfg.count_b_test > 0:
        specs["b_test"] = (cfg.domain_b, cfg.count_b_test, 0.0, ord("t"))
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
        )
        roots[key] = root
    return roots


def build_demo_teacher(name: str) -> nn.Module:
    from panodepth.teachers import build_teacher

    return build_teacher(name)


def make_pseudo_labels(
    cfg: DemoConfig,
    unlabeled_root: Path,
    out: Path,
    rotate: bool,
    teacher: nn.Module | None,
    progress: bool = True,
) -> Path:
    """Cache K pseudo-label draws of every B panorama; returns the cache folder."""
    max_deg = cfg.max_deg if rotate else 0.0
    if teacher is None:
        tag = f"simulated-b{cfg.sim_blur_sigma:g}-n{cfg.sim_noise:g}"
    else:
        tag = Path(str(cfg.teacher)).name
    cache = out / "labels" / f"{tag}-k{cfg.rotations}-deg{max_deg:g}-s{cfg.seed}"
    if teacher is None:
        dataset = SyntheticPanoramas(unlabeled_root, labeled=True, height=cfg.height)
        precompute_simulated_labels(
            dataset,
            cache,
            rotations=cfg.rotations,
            max_deg=max_deg,
            blur_sigma=cfg.sim_blur_sigma,
            noise=cfg.sim_noise,
            seed=cfg.seed,
            progress=progress,
        )
    else:
        labeler = PseudoLabeler(teacher, None, FaceProjection("cube"), max_deg)
        paths = SyntheticPanoramas(unlabeled_root, labeled=False, height=cfg.height).paths
        summary = precompute_pseudo_labels(
            labeler,
            paths,
            cache,
            rotations=cfg.rotations,
            height=cfg.height,
            seed=cfg.seed,
            teacher_name=str(cfg.teacher),
            progress=progress,
        )
        if summary.failed:
            raise RuntimeError(f"pseudo-labelling failed for: {summary.failed[:3]}")
    return cache


def train_student(
    cfg: DemoConfig,
    roots: dict[str, Path | None],
    cache: Path | None,
    name: str,
    out: Path,
    progress: bool = True,
) -> tuple[Student360, float]:
    """Train one variant (same steps, seed and labeled data for all); returns it and seconds.

    ``roots["a"] = None`` trains on B's pseudo labels alone (a check of the mechanism).
    """
    import lightning as L
    from lightning.pytorch.loggers import CSVLogger

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
        enable_progress_bar=progress,
    )
    start = time.perf_counter()
    trainer.fit(module, datamodule=data)
    seconds = time.perf_counter() - start
    student = module.student.cpu().eval()
    save_student(student, out / "students" / f"{name}.safetensors")
    return student, seconds


def evaluate_predictor(
    cfg: DemoConfig, predictor: Predictor, test: SyntheticPanoramas
) -> tuple[dict[str, float], dict[str, float]]:
    """Metrics on the held-out domain (``cfg.protocol``) and the cube seam measure."""
    report = evaluate_dataset(predictor, test, cfg.protocol, batch_size=8, progress=False)
    stats = []
    for start in range(0, len(test), 8):
        batch = [test[i] for i in range(start, min(start + 8, len(test)))]
        rgb = torch.stack([s["rgb"] for s in batch])
        gt = torch.stack([s["depth"] for s in batch])
        valid = torch.stack([s["valid"] for s in batch])
        stats.append(seam_statistics(predictor.disparity(rgb), gt, valid, pred_kind="disparity"))
    seam = seam_summary(torch.cat(stats))
    return report.summary, seam


def run_demo(cfg: DemoConfig, out: Path, progress: bool = True) -> DemoResult:
    """All stages; every artefact goes under ``out``."""
    start = time.perf_counter()
    out = Path(out)
    roots = synthesize_domains(cfg, out, progress)
    simulated = cfg.teacher == SIMULATED
    teacher = None if simulated else build_demo_teacher(cfg.teacher)
    caches = {
        rotate: make_pseudo_labels(cfg, roots["b"], out, rotate, teacher, progress)
        for rotate in (True, False)
    }
    test = SyntheticPanoramas(roots["c"], height=cfg.height)
    test_b = None
    if "b_test" in roots:
        test_b = SyntheticPanoramas(roots["b_test"], height=cfg.height)

    def on_b(predictor: Predictor) -> dict[str, float]:
        if test_b is None:
            return {}
        report = evaluate_dataset(predictor, test_b, cfg.protocol, batch_size=8, progress=False)
        return report.summary

    rows: list[Evaluation] = []
    notes = []
    if teacher is not None:
        t0 = time.perf_counter()
        stitched = Predictor.from_teacher(teacher, height=cfg.height)
        metrics, seam = evaluate_predictor(cfg, stitched, test)
        rows.append(
            Evaluation(
                "teacher_stitched",
                "teacher on cube faces, stitched (no GT)",
                metrics,
                seam,
                extra={"eval_seconds": time.perf_counter() - t0},
                metrics_b=on_b(stitched),
            )
        )
    else:
        notes.append(
            "simulated teacher: it needs the GT depth, so it has no image-only stitched baseline"
        )
    students: dict[str, Student360] = {}
    for name, (label, uses_b, rotate) in VARIANTS.items():
        cache = caches[rotate] if uses_b else None
        student, seconds = train_student(cfg, roots, cache, name, out, progress)
        students[name] = student
        predictor = Predictor.from_student(student, height=cfg.height)
        metrics, seam = evaluate_predictor(cfg, predictor, test)
        rows.append(Evaluation(name, label, metrics, seam, seconds, metrics_b=on_b(predictor)))
    for row in rows:
        bad = [k for k, v in row.metrics.items() if not math.isfinite(v)]
        if bad:
            notes.append(f"{row.name}: non-finite {bad}")
    figure_inputs = {"test": test, "students": students, "teacher": teacher}
    return DemoResult(
        cfg, rows, figure_inputs, time.perf_counter() - start, str(cfg.teacher), notes
    )
