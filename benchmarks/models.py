"""Benchmark the 360° students: parameters, MACs, CPU latency and one training step.

For every registered student (or ``--models``): parameter count, multiply-accumulates of one
forward pass at 512×1024 (counted with ``torch.utils.flop_counter``; MACs = FLOPs / 2),
forward latency in eval mode under ``no_grad`` at 512×1024 and 256×512 (B = 1), and one
training step (forward, L1 loss, backward, Adam step) at 256×512 (B = 1), plus peak memory
of the process (resident set size). Anchors: the original implementations measured on this
machine kind (random init, 2 threads), from the issues; "ratio" = ours / original (≤ 1.0 is
the target).

    .venv/bin/python benchmarks/models.py [--models unifuse bifusepp] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

from panodepth.models import build_model, list_models

# seconds: forward at 512×1024, train step at 256×512 (original code, this machine kind)
ANCHORS = {
    "unifuse": {"fwd_512": 1.44, "train_256": 0.93},
    "bifusepp": {"fwd_512": 1.16, "train_256": 1.09},
    "hohonet": {"fwd_512": 1.40},
    "egformer": {"fwd_512": 9.98, "train_512": 29.7},
}


def best_of(fn: Callable[[], object], repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def macs(model: torch.nn.Module, x: torch.Tensor) -> float:
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops() / 2


def train_step(model: torch.nn.Module, x: torch.Tensor, opt: torch.optim.Optimizer) -> None:
    opt.zero_grad(set_to_none=True)
    loss = (model(x) - 1.0).abs().mean()
    loss.backward()
    opt.step()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=None)
    parser.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 8))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    names = args.models or [m for m in list_models() if not m.startswith("test-")]
    print(f"torch {torch.__version__}, {args.threads} threads, CPU, float32, B = 1")
    header = ("model", "params", "GMACs@512", "fwd 512×1024", "ratio", "fwd 256×512",
              "train 256×512", "ratio", "peak RSS")  # fmt: skip
    print(" | ".join(header))
    big, small = torch.rand(1, 3, 512, 1024), torch.rand(1, 3, 256, 512)
    for name in names:
        torch.manual_seed(0)
        model = build_model(name).eval()
        params = sum(p.numel() for p in model.parameters())
        gmacs = macs(model, big) / 1e9
        with torch.no_grad():
            fwd_512 = best_of(lambda m=model, x=big: m(x), args.repeats)
            fwd_256 = best_of(lambda m=model, x=small: m(x), args.repeats)
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)
        step_256 = best_of(lambda m=model, o=opt, x=small: train_step(m, x, o), args.repeats)
        anchor = ANCHORS.get(name, {})
        r_fwd = f"{fwd_512 / anchor['fwd_512']:.2f}" if "fwd_512" in anchor else "—"
        r_train = f"{step_256 / anchor['train_256']:.2f}" if "train_256" in anchor else "—"
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
        print(f"{name} | {params / 1e6:.2f} M | {gmacs:.1f} | {fwd_512:.2f} s | {r_fwd} | "
              f"{fwd_256:.3f} s | {step_256:.2f} s | {r_train} | {rss:.1f} GiB")  # fmt: skip


if __name__ == "__main__":
    main()
