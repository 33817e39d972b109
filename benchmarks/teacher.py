"""Benchmark the shipped small teacher ("synthetic-small"): accuracy per domain and speed.

Renders perspective views of unseen scenes (seed offset ``EVAL_SEED_OFFSET``, the views
``panodepth train-teacher`` evaluates on) of the demo's test domain ``home`` (held out: never
seen in any form), of the teacher's validation domain (``cabin``) and of its training
domains, and prints AbsRel / δ1 under ``--protocol`` (default
``lsq_disparity``: least-squares scale and shift of the disparity against 1 / GT, then
invert; GT planar depth in (0, 10] m — the fair protocol for a relative disparity; ``paper``
is only scale-invariant) at 64 px and 32 px, next to
two references: a constant prediction (what "chance" means under median scaling) and the
same network untrained. A last row uses FoV 90° only (cube-face-like views). Then inference
speed (images/s) at 32 and 64 px for one cube (6 faces) and for batches of 64.

    .venv/bin/python benchmarks/teacher.py [--views 200] [--threads 1] [--weights FILE]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch

from panodepth.teachers import SHIPPED_WEIGHTS, SmallTeacher, SmallUNet, read_metadata
from panodepth.training.teacher import EVAL_SEED_OFFSET, ViewSpec, evaluate_on_pool, render_views


class Constant(torch.nn.Module):
    """Predicts disparity 1 everywhere (median scaling turns it into the GT median)."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return torch.ones_like(images[:, :1])


def speed(teacher: SmallTeacher, size: int, batch: int, repeats: int = 5) -> float:
    """Images per second (after one warm-up call)."""
    x = torch.rand(batch, 3, size, size)
    teacher(x)
    start = time.perf_counter()
    for _ in range(repeats):
        teacher(x)
    return repeats * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--views", type=int, default=200, help="views per domain")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--weights", default=str(SHIPPED_WEIGHTS))
    parser.add_argument("--protocol", default="lsq_disparity", choices=["lsq_disparity", "paper"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    meta = read_metadata(args.weights)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, {args.threads} threads")  # fmt: skip
    print(f"weights: {args.weights} ({os.path.getsize(args.weights) / 2**20:.2f} MiB)")
    print(f"trained by: {meta['command']}")
    teacher = SmallTeacher(args.weights)
    torch.manual_seed(0)
    untrained = SmallTeacher(SmallUNet())
    models = {"teacher": teacher, "untrained": untrained, "constant": Constant()}
    seed = meta["train"]["seed"] + EVAL_SEED_OFFSET
    size = meta["spec"]["size"]
    fov = tuple(meta["spec"]["fov_range"])
    held_out = ["home"] + [d for d in [meta.get("eval_domain")] if d and d != "home"]
    rows = [(d, fov) for d in (*held_out, *meta["domains"])] + [("home", (90.0, 90.0))]
    print(f"\n{args.views} views per row, {args.protocol} protocol, AbsRel / δ1 (↓ / ↑)")
    header = "".join(f"{f'{m} @{s}':>18}" for m in models for s in (size, size // 2))
    print(f"{'domain (FoV)':<26}{header}")
    for domain, fov_range in rows:
        pool = render_views(domain, args.views, seed, ViewSpec(size=size, fov_range=fov_range))
        cells = []
        for model in models.values():
            for s in (size, size // 2):
                m = evaluate_on_pool(model, pool, size=s, protocol=args.protocol)
                cells.append(f"{m['abs_rel']:.3f} / {m['delta1']:.3f}")
        held = " (held out)" if domain not in meta["domains"] else ""
        label = f"{domain}{held} {fov_range[0]:g}–{fov_range[1]:g}°"
        print(f"{label:<26}" + "".join(f"{c:>18}" for c in cells))
    print("\ninference (images/s):")
    for s in (32, 64):
        print(f"  {s}×{s}: one cube (6) {speed(teacher, s, 6):8.1f}   "
              f"batch 64 {speed(teacher, s, 64):8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
