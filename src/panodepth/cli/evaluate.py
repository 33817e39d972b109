"""Evaluate a student (--checkpoint) or a stitched teacher (--teacher) on a labeled dataset.

--data is a YAML file with one dataset (``class_path`` + ``init_args``, e.g.
``panodepth.data.Stanford2D3D``) or a whole training config (its ``data.test``, else
``data.val``); or a list file of ``rgb depth`` pairs (16-bit PNG depth needs --depth_scale,
metres per step); or a dataset folder of a known layout (a ``panodepth synth`` folder,
Stanford2D3D's area_* folders, Structured3D's scene_* folders, Matterport3D). Examples:

    panodepth eval --checkpoint s.safetensors --data configs/eval/stanford2d3d_zero_shot.yaml
    panodepth eval --checkpoint s.safetensors --data pairs.txt --depth_scale 0.001
    panodepth eval --teacher synthetic-small --data outputs/synth_home --height 256

Prints how many panoramas were scored and skipped (a panorama without a valid ground-truth
pixel, or without a valid prediction, is skipped with a warning; when none can be scored,
the command fails), a Markdown table of the means (AbsRel, SqRel, RMSE, RMSElog, RMSElog(+1):
the release's rms_log, MAE, log10, δ1–3; the JSON keys are abs_rel … delta3) and the coverage
(share of the scored ground-truth pixels with a valid prediction: pixels the model leaves
invalid are not scored) and, with --out, writes the means and the per-image metrics as
standard JSON. Images of different sizes are batched at the first one's size. The protocol
is explicit: ``paper`` (disparity → depth, median scaling, GT in (0, 10] m), ``release``
(the released code's zero-shot test evaluator: crop, least squares in disparity, median,
clamp), ``release_val`` (its validation evaluator: the same without the crop; the default
for relative models), ``lsq`` (least-squares scale and shift in disparity), ``median`` or
``none`` (metric predictions as they are; the default for metric models).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jsonargparse import ArgumentParser, Namespace

PROTOCOLS = {"paper": "paper", "release": "release", "release_val": "release_val",
             "none": "none", "median": "median", "lsq": "lsq_disparity",
             "lsq_disparity": "lsq_disparity"}  # fmt: skip
DEFAULT_PROTOCOL = {True: "none", False: "release_val"}  # by whether the model is metric


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--checkpoint", default=None,
        help="student file (.safetensors/.ckpt), pretrained folder (save_pretrained), hub id "
        "(owner/name[@revision]), release .pth or released checkpoint name",
    )  # fmt: skip
    parser.add_argument("--teacher", default=None, help="teacher name, hub id or local folder")
    parser.add_argument(
        "--data", required=True,
        help="YAML dataset spec or training config, list file of 'rgb depth' pairs, or a "
        "dataset folder (synth, Stanford2D3D, Structured3D, Matterport3D)",
    )  # fmt: skip
    parser.add_argument(
        "--depth_scale", "--depth-scale", type=float | None, default=None,
        help="list files with 16-bit PNG depth: metres per PNG step (e.g. 0.001)",
    )  # fmt: skip
    parser.add_argument(
        "--protocol", choices=list(PROTOCOLS), default=None,
        help="alignment before the metrics (README: protocols); default: release_val for a "
        "relative model (least-squares scale and shift in disparity, median, clamp), none "
        "for a metric one",
    )  # fmt: skip
    parser.add_argument("--height", type=int | None, default=None,
                        help="working height of the network (default: the dataset's)")  # fmt: skip
    parser.add_argument("--max_depth", type=float, default=10.0, help="GT valid in (0, max] m")
    parser.add_argument("--ensemble", type=int, default=1, help="rotated copies averaged")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch_size", type=int, default=1)
    parser.add_argument("--num_workers", type=int, default=0)
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--no_progress", action="store_true")


def run(cfg: Namespace) -> int:
    from panodepth.checks import CheckError, check_device
    from panodepth.data.config import dataset_from_source
    from panodepth.inference import build_predictor, evaluate_dataset
    from panodepth.metrics import format_table

    if (cfg.checkpoint is None) == (cfg.teacher is None):
        print("panodepth eval: give exactly one of --checkpoint or --teacher", file=sys.stderr)
        return 2
    try:
        check_device(cfg.device, "--device")
        dataset = dataset_from_source(
            cfg.data, height=cfg.height, max_depth=cfg.max_depth, depth_scale=cfg.depth_scale
        )
    except (CheckError, ValueError) as err:  # DatasetError is a ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2
    height = cfg.height or getattr(dataset, "height", None) or 512
    try:
        predictor = build_predictor(
            checkpoint=cfg.checkpoint, teacher=cfg.teacher, height=height, ensemble=cfg.ensemble,
            device=cfg.device, batch_size=cfg.batch_size,
        )  # fmt: skip
    except (ValueError, TypeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    chosen = cfg.protocol is not None
    protocol = PROTOCOLS[cfg.protocol] if chosen else DEFAULT_PROTOCOL[predictor.metric]
    if protocol == "none" and not predictor.metric:
        print(
            f"error: --protocol none scores predictions as metres, but {predictor.name} is a "
            "relative model (unknown scale and shift); use lsq, median, paper or release",
            file=sys.stderr,
        )
        return 2
    try:
        report = evaluate_dataset(predictor, dataset, protocol, cfg.max_depth, cfg.batch_size,
                                  cfg.num_workers, progress=not cfg.no_progress)  # fmt: skip
    except ValueError as err:  # a corrupt or missing file of the dataset, or nothing scored
        print(f"error: {err}", file=sys.stderr)
        return 2
    for note in report.warnings:
        print(f"warning: {note}", file=sys.stderr)
    why = "" if chosen else ": the default for it"
    skipped = f", {report.skipped} skipped (warnings above)" if report.skipped else ""
    print(
        f"{report.scored} panorama{'s' * (report.scored != 1)} scored{skipped}, protocol "
        f"{protocol} ({predictor.kind} model{why}), coverage {100 * report.coverage:.1f} % of "
        "the ground-truth pixels"
    )
    name = Path(predictor.name).name or predictor.mode
    print(format_table(report.summary, label=name, labels=True))
    if cfg.out:
        from panodepth.io.atomic import atomic_save

        text = json.dumps(report.to_json(), indent=2, allow_nan=False).encode()
        atomic_save(Path(cfg.out), lambda f: f.write(text))
        print(f"wrote {cfg.out}")
    return 0
