"""Precompute pseudo labels: K random rotations of every unlabeled panorama through a teacher.

INPUT is a folder of panoramas (searched recursively), a list file (.txt/.lst/.list, first
column = RGB path) or one image, read as UnlabeledPanoramas reads it; OUT_DIR gets one
<name>.safetensors per panorama, <name> being its path relative to the folder or list file
(panos/sub/b.png -> OUT_DIR/sub/b.safetensors; see panodepth.distill.cache). Shard the work
over processes or nodes with --rank/--world_size (defaults: RANK/WORLD_SIZE from torchrun or
SLURM); finished items are skipped, so an interrupted run resumes where it stopped. Every file
records the settings that change its labels (teacher and its weights' checksum, K, --max_deg,
sizes, masker, seed); a folder holding labels made with other settings is refused, naming what
differs, unless --overwrite relabels them.
"""

from __future__ import annotations

import sys

from jsonargparse import ArgumentParser, Namespace


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("input", help="folder, list file or panorama")
    parser.add_argument("out_dir", help="output folder")
    parser.add_argument(
        "--teacher", default="depth-anything-v2-small", help="teacher name, hub id or local dir"
    )
    parser.add_argument(
        "--input_size", type=int | None, default=None,
        help="teacher input size (default: the teacher's own: 518 for Depth Anything, views "
        "over 64 px reduced to 64 for synthetic-small); recorded in the cache files",
    )  # fmt: skip
    parser.add_argument("--rotations", type=int, default=8, help="K draws per panorama")
    parser.add_argument("--max_deg", type=float, default=45.0, help="bound of each Euler angle")
    parser.add_argument("--masker", choices=["none", "grounded-sam"], default="none")
    parser.add_argument("--detector", default="IDEA-Research/grounding-dino-tiny")
    parser.add_argument("--segmenter", default="facebook/sam-vit-base")
    parser.add_argument("--projection", choices=["cube", "tangent"], default="cube")
    parser.add_argument("--tangent_level", type=int, default=0)
    parser.add_argument("--face_size", type=int, default=None, help="default H/2 (cube)")
    parser.add_argument("--height", type=int, default=None, help="resize panoramas to H×2H")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", choices=["float32", "float16", "bfloat16"], default="float32")
    parser.add_argument("--rank", type=int, default=None)
    parser.add_argument("--world_size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save_faces", action="store_true", help="also store the RGB views")
    parser.add_argument("--no_progress", action="store_true")
    parser.add_argument(
        "--overwrite", action="store_true",
        help="relabel files made with other settings (default: refuse such a folder)",
    )  # fmt: skip


def run(cfg: Namespace) -> int:
    import torch

    from panodepth.distill import FaceProjection, TeacherSource
    from panodepth.distill.cache import env_rank, precompute_pseudo_labels
    from panodepth.io.inputs import collect_inputs
    from panodepth.masks import GroundedSAMMasker
    from panodepth.teachers import build_teacher

    dtype = getattr(torch, cfg.dtype)
    try:
        inputs = collect_inputs(cfg.input)
        teacher = build_teacher(
            cfg.teacher, input_size=cfg.input_size, device=cfg.device, dtype=dtype
        )
        masker = None
        if cfg.masker == "grounded-sam":
            masker = GroundedSAMMasker(cfg.detector, cfg.segmenter, device=cfg.device)
        projection = FaceProjection(cfg.projection, cfg.face_size, cfg.tangent_level)
    except ValueError as err:  # InputError, TeacherLoadError, bad projection options
        print(f"error: {err}", file=sys.stderr)
        return 2
    rank, world = env_rank()
    rank = cfg.rank if cfg.rank is not None else rank
    world = cfg.world_size if cfg.world_size is not None else world
    source = TeacherSource(teacher, masker, projection, name=cfg.teacher).to(cfg.device)
    try:
        summary = precompute_pseudo_labels(
            source, inputs, cfg.out_dir, rotations=cfg.rotations, max_deg=cfg.max_deg,
            height=cfg.height, seed=cfg.seed, rank=rank, world_size=world,
            save_faces=cfg.save_faces, progress=not cfg.no_progress, overwrite=cfg.overwrite,
        )  # fmt: skip
    except ValueError as err:  # CacheSettingsError, bad --rotations / --rank
        print(f"error: {err}", file=sys.stderr)
        return 2
    for failure in summary.failed:
        print(f"error: {failure}", file=sys.stderr)
    print(
        f"rank {rank}/{world}: {len(summary.done)} labelled, {len(summary.skipped)} already "
        f"done, {len(summary.failed)} failed → {cfg.out_dir}"
        + (f" ({len(summary.replaced)} relabelled with new settings)" if summary.replaced else "")
    )
    return 1 if summary.failed else 0
