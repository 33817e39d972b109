"""Synthesise a dataset of 360° RGB-D panoramas of one visual domain or a mixture of domains.

Writes OUT/rgb/*.png, OUT/depth/*.png (16-bit range, 1 mm per unit, 0 = invalid),
OUT/mask/*.png (0 valid, 1 sky, 2 watermark), OUT/list.txt and OUT/meta.json.
Re-running skips finished samples; files are written atomically. OUT must be a folder (it is
created if missing); a file that cannot be written is reported in one line (exit code 1).
"""

from __future__ import annotations

import sys

from jsonargparse import ArgumentParser, Namespace


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("out", help="output folder")
    parser.add_argument(
        "--domain", default="office",
        help="visual domain of the scenes (README: Synthetic 360° RGB-D data; an unknown "
        "name is refused with the list), or a mixture 'hotel+loft+outdoor' (sample i from "
        "domain i mod n)",
    )  # fmt: skip
    parser.add_argument("--count", type=int, default=100, help="number of panoramas")
    parser.add_argument("--size", default="256x512", help="HxW with W = 2·H, e.g. 256x512")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--watermark_prob", type=float, default=0.0, help="share of panoramas with a watermark"
    )
    parser.add_argument("--no_progress", action="store_true", help="no progress bar")


def parse_size(size: str) -> tuple[int, int]:
    """Parse "HxW" (W = 2·H) into (H, W)."""
    try:
        h, w = (int(v) for v in size.lower().replace("×", "x").split("x"))
    except ValueError:
        raise ValueError(f"--size must look like 256x512, got {size!r}") from None
    if h <= 0 or w != 2 * h:
        raise ValueError(f"--size must be HxW with W = 2·H (equirect), got {size!r}")
    return h, w


def run(cfg: Namespace) -> int:
    from panodepth.data.synthetic import synthesize  # lazy: `panodepth --help` stays fast
    from panodepth.data.synthetic.dataset import finished_samples
    from panodepth.io.atomic import output_folder_problem

    problem = output_folder_problem(cfg.out, "OUT")  # before anything is rendered or written
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        height, _ = parse_size(cfg.size)
        before = finished_samples(cfg.out, cfg.count) if cfg.count > 0 else 0
        listing = synthesize(
            cfg.out,
            cfg.domain,
            cfg.count,
            height=height,
            seed=cfg.seed,
            watermark_prob=cfg.watermark_prob,
            progress=not cfg.no_progress,
        )
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # WriteError names the file and says why
        print(f"error: {err}", file=sys.stderr)
        return 1
    made = cfg.count - before
    print(f"{cfg.count} {cfg.domain} panoramas → {listing} ({made} written, {before} were done)")
    return 0
