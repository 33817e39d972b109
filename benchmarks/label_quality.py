"""How good are a teacher's pseudo labels? The per-face loss of the *true* disparity against them.

Renders unlabeled-domain panoramas with ground truth (the demo's domain B, ``FULL.domain_b``:
indoor styles and outdoor scenes, with sky and watermarks), makes pseudo labels exactly as the
demo does (cube faces under random ±45° rotations, sky and watermarks masked by the synthetic
region labels) and scores them with :func:`panodepth.distill.pseudo_label_loss` of the ground-
truth disparity: the loss a *perfect* student would have against them (0 = labels equal to the
truth up to a per-face affine). The same number for the simulated teacher (defaults: blur 1
px, 5 % noise) gives the scale: the demo's students learn a lot from labels at that level.
Also reported: the teacher fed its faces at the panorama's face size (H/2) versus resized to
``--input-size``, and faces cut from panoramas rendered at twice the height (labels at H px,
the student's GT at the same H × 2H). ``--student FILE`` scores a trained 360° student's own
prediction mapped to the same faces (the labels are worth learning from only where they beat
what the student, e.g. the demo's A-only baseline, already knows about domain B), and its
AbsRel / δ1 on these B panoramas (``lsq_disparity``; panoramas the students never saw, from
B's domain).

Usage::

    python benchmarks/label_quality.py --teacher synthetic-small [--teacher other.safetensors]
        [--student a_only.safetensors] [--sim BLUR NOISE ...] [--count 48] [--height 64]
        [--input-size 64] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import torch

from panodepth.data.datasets import SyntheticPanoramas
from panodepth.data.synthetic.dataset import synthesize
from panodepth.demo import FULL
from panodepth.distill import (
    FaceProjection,
    LabelSource,
    PseudoLabels,
    SimulatedSource,
    SimulationParams,
    TeacherSource,
    pseudo_label_loss,
)
from panodepth.distill.projection import panorama_to_faces, student_to_faces
from panodepth.geometry import random_rotation
from panodepth.inference import Predictor, evaluate_dataset
from panodepth.teachers import build_teacher
from panodepth.training.checkpoint import load_student


def label_losses(
    dataset, source: LabelSource, height: int, seed: int, batch: int = 8
) -> list[float]:
    """Per-batch loss of the GT disparity (at ``height``) against ``source``'s labels (sources
    that see only images get the GT validity and region masks ANDed in, as a masker would)."""
    losses = []
    gen = torch.Generator().manual_seed(seed)
    for start in range(0, len(dataset), batch):
        samples = [dataset[i] for i in range(start, min(start + batch, len(dataset)))]
        rgb = torch.stack([s["rgb"] for s in samples])
        depth = torch.stack([s["depth"] for s in samples])
        region = torch.stack([s["region_valid"] for s in samples])
        rotation = random_rotation(len(samples), 45.0, generator=gen)
        labels = source({"rgb": rgb, "depth": depth, "region_valid": region}, rotation, gen)
        if not source.needs_ground_truth:
            valid = (depth > 0) & region
            faces = panorama_to_faces(valid.float(), rotation, labels.projection)
            labels.valid = labels.valid & (faces >= 0.999)
        gt = torch.where(depth > 0, 1.0 / depth.clamp_min(1e-6), torch.zeros_like(depth))
        if gt.shape[-2] != height:
            gt = torch.nn.functional.interpolate(gt, size=(height, 2 * height), mode="nearest")
        losses.append(float(pseudo_label_loss(gt, labels)))
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teacher", action="append", default=None)
    parser.add_argument("--student", action="append", default=[])
    parser.add_argument(
        "--sim", nargs=2, type=float, action="append", metavar=("BLUR", "NOISE"),
        help="simulated-teacher degradations to score (default: 1 0.05)",
    )  # fmt: skip
    parser.add_argument(
        "--domain", default=FULL.domain_b,
        help="where to score (default: the demo's B; e.g. the test domain 'home')",
    )  # fmt: skip
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--height", type=int, default=64)
    parser.add_argument("--input-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    if args.count < 1 or args.height < 32 or args.height % 32:
        parser.error("--count must be ≥ 1 and --height a multiple of 32")
    if args.threads:
        torch.set_num_threads(args.threads)
    teachers = args.teacher or ["synthetic-small"]
    work = args.work or Path(tempfile.mkdtemp(prefix="label_quality_"))
    h = args.height
    root = synthesize(work / f"{args.domain}-{2 * h}", args.domain, args.count, height=2 * h,
                      seed=7, watermark_prob=0.5, progress=False).parent  # fmt: skip
    at_h = SyntheticPanoramas(root, labeled=True, height=h)
    at_2h = SyntheticPanoramas(root, labeled=True, height=2 * h)

    def report(name: str, losses: list[float], extra: str = "") -> None:
        spread = statistics.stdev(losses) if len(losses) > 1 else float("nan")  # one batch: n/a
        print(f"{name:<58} {statistics.mean(losses):.3f} ± {spread:.3f}{extra}")

    print(f"{args.count} {args.domain} panoramas, loss of GT disparity vs labels "
          f"(mean ± std over batches of 8; lower = better labels)")  # fmt: skip
    for blur, noise in args.sim or [(1.0, 0.05)]:
        simulated = SimulatedSource(SimulationParams(blur_sigma=blur, noise=noise))
        losses = label_losses(at_h, simulated, h, args.seed)
        report(f"simulated teacher (blur {blur:g} px, noise {noise:.0%})", losses)
    variants = (
        (None, at_h, f"faces {h // 2} px"),
        (args.input_size, at_h, f"faces {h // 2} px → {args.input_size}"),
        (None, at_2h, f"faces {h} px (from {2 * h}×{4 * h})"),
    )
    for spec in teachers:
        for input_size, data, tag in variants:
            options = {"input_size": input_size} if input_size else {}
            source = TeacherSource(build_teacher(spec, **options), None, FaceProjection(), spec)
            report(f"{Path(spec).name}: {tag}", label_losses(data, source, h, args.seed))
    for path in args.student:
        predictor = Predictor.from_student(load_student(path), height=h)
        losses = label_losses(at_h, StudentAsSource(predictor, path), h, args.seed)
        summary = evaluate_dataset(predictor, at_h, "lsq_disparity", batch_size=8, progress=False)
        metrics = f"AbsRel {summary.summary['abs_rel']:.3f}  δ1 {summary.summary['delta1']:.3f}"
        report(f"student {Path(path).name}", losses, f"   panoramas (lsq_disparity): {metrics}")


class StudentAsSource:
    """A 360° student's disparity mapped to the cube faces, as a label source."""

    needs_ground_truth = False
    device = torch.device("cpu")

    def __init__(self, predictor: Predictor, name: str) -> None:
        self.predictor, self.name = predictor, name
        self.projection = FaceProjection("cube")

    def __call__(
        self, batch: dict, rotation: torch.Tensor, generator: torch.Generator | None = None
    ) -> PseudoLabels:
        rgb = batch["rgb"]
        disparity = self.predictor.disparity(rgb)
        faces = student_to_faces(disparity, rotation, self.projection, rgb.shape[-2] // 2)
        keep = torch.ones(rgb.shape[0], dtype=torch.bool)
        return PseudoLabels(faces, torch.isfinite(faces), rotation, keep, self.projection)


if __name__ == "__main__":
    main()
