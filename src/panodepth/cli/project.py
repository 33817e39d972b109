"""Project panoramas: cube faces, rotated panoramas, perspective views, tangent images.

For each input panorama, writes under OUT/<name>/: the cube map (dice, horizon or one PNG
per face), the panorama stitched back from the cube with its error map, optionally a
rotated panorama, a perspective view and the icosahedral tangent images, and summary.json.
Finished inputs are skipped on a re-run (use --overwrite to redo them).

INPUTS are image files, folders (searched recursively) or list files (.txt/.lst/.list), as
for `panodepth predict`; an input's name is its path relative to the folder or list file it
came from (the stem for a single file), so panos/sub/b.png given as panos/ goes to
OUT/sub/b/.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from jsonargparse import ArgumentParser, Namespace

if TYPE_CHECKING:
    import torch


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", help="panorama files, folders or list files")
    parser.add_argument("--out", default="outputs/project", help="output folder")
    parser.add_argument("--pattern", action="store_true", help="also project a test pattern")
    parser.add_argument("--height", type=int, default=512, help="working height (width = 2·H)")
    parser.add_argument("--face_size", type=int, default=None, help="cube face size (H/2)")
    parser.add_argument("--layout", choices=["dice", "horizon", "faces"], default="dice")
    parser.add_argument(
        "--rotate", type=float, nargs=3, default=None, metavar=("YAW", "PITCH", "ROLL"),
        help="also write the panorama rotated by these angles (degrees)",
    )  # fmt: skip
    parser.add_argument("--fov", type=float, default=None, help="write a perspective view")
    parser.add_argument("--tangent_level", type=int, default=0, help="tangent images (-1: none)")
    parser.add_argument("--overwrite", action="store_true", help="redo finished inputs")


def run(cfg: Namespace) -> int:
    from panodepth.data.patterns import direction_pattern
    from panodepth.io.atomic import atomic_save
    from panodepth.io.errors import InputError, PanoramaError
    from panodepth.io.images import load_panorama
    from panodepth.io.inputs import collect_inputs

    try:
        items = collect_inputs(cfg.inputs)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    sources: list[tuple[str, Path | None]] = [(item.name, item.path) for item in items]
    if cfg.pattern:
        taken = dict(sources).get("pattern")
        if taken is not None:
            print(f"error: two inputs would be named 'pattern': {taken} and --pattern",
                  file=sys.stderr)  # fmt: skip
            return 2
        sources.append(("pattern", None))
    if not sources:
        print("panodepth project: no inputs (give files, folders, list files or --pattern)",
              file=sys.stderr)  # fmt: skip
        return 2
    failed = skipped = 0
    for name, path in sources:
        target = Path(cfg.out) / name
        if (target / "summary.json").exists() and not cfg.overwrite:
            print(f"{name}: done already, skipped ({target})")
            skipped += 1
            continue
        try:
            pano = (
                direction_pattern(cfg.height) if path is None else load_panorama(path, cfg.height)
            )
            summary = project_one(pano, target, cfg)
        except (PanoramaError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
            continue
        summary["source"] = str(path) if path else "direction_pattern"
        text = json.dumps(summary, indent=2)
        atomic_save(target / "summary.json", lambda f, t=text: f.write(t.encode()))
        print(f"{name}: cube round trip mean |err| {summary['roundtrip_mean_abs']:.2e} → {target}")
    done = len(sources) - failed - skipped
    print(f"projected {done}, failed {failed}, skipped {skipped} → {cfg.out}")
    return 1 if failed else 0


def project_one(pano: torch.Tensor, target: Path, cfg: Namespace) -> dict:
    """Write the projections of one 3×H×W panorama into ``target``; return the summary."""
    import torch

    from panodepth import geometry as geo
    from panodepth.io.images import write_png
    from panodepth.viz import colorize, mosaic

    img = pano[None]
    height, width = img.shape[-2:]
    face_size = cfg.face_size or height // 2
    t0 = time.perf_counter()
    faces = geo.equirect_to_cube(img, face_size)
    back = geo.cube_to_equirect(faces, height, width)
    elapsed = time.perf_counter() - t0
    _write_cube(target, "cube", faces, cfg.layout)
    write_png(target / "cube_roundtrip.png", back[0])
    err = (back - img).abs().mean(1)[0]
    write_png(target / "cube_roundtrip_error.png", colorize(err, vmin=0.0, vmax=0.02))
    summary = {
        "height": height,
        "width": width,
        "face_size": face_size,
        "roundtrip_mean_abs": float(err.mean()),
        "roundtrip_max_abs": float(err.max()),
        "e2c_c2e_seconds": elapsed,
    }
    if cfg.rotate is not None:
        yaw, pitch, roll = (math.radians(a) for a in cfg.rotate)
        rot = geo.rotation_matrix(torch.tensor(yaw), pitch, roll)
        write_png(target / "rotated.png", geo.rotate_equirect(img, rot)[0])
        _write_cube(target, "rotated_cube", geo.equirect_to_cube(img, face_size, rot), cfg.layout)
        summary["rotate_deg"] = list(cfg.rotate)
    if cfg.fov is not None:
        rot = None
        if cfg.rotate is not None:
            rot = geo.rotation_matrix(*(torch.tensor(math.radians(a)) for a in cfg.rotate))
        view = geo.equirect_to_perspective(img, cfg.fov, (face_size, face_size * 4 // 3), rot)
        write_png(target / "perspective.png", view[0])
    if cfg.tangent_level >= 0:
        tangents = geo.equirect_to_tangent(img, cfg.tangent_level, face_size=face_size // 2)
        write_png(target / f"tangent_level{cfg.tangent_level}.png", mosaic(tangents[0], ncols=10))
        summary["tangent_views"] = tangents.shape[1]
    return summary


def _write_cube(target: Path, stem: str, faces: torch.Tensor, layout: str) -> None:
    from panodepth import geometry as geo
    from panodepth.io.images import write_png

    if layout == "dice":
        write_png(target / f"{stem}_dice.png", geo.cube_to_dice(faces)[0])
    elif layout == "horizon":
        write_png(target / f"{stem}_horizon.png", geo.cube_to_horizon(faces)[0])
    else:
        for name, face in geo.cube_to_dict(faces).items():
            write_png(target / stem / f"{name}.png", face[0])
