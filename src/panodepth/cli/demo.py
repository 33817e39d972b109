"""Run the paper's experiment on synthetic domains: A labeled, B pseudo-labeled, C zero-shot.

Synthesises domain A (labeled, "office"), B (unlabeled, diverse:
"hotel+loft+classroom+outdoor" with sky and watermarks) and the held-out C ("home", never
seen); labels B's cube faces under random rotations with a perspective teacher (default: the
small network shipped with panodepth, trained by `panodepth train-teacher` on other domains;
`--teacher simulated`: a controlled stand-in that returns each face's true disparity,
blurred and noisy; or a Depth Anything id / folder); trains the same student on A only, on A
+ B(pseudo) and on A + B(pseudo) without rotation (same steps and seed); evaluates all of
them and the stitched teacher zero-shot on C. Writes OUT/results.md, OUT/results.json and
OUT/figure.png. No downloads; `--quick` is the CI size.
"""

from __future__ import annotations

import time

from jsonargparse import ArgumentParser, Namespace


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("--out", default="outputs/demo", help="output folder")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small and fast, a smoke test (CI): about a minute on a 2-core CPU",
    )
    parser.add_argument(
        "--teacher",
        default=None,
        help="synthetic-small (default), simulated, or a Depth Anything id/dir",
    )
    parser.add_argument("--steps", type=int | None, default=None, help="training steps")
    parser.add_argument("--seed", type=int | None, default=None)
    parser.add_argument("--no_progress", action="store_true")


def run(cfg: Namespace) -> int:
    start = time.perf_counter()  # the time a user waits: imports (torch, Lightning) included
    from panodepth.demo import FULL, QUICK, run_demo, write_report
    from panodepth.demo.report import verdict

    config = (QUICK if cfg.quick else FULL).with_overrides(
        teacher=cfg.teacher, steps=cfg.steps, seed=cfg.seed
    )
    result = run_demo(config, cfg.out, progress=not cfg.no_progress)
    paths = write_report(result, cfg.out)
    seconds = time.perf_counter() - start
    print(
        f"{verdict(result)} Table, figure and JSON in {paths['table'].parent}/ "
        f"({paths['table'].name}, {paths['figure'].name}, {paths['json'].name}; {seconds:.0f} s)."
    )
    return 0
