"""Installed size and start-up of a panodepth install (issue 15: the lean core).

Usage::

    python3 -m venv /tmp/core
    /tmp/core/bin/pip install torch==2.14.1 torchvision==0.29.1 && /tmp/core/bin/pip install .
    python benchmarks/install.py /tmp/core            # the core install
    /tmp/core/bin/pip install '.[all]' && python benchmarks/install.py /tmp/core   # + extras

Prints the venv's size on disk split into PyTorch (torch, torchvision, the CUDA wheels
``nvidia-*``, triton) and the rest, whether the extras' packages are present, and the median
wall time of ``panodepth predict --help`` and ``panodepth --help`` (5 runs each, after one
warm-up run).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from pathlib import Path

TORCH_PARTS = ("torch", "torchvision", "nvidia", "triton", "cuda", "functorch", "torchgen")
EXTRAS = ("lightning", "tensorboard", "gradio")


def size_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())
    return total / 2**20


def timed(argv: list[str], runs: int = 5) -> float:
    subprocess.run(argv, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("venv", type=Path)
    args = parser.parse_args()
    (site,) = args.venv.glob("lib/python3*/site-packages")
    torch_mb = rest_mb = 0.0
    for entry in site.iterdir():
        mb = size_mb(entry) if entry.is_dir() else entry.stat().st_size / 2**20
        if entry.name.lower().startswith(TORCH_PARTS):
            torch_mb += mb
        else:
            rest_mb += mb
    present = [name for name in EXTRAS if (site / name).is_dir()]
    exe = str(args.venv / "bin" / "panodepth")
    print(f"venv {args.venv}: {torch_mb + rest_mb:,.0f} MB on disk")
    print(f"  PyTorch (torch, torchvision, nvidia-*, triton): {torch_mb:,.0f} MB")
    print(f"  everything else: {rest_mb:,.0f} MB")
    print(f"  extras' packages present: {', '.join(present) or 'none'}")
    print(f"  panodepth predict --help: {timed([exe, 'predict', '--help']):.2f} s (median of 5)")
    print(f"  panodepth --help: {timed([exe, '--help']):.2f} s (median of 5)")


if __name__ == "__main__":
    main()
