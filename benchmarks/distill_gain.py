"""The science benchmark: does A + B(pseudo) beat A only zero-shot on a domain never seen?

The demo's experiment (:mod:`panodepth.demo`, the paper's analog) at a size that resolves the
effect: several seeds, more test panoramas, a validation domain. Per seed, each variant is
trained with the same steps, seed and labeled data:

* ``a_only``          the student on domain A's GT only (baseline),
* ``a_plus_b``        A + B pseudo-labeled by the learned teacher (random rotations),
* ``a_plus_b_norot``  the same without rotation (ablation),
* ``a_plus_b_sim``    A + B pseudo-labeled by the simulated teacher (true face disparity,
                      degraded; an upper reference).
* ``teacher``         no student: the learned teacher itself on the same sets, on cube faces
                      stitched (``Predictor.from_teacher``) — the level its students tend to.

Domains (``panodepth.demo.config``): A ``office`` (labeled, narrow); B the mixture
``hotel+loft+classroom+outdoor`` (unlabeled, diverse, sky and watermarks); validation
``cabin`` (design choices: the number of steps, and A only's best step); C ``home`` (never
seen in any form: scored only to report). Every ``--eval_every`` steps each student is
scored on validation, C and unseen B panoramas (the curve shows A only overfitting A).

Records are appended to a JSON-lines file as each run finishes (``--out``): a long run can
be watched and resumed (finished (seed, run) pairs are skipped). ``--summary`` prints the
tables from the file.

    .venv/bin/python benchmarks/distill_gain.py --seeds 0 1 2 --out bench.jsonl

It takes about 15 min per seed on a 2-core CPU: run it in the background (``--runs`` splits
the variants over processes; they share the data and the pseudo-label caches).
"""

from __future__ import annotations

import argparse
import json
import math
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

# name → (teacher: "learned" | "simulated" | None, rotate)
RUNS = {
    "a_only": (None, True),
    "a_plus_b": ("learned", True),
    "a_plus_b_norot": ("learned", False),
    "a_plus_b_sim": ("simulated", True),
    "teacher": ("learned", False),  # scored, not trained
}
SETS = {"val": "validation", "c": "C (test)", "b_test": "B (unseen)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--eval_every", type=int, default=100)
    parser.add_argument("--count_a", type=int, default=240)
    parser.add_argument("--count_b", type=int, default=240)
    parser.add_argument("--count_c", type=int, default=96)
    parser.add_argument("--count_val", type=int, default=48)
    parser.add_argument("--count_b_test", type=int, default=48)
    parser.add_argument(
        "--domain_b",
        default=FULL.domain_b,
        help="the unlabeled domain (a diagnostic: B = C's own domain bounds any B design)",
    )
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--work", default="outputs/distill_gain", help="data and students")
    parser.add_argument("--out", default="outputs/distill_gain/results.jsonl")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--teacher", default=FULL.teacher, help="the learned teacher (name/file)")
    parser.add_argument("--sim_blur", type=float, default=FULL.simulated.blur_sigma)
    parser.add_argument("--sim_noise", type=float, default=FULL.simulated.noise)
    parser.add_argument("--summary", action="store_true", help="only print the tables")
    args = parser.parse_args()
    out = Path(args.out)
    if args.summary:
        summarize(out)
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = set()
    if out.is_file():
        for line in out.read_text().splitlines():
            rec = json.loads(line)
            done.add((rec["seed"], rec["run"]))
    simulated = replace(FULL.simulated, blur_sigma=args.sim_blur, noise=args.sim_noise)
    kinds = {RUNS[name][0] for name in args.runs} - {None}
    sources = {  # the label source of each kind, built once
        kind: build_label_source(
            FULL.with_overrides(teacher=SIMULATED, simulated=simulated)
            if kind == "simulated"
            else FULL.with_overrides(teacher=args.teacher)
        )
        for kind in kinds
    }
    for seed in args.seeds:
        cfg = FULL.with_overrides(
            seed=seed,
            steps=args.steps,
            count_a=args.count_a,
            count_b=args.count_b,
            count_c=args.count_c,
            count_val=args.count_val,
            count_b_test=args.count_b_test,
            domain_b=args.domain_b,
            teacher=args.teacher,
            simulated=simulated,
            eval_every=args.eval_every,
        )
        work = Path(args.work)
        roots = synthesize_domains(cfg, work, progress=False)
        sets = {k: TestSet.read(SyntheticPanoramas(roots[k], height=cfg.height)) for k in SETS}
        for name in args.runs:
            if (seed, name) in done:
                continue
            if name == "teacher":
                record(out, teacher_record(cfg, sources["learned"], sets, args.teacher))
                continue
            kind, rotate = RUNS[name]
            cache = None
            if kind is not None:
                cache = make_pseudo_labels(cfg, roots["b"], work, rotate, sources[kind], False)
            start = time.perf_counter()
            trained = train_student(
                cfg, roots, cache, f"{name}-s{seed}", work, progress=False, monitor=sets
            )
            predictor = Predictor.from_student(trained.student, height=cfg.height)
            on_c = score(predict(predictor, sets["c"]), sets["c"], cfg.protocol)
            rec = {
                "seed": seed,
                "run": name,
                "steps": cfg.steps,
                "teacher": args.teacher if kind == "learned" else kind,
                "sim": [cfg.simulated.blur_sigma, cfg.simulated.noise],
                "domains": {k: getattr(cfg, f"domain_{k}") for k in ("a", "b", "c", "val")},
                "counts": {k: len(v) for k, v in sets.items()},
                "final": {
                    k: {m: v[-1][1][m] for m in ("abs_rel", "delta1")}
                    for k, v in trained.curve.items()
                },
                "curve": {
                    k: [[step, m["abs_rel"], m["delta1"]] for step, m in v]
                    for k, v in trained.curve.items()
                },
                "seam_ratio": on_c.seam["ratio"],
                "train_seconds": trained.seconds,
                "seconds": time.perf_counter() - start,
            }
            record(out, rec)
    summarize(out)


