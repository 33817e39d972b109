"""Benchmark the synthetic scene renderer: panoramas per second on this machine.

Renders full samples (scene sampling + ray casting + textures + shading, as `panodepth synth`
does, without the PNG writing) of every built-in domain at 256×512 and 512×1024, and prints
panoramas/s per domain and overall. Target (issue #3): ≥ 5 panoramas/s at 256×512 on the
2-core CPU build machine.

    .venv/bin/python benchmarks/synthetic.py [--count 12] [--threads 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch

from panodepth.data.synthetic import domain_names, render_sample


def bench(domain: str, height: int, count: int) -> float:
    """Panoramas per second over ``count`` samples (after one warm-up sample)."""
    render_sample(domain, 10_000, height=height)
    start = time.perf_counter()
    for i in range(count):
        render_sample(domain, i, height=height)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=12, help="panoramas per domain and size")
    parser.add_argument("--threads", type=int, default=min(os.cpu_count() or 1, 8))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, {args.threads} threads")  # fmt: skip
    print(f"{'size':>9}  " + "  ".join(f"{d:>8}" for d in domain_names()) + "   overall")
    results = {}
    for height in (256, 512):
        rates = [bench(d, height, args.count) for d in domain_names()]
        overall = len(rates) / sum(1 / r for r in rates)
        results[height] = overall
        cells = "  ".join(f"{r:8.2f}" for r in rates)
        print(f"{height}×{2 * height:<5}  {cells}  {overall:8.2f}  panoramas/s")
    verdict = "PASS" if results[256] >= 5 else "MISS"
    print(f"{verdict}  ≥ 5 panoramas/s at 256×512: {results[256]:.2f}")


if __name__ == "__main__":
    main()
