"""Project panoramas: cube faces, rotated panoramas, perspective views, tangent images.

For each input panorama, writes under OUT/<name>/: the cube map (dice, horizon or one PNG
per face), the panorama stitched back from the cube with its error map, optionally a
rotated panorama, a perspective view and the icosahedral tangent images, and summary.json
(which records the job: the source file with its size and modification time, the options
that change the outputs, and the files written). An input is skipped on a re-run only when
its summary.json records the same source file and options and all its files are there;
otherwise it is redone, and files the previous run listed that this one does not write are
removed (--overwrite: always redo).

INPUTS are image files, folders (searched recursively) or list files (.txt/.lst/.list), as
for `panodepth predict`; an input's name is its path relative to the folder or list file it
came from (the stem for a single file), so panos/sub/b.png given as panos/ goes to
OUT/sub/b/.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from jsonargparse import ArgumentParser, Namespace

if TYPE_CHECKING:
    import torch

MIN_HEIGHT = 4  # the tangent images are face_size // 2 ≥ 1 pixel wide, face_size = H/2
MAX_TANGENT_LEVEL = 4  # geometry.tangent: icosahedron levels 0–4 (20·4^level views)


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", help="panorama files, folders or list files")
    parser.add_argument("--out", default="outputs/project", help="output folder")
    parser.add_argument("--pattern", action="store_true", help="also project a test pattern")
    parser.add_argument(
        "--height", type=int, default=512, help=f"working height (width = 2·H; ≥ {MIN_HEIGHT})"
    )
    parser.add_argument(
        "--face_size", type=int, default=None, help="cube face size (default H/2; ≥ 2)"
    )
    parser.add_argument("--layout", choices=["dice", "horizon", "faces"], default="dice")
    parser.add_argument(
        "--rotate", type=float, nargs=3, default=None, metavar=("YAW", "PITCH", "ROLL"),
        help="also write the panorama rotated by these angles (degrees)",
    )  # fmt: skip
    parser.add_argument(
        "--fov", type=float, default=None,
        help="write a perspective view with this horizontal field of view (degrees, in (0, 180))",
    )  # fmt: skip
    parser.add_argument(
        "--tangent_level", type=int, default=0,
        help=f"tangent images: icosahedron level 0–{MAX_TANGENT_LEVEL} (20·4^level views), "
        "-1: none",
    )  # fmt: skip
    parser.add_argument("--overwrite", action="store_true", help="redo finished inputs")


def run(cfg: Namespace) -> int:
    from panodepth.data.patterns import direction_pattern
    from panodepth.inference.outputs import finished
    from panodepth.io.atomic import atomic_save
    from panodepth.io.errors import InputError, PanoramaError
    from panodepth.io.images import load_panorama
    from panodepth.io.inputs import collect_inputs

    problem = check_options(cfg)  # before any file is read or written
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
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
    options, files = job_options(cfg), output_files(cfg)
    failed = skipped = 0
    for name, path in sources:
        target = Path(cfg.out) / name
        paths = {"sidecar": target / "summary.json", **{f: target / f for f in files}}
        try:
            job = project_job(path, options)
        except OSError as err:  # missing, or vanished since it was listed
            why = "file not found" if isinstance(err, FileNotFoundError) else err.strerror
            print(f"error: {path}: {why or err}", file=sys.stderr)
            failed += 1
            continue
        if not cfg.overwrite and finished(paths, job):
            print(f"{name}: done already, skipped (same image and options; {target})")
            skipped += 1
            continue
        try:
            pano = (
                direction_pattern(cfg.height) if path is None else load_panorama(path, cfg.height)
            )
            remove_unlisted(target, files)
            summary = project_one(pano, target, cfg)
            summary.update(source=str(path) if path else "direction_pattern", files=files, job=job)
            text = json.dumps(summary, indent=2)
            atomic_save(paths["sidecar"], lambda f, t=text: f.write(t.encode()))
        except (PanoramaError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
            continue
        except OSError as err:  # WriteError names the file and says why
            print(f"error: {path or name}: could not write outputs ({err})", file=sys.stderr)
            failed += 1
            continue
        print(f"{name}: cube round trip mean |err| {summary['roundtrip_mean_abs']:.2e} → {target}")
    done = len(sources) - failed - skipped
    print(f"projected {done}, failed {failed}, skipped {skipped} → {cfg.out}")
    return 1 if failed else 0


def check_options(cfg: Namespace) -> str | None:
    """The first option that cannot work, as a message (None if all can)."""
    from panodepth.checks import CheckError, check_fov

    if cfg.height < MIN_HEIGHT:
        return f"--height must be at least {MIN_HEIGHT}, got {cfg.height}"
    if cfg.face_size is not None and cfg.face_size < 2:
        return f"--face_size must be at least 2 (or left out for H/2), got {cfg.face_size}"
    if not -1 <= cfg.tangent_level <= MAX_TANGENT_LEVEL:
        return (
            f"--tangent_level must be -1 (none) or 0–{MAX_TANGENT_LEVEL}, got {cfg.tangent_level}"
        )
    if cfg.fov is not None:
        try:
            check_fov(cfg.fov, "--fov")
        except CheckError as err:
            return str(err)
    from panodepth.io.atomic import output_folder_problem

    return output_folder_problem(cfg.out, "--out")


def job_options(cfg: Namespace) -> dict:
    """The options that change the outputs, as summary.json's job records them."""
    return {
        "height": cfg.height, "face_size": cfg.face_size or cfg.height // 2,
        "layout": cfg.layout, "rotate": cfg.rotate, "fov": cfg.fov,
        "tangent_level": cfg.tangent_level,
    }  # fmt: skip


