"""The science benchmark of issue #8: does A + B(pseudo) beat A-only zero-shot on C?

The demo's experiment (:mod:`panodepth.demo`) at a size that resolves the effect: several
seeds, more C panoramas and steps. For every seed it trains, with the same steps and seed,

* ``a_only``          the student on domain A's GT only (baseline),
* ``a_plus_b``        A + B pseudo-labeled by the shipped teacher (random rotations),
* ``a_plus_b_sim``    A + B pseudo-labeled by the simulated teacher (random rotations),
* ``a_plus_b_norot``  A + B pseudo-labeled by the shipped teacher without rotation,

evaluates each on C (paper protocol; AbsRel, δ1, seam ratio) and prints mean ± std over
seeds, plus the relative AbsRel change against A-only and the seed spread. Results are
appended to a JSON-lines file as each run finishes (``--out``), so a long run can be
watched and is resumable (finished (seed, variant) pairs are skipped).

    .venv/bin/python benchmarks/distill_gain.py --seeds 0 1 2 --steps 1000 --out bench.jsonl

It may take an hour or more on a 2-core CPU: run it in the background.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from pathlib import Path

import torch

from panodepth.data import SyntheticPanoramas
from panodepth.demo import FULL
from panodepth.demo.evaluation import TestSet, predict, score
from panodepth.demo.pipeline import (
    SIMULATED,
    build_label_source,
    make_pseudo_labels,
    synthesize_domains,
    train_student,
)
from panodepth.inference import Predictor

# name → (teacher: "shipped" | "simulated" | None, rotate)
RUNS = {
    "a_only": (None, True),
    "a_plus_b": ("shipped", True),
    "a_plus_b_sim": ("simulated", True),
    "a_plus_b_norot": ("shipped", False),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--count_a", type=int, default=240)
    parser.add_argument("--count_b", type=int, default=240)
    parser.add_argument("--count_c", type=int, default=120)
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--work", default="outputs/distill_gain", help="data and students")
    parser.add_argument("--out", default="outputs/distill_gain/results.jsonl")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--teacher", default=FULL.teacher, help="the learned teacher (name/file)")
    parser.add_argument("--sim_blur", type=float, default=FULL.simulated.blur_sigma)
    parser.add_argument("--sim_noise", type=float, default=FULL.simulated.noise)
    parser.add_argument("--lr_schedule", default=FULL.lr_schedule, choices=["constant", "cosine"])
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.is_file():
        for line in out.read_text().splitlines():
            rec = json.loads(line)
            done.add((rec["seed"], rec["run"]))
    simulated = replace(FULL.simulated, blur_sigma=args.sim_blur, noise=args.sim_noise)
    sources = {  # the label source of each kind, built once
        "shipped": build_label_source(FULL.with_overrides(teacher=args.teacher)),
        "simulated": build_label_source(
            FULL.with_overrides(teacher=SIMULATED, simulated=simulated)
        ),
    }
    for seed in args.seeds:
        cfg = FULL.with_overrides(
            seed=seed,
            steps=args.steps,
            count_a=args.count_a,
            count_b=args.count_b,
            count_c=args.count_c,
            teacher=args.teacher,
            lr_schedule=args.lr_schedule,
            simulated=simulated,
        )
        work = Path(args.work)
        roots = synthesize_domains(cfg, work, progress=False)
        test = TestSet.read(SyntheticPanoramas(roots["c"], height=cfg.height))
        for name in args.runs:
            if (seed, name) in done:
                continue
            kind, rotate = RUNS[name]
            cache = None
            if kind is not None:
                cache = make_pseudo_labels(cfg, roots["b"], work, rotate, sources[kind], False)
            start = time.perf_counter()
            student, seconds = train_student(
                cfg, roots, cache, f"{name}-s{seed}", work, progress=False
            )
            predictor = Predictor.from_student(student, height=cfg.height)
            scores = score(predict(predictor, test), test, cfg.protocol)
            metrics, seam = scores.metrics, scores.seam
            rec = {
                "seed": seed,
                "run": name,
                "steps": cfg.steps,
                "teacher": args.teacher,
                "lr_schedule": cfg.lr_schedule,
                "sim": [cfg.simulated.blur_sigma, cfg.simulated.noise],
                "abs_rel": metrics["abs_rel"],
                "delta1": metrics["delta1"],
                "seam_ratio": seam["ratio"],
                "train_seconds": seconds,
                "seconds": time.perf_counter() - start,
                "count_c": len(test),
            }
            with out.open("a") as f:
                f.write(json.dumps(rec) + "\n")
            print(json.dumps(rec), flush=True)
    summarize(out)


def summarize(path: Path) -> None:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    by_run: dict[str, list[dict]] = {}
    for rec in records:
        by_run.setdefault(rec["run"], []).append(rec)

    def ms(values: list[float]) -> str:
        if len(values) < 2:
            return f"{values[0]:.4f}" if values else "n/a"
        return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f}"

    print("\n| run | seeds | AbsRel on C | δ1 on C | seam ratio | ΔAbsRel vs A-only |")
    print("|---|---|---|---|---|---|")
    base = {r["seed"]: r["abs_rel"] for r in by_run.get("a_only", [])}
    for name, recs in by_run.items():
        rel = [
            100 * (r["abs_rel"] - base[r["seed"]]) / base[r["seed"]]
            for r in recs
            if r["seed"] in base
        ]
        print(
            f"| {name} | {len(recs)} | {ms([r['abs_rel'] for r in recs])} | "
            f"{ms([r['delta1'] for r in recs])} | {ms([r['seam_ratio'] for r in recs])} | "
            f"{ms(rel)} % |"
        )


if __name__ == "__main__":
    main()
