"""Train a small perspective depth teacher on synthetic views and save it as .safetensors.

Renders --views pinhole views (--size px, FoV uniform in --fov-range, camera direction
uniform on the sphere) of random scenes of the --domains, trains a small UNet with the
affine-invariant (median / MAD) loss on disparity 1 / planar depth (sky invalid), evaluates it
on --eval-views views of the held-out --eval-domain (and of each training domain, unseen
scenes; paper protocol: AbsRel, δ1) and writes --out with the weights and metadata: the exact
command, data, steps, wall time, final loss and metrics. Load it with
`build_teacher("OUT.safetensors")` or `panodepth predict --teacher OUT.safetensors`.
The demo's shipped teacher ("synthetic-small") was made by this command (see README).
"""

from __future__ import annotations

import shlex
import sys

from jsonargparse import ArgumentParser, Namespace

from panodepth.conventions import TEACHER_DOMAINS, VALIDATION_DOMAIN

DEFAULT_WIDTHS = [16, 32, 48, 96, 160]  # SmallUNetConfig's default (the shipped teacher)


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output .safetensors file")
    parser.add_argument(
        "--domains", nargs="+", default=list(TEACHER_DOMAINS),
        help="training domains (README: Synthetic 360° RGB-D data; default: the demo's "
        "teacher world)",
    )  # fmt: skip
    parser.add_argument("--views", type=int, default=4000, help="training views in all")
    parser.add_argument("--size", type=int, default=64, help="view side, pixels")
    parser.add_argument(
        "--fov_range", "--fov-range", nargs=2, type=float, default=[60.0, 100.0],
        help="horizontal FoV range in degrees (low high)",
    )  # fmt: skip
    parser.add_argument("--steps", type=int, default=700, help="optimiser steps")
    parser.add_argument("--batch_size", "--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3, help="peak AdamW learning rate")
    parser.add_argument(
        "--low_res_prob", "--low-res-prob", type=float, default=0.5,
        help="share of batches downsampled 2× (teaches the net half-size views too)",
    )  # fmt: skip
    parser.add_argument(
        "--widths", nargs=5, type=int, default=DEFAULT_WIDTHS,
        help="network channels at full, 1/2, 1/4, 1/8, 1/16 resolution (multiples of 8)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--eval_domain", "--eval-domain", default=VALIDATION_DOMAIN,
        help="held-out domain to evaluate on ('none': skip); with --val-every also the "
        "validation domain that picks the weights",
    )  # fmt: skip
    parser.add_argument("--eval_views", "--eval-views", type=int, default=200)
    parser.add_argument(
        "--val_every", "--val-every", type=int, default=0,
        help="score AbsRel on the --eval-domain views every N steps and keep the best "
        "weights (0: keep the last)",
    )  # fmt: skip
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--threads", type=int | None, default=None,
        help="torch CPU threads (default: torch's own choice)",
    )  # fmt: skip


def command_line(cfg: Namespace) -> str:
    """The full command with every option explicit (what the weights' metadata records)."""
    eval_domain = cfg.eval_domain or "none"
    args = ["panodepth", "train-teacher", "--out", str(cfg.out), "--domains", *cfg.domains]
    args += ["--views", str(cfg.views), "--size", str(cfg.size)]
    args += ["--fov-range", *(f"{v:g}" for v in cfg.fov_range), "--steps", str(cfg.steps)]
    args += ["--batch-size", str(cfg.batch_size), "--lr", f"{cfg.lr:g}"]
    args += ["--low-res-prob", f"{cfg.low_res_prob:g}"]
    if list(cfg.widths) != DEFAULT_WIDTHS:
        args += ["--widths", *(str(w) for w in cfg.widths)]
    args += ["--seed", str(cfg.seed)]
    args += ["--eval-domain", eval_domain, "--eval-views", str(cfg.eval_views)]
    if cfg.val_every:
        args += ["--val-every", str(cfg.val_every)]
    if cfg.threads is not None:
        args += ["--threads", str(cfg.threads)]
    return shlex.join(args)


def run(cfg: Namespace) -> int:
    import torch

    from panodepth.teachers.small import SmallUNetConfig
    from panodepth.training.teacher import TrainConfig, ViewSpec, train_teacher

    def log(message: str) -> None:
        print(message, flush=True)

    eval_domain = None if str(cfg.eval_domain).lower() == "none" else cfg.eval_domain
    try:
        if cfg.threads is not None:
            if cfg.threads < 1:
                raise ValueError(f"--threads must be ≥ 1, got {cfg.threads}")
            torch.set_num_threads(cfg.threads)
        if cfg.val_every < 0:
            raise ValueError(f"--val-every must be ≥ 0, got {cfg.val_every}")
        if cfg.size < 16 or cfg.size % 16:
            raise ValueError(f"--size must be a multiple of 16, ≥ 16, got {cfg.size}")
        spec = ViewSpec(size=cfg.size, fov_range=tuple(cfg.fov_range))
        config = TrainConfig(
            steps=cfg.steps,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            low_res_prob=cfg.low_res_prob,
            seed=cfg.seed,
            warmup=min(50, max(1, cfg.steps // 10)),
        )
        result = train_teacher(
            cfg.out,
            cfg.domains,
            cfg.views,
            spec,
            config,
            eval_domain=eval_domain,
            eval_views=cfg.eval_views,
            command=command_line(cfg),
            device=cfg.device,
            log=log,
            arch=SmallUNetConfig(widths=tuple(cfg.widths)),
            val_every=cfg.val_every,
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    meta = result.metadata
    print(
        f"wrote {result.path} (final loss {meta['final_train_loss']}, "
        f"{meta['wall_time_s']['total']} s); eval: {meta['eval']}"
    )
    return 0
