"""Benchmark the small CPU student ``pano-unet``: parameters and images/s at demo sizes.

Prints, for each ``--width``: the parameter count, forward throughput (eval mode, no_grad)
and training-step throughput (train mode: forward, affine-invariant loss on disparity,
backward, Adam step) in images per second at ``--height``×2·height with batch ``--batch``
(default 64×128, batch 16: the synthetic demo's setting). Anchor: a throwaway 0.49 M-param
U-Net trained at ≈ 50 images/s at 64×128, batch 16, on the 2-core CPU machine kind
(REFERENCE.md, "Prototype findings").
On a busy shared machine compare ``--threads 1`` and ``--threads 2``: two OpenMP threads
competing with other processes can be several times slower than one (measured here under
a load of ≈ 8 on 2 cores: 45 train img/s with 1 thread, 11 with 2).

    .venv/bin/python benchmarks/small_student.py [--widths 8 16] [--threads 2]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from panodepth.losses import affine_invariant_loss
from panodepth.models import build_model


def rate(fn: Callable[[], object], images: int, repeats: int) -> float:
    """Best-of-``repeats`` images/s of ``fn`` (one warm-up call first)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return images / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[16])
    parser.add_argument("--height", type=int, default=64)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    h, b = args.height, args.batch
    x = torch.rand(b, 3, h, 2 * h)
    target = torch.rand(b, 1, h, 2 * h) + 0.1
    print(f"pano-unet at {h}×{2 * h}, batch {b}, {torch.get_num_threads()} threads")
    print(f"{'width':>5} {'params':>10} {'forward img/s':>14} {'train img/s':>12}")
    for width in args.widths:
        model = build_model("pano-unet", width=width)
        params = sum(p.numel() for p in model.parameters())
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        def forward(model: torch.nn.Module = model) -> None:
            with torch.no_grad():
                model(x)

        def train_step(model: torch.nn.Module = model, opt: torch.optim.Optimizer = opt) -> None:
            opt.zero_grad(set_to_none=True)
            affine_invariant_loss(model(x), target).backward()
            opt.step()

        model.eval()
        fwd = rate(forward, b, args.repeats)
        model.train()
        train = rate(train_step, b, args.repeats)
        print(f"{width:>5} {params:>10,} {fwd:>14.1f} {train:>12.1f}")


if __name__ == "__main__":
    main()