def record(out: Path, rec: dict) -> None:
    """Append one finished (seed, run) record and say what it found."""
    with out.open("a") as f:
        f.write(json.dumps(rec) + "\n")
    print(
        f"seed {rec['seed']} {rec['run']}: C AbsRel {rec['final']['c']['abs_rel']:.4f}, "
        f"validation {rec['final']['val']['abs_rel']:.4f} ({rec['seconds']:.0f} s)",
        flush=True,
    )


def teacher_record(cfg, source, sets: dict[str, TestSet], teacher: str) -> dict:
    """The learned teacher scored like a student (its cube faces stitched, no GT)."""
    start = time.perf_counter()
    predictor = Predictor.from_teacher(source.teacher, height=cfg.height)
    scores = {k: score(predict(predictor, v), v, cfg.protocol) for k, v in sets.items()}
    return {
        "seed": cfg.seed,
        "run": "teacher",
        "teacher": teacher,
        "domains": {k: getattr(cfg, f"domain_{k}") for k in ("a", "b", "c", "val")},
        "counts": {k: len(v) for k, v in sets.items()},
        "final": {k: {m: s.metrics[m] for m in ("abs_rel", "delta1")} for k, s in scores.items()},
        "seam_ratio": scores["c"].seam["ratio"],
        "seconds": time.perf_counter() - start,
    }


def best_on_validation(rec: dict) -> tuple[int, dict[str, float]]:
    """The step with the lowest validation AbsRel and the C metrics at that step."""
    step, _, _ = min(rec["curve"]["val"], key=lambda row: row[1])
    c = {row[0]: row for row in rec["curve"]["c"]}[step]
    return step, {"abs_rel": c[1], "delta1": c[2]}


def ms(values: list[float], digits: int = 3) -> str:
    values = [v for v in values if math.isfinite(v)]
    if len(values) < 2:
        return f"{values[0]:.{digits}f}" if values else "n/a"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def summarize(path: Path) -> None:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    by_run: dict[str, dict[int, dict]] = {}
    for rec in records:
        by_run.setdefault(rec["run"], {})[rec["seed"]] = rec
    base = by_run.get("a_only", {})
    seeds = sorted(base)
    print(f"\nseeds {seeds}; mean ± std over seeds; Δ = relative AbsRel change against A only\n")
    print("| run | AbsRel C | δ1 C | Δ C (per seed) | Δ C mean | AbsRel val | AbsRel B | seam |")
    print("|---|---|---|---|---|---|---|---|")
    rows = [(name, {s: r["final"] for s, r in recs.items()}) for name, recs in by_run.items()]
    if base:
        picked = {s: best_on_validation(r) for s, r in base.items()}
        steps = ", ".join(str(step) for step, _ in picked.values())
        rows.insert(1, (f"a_only at its best validation step ({steps})", {
            s: {"c": c, "val": {"abs_rel": min(v[1] for v in base[s]["curve"]["val"])},
                "b_test": {"abs_rel": float("nan")}}
            for s, (_, c) in picked.items()
        }))  # fmt: skip
        oracle = {s: min(row[1] for row in r["curve"]["c"]) for s, r in base.items()}
        print_oracle = ms(list(oracle.values()))
    for name, finals in rows:
        common = [s for s in finals if s in base]
        delta = [
            100
            * (finals[s]["c"]["abs_rel"] - base[s]["final"]["c"]["abs_rel"])
            / base[s]["final"]["c"]["abs_rel"]
            for s in common
        ]
        seam = [by_run[name][s]["seam_ratio"] for s in finals] if name in by_run else []
        print(
            f"| {name} | {ms([f['c']['abs_rel'] for f in finals.values()])} | "
            f"{ms([f['c']['delta1'] for f in finals.values()])} | "
            f"{', '.join(f'{d:+.1f}' for d in delta)} % | {ms(delta, 1)} % | "
            f"{ms([f['val']['abs_rel'] for f in finals.values()])} | "
            f"{ms([f['b_test']['abs_rel'] for f in finals.values()])} | {ms(seam, 2)} |"
        )
    if base:
        print(f"\nA only's best AbsRel on C at any monitored step (oracle): {print_oracle}")
    for name, recs in by_run.items():
        if name in ("a_only", "teacher"):
            continue
        vs_best = [
            100
            * (recs[s]["final"]["c"]["abs_rel"] - best_on_validation(base[s])[1]["abs_rel"])
            / best_on_validation(base[s])[1]["abs_rel"]
            for s in recs
            if s in base
        ]
        print(f"{name} vs A only at its best validation step: Δ C {ms(vs_best, 1)} %")


if __name__ == "__main__":
    main()