def project_job(path: Path | None, options: dict) -> dict:
    """The job of one input (:func:`panodepth.inference.outputs.job_record`: the source file
    with its size and modification time, and the options; no model); the test pattern has
    no file."""
    from panodepth.inference.outputs import job_record

    if path is None:
        return json.loads(json.dumps({"source": "direction_pattern", "options": options}))
    return job_record(path, None, options)


def output_files(cfg: Namespace) -> list[str]:
    """The files :func:`project_one` writes for these options, relative to OUT/<name>/
    (summary.json aside)."""
    files = [*_cube_files("cube", cfg.layout), "cube_roundtrip.png", "cube_roundtrip_error.png"]
    if cfg.rotate is not None:
        files += ["rotated.png", *_cube_files("rotated_cube", cfg.layout)]
    if cfg.fov is not None:
        files.append("perspective.png")
    if cfg.tangent_level >= 0:
        files.append(f"tangent_level{cfg.tangent_level}.png")
    return files


def possible_files() -> list[str]:
    """Every file :func:`output_files` can name, whatever the options."""
    layouts = ("dice", "horizon", "faces")
    files = [
        f
        for layout in layouts
        for stem in ("cube", "rotated_cube")
        for f in _cube_files(stem, layout)
    ]
    files += ["cube_roundtrip.png", "cube_roundtrip_error.png", "rotated.png", "perspective.png"]
    return files + [f"tangent_level{level}.png" for level in range(MAX_TANGENT_LEVEL + 1)]


def remove_unlisted(target: Path, new: list[str]) -> None:
    """Remove the files that the previous run's summary.json lists and ``new`` does not
    (only names this command can write: :func:`panodepth.inference.outputs.listed_outputs`),
    and the folders that leaves empty."""
    from panodepth.inference.outputs import listed_outputs

    possible = {name: target / name for name in possible_files()}
    keep = {possible.get(name) for name in new}
    for path in listed_outputs(target / "summary.json", possible):
        if path in keep:
            continue
        path.unlink(missing_ok=True)
        if path.parent != target:
            with contextlib.suppress(OSError):  # a layout's own folder (cube/), if empty
                path.parent.rmdir()


def project_one(pano: torch.Tensor, target: Path, cfg: Namespace) -> dict:
    """Write the projections of one 3×H×W panorama into ``target`` (the files of
    :func:`output_files`); return the summary."""
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


def _cube_files(stem: str, layout: str) -> list[str]:
    """The files of one cube map in ``layout``, relative to the input's folder."""
    from panodepth.geometry.cube import FACE_NAMES

    if layout == "faces":
        return [f"{stem}/{face}.png" for face in FACE_NAMES]
    return [f"{stem}_{layout}.png"]


def _write_cube(target: Path, stem: str, faces: torch.Tensor, layout: str) -> None:
    from panodepth import geometry as geo
    from panodepth.io.images import write_png

    if layout == "faces":
        images = [face[0] for face in geo.cube_to_dict(faces).values()]
    else:
        join = geo.cube_to_dice if layout == "dice" else geo.cube_to_horizon
        images = [join(faces)[0]]
    for name, image in zip(_cube_files(stem, layout), images, strict=True):
        write_png(target / name, image)
