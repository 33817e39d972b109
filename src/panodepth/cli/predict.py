"""Predict depth for panoramas with a trained student (--checkpoint) or a teacher (--teacher).

--checkpoint takes a panodepth student file (.safetensors), a training checkpoint (.ckpt),
a pretrained folder (written by save_pretrained: model.safetensors, config.json, README.md),
a Hugging Face Hub id of such a folder (owner/name or owner/name@revision; downloaded into
the Hugging Face cache, and with HF_HUB_OFFLINE=1 read from that cache only), or a
checkpoint of the Depth Anywhere release: its .pth file or its name (unifuse-mp3d-st3d,
…, found in $PANODEPTH_HOME/depth-anywhere/, default ~/.cache/panodepth/depth-anywhere/).

INPUTS are image files, folders (searched recursively, hidden files skipped) or list files
(.txt/.lst/.list, one image path per line, relative to the list's folder). An input's name
is its path relative to the folder or list file it came from, without suffix (the stem for
a single file): panos/sub/b.png given as panos/ is "sub/b" and is written to OUT/sub/b.png;
two inputs with the same name are an error. For each input OUT gets <name>.png
(16-bit range, depth = value × scale, the scale in the PNG text chunk "panodepth:scale" and
in <name>.json), <name>.json (scale, units, kind "range", metric true/false, source, model),
and as asked <name>.npy (float32), <name>.exr (float32, channel Z), <name>_preview.png
(colourised inverse depth), <name>.ply and <name>.glb (coloured point clouds),
<name>_mesh.glb and <name>_mesh.ply (--mesh: a triangle mesh).

Relative vs metric: a student with a "depth" head predicts metres ("metric": true). A
student with a "disparity" head and teacher mode (--teacher: six overlapping 110° views,
aligned per view without ground truth, blended) predict relative disparity: the output
depth is 1/disparity normalised to median 1 ("metric": false), or to --median_depth metres.

Point clouds: the PLY is in panodepth's camera frame (OpenCV): x right, y down, z forward,
the panorama's centre column looking along +z. The GLB is converted to glTF's convention
(y up, looking along -z): (x, y, z) -> (x, -y, -z).

Sizes: panoramas run at --height × 2·height (students: rounded down to a multiple of 32);
outputs come back at each input's own resolution (bilinear in disparity) unless
--native_size false. Inputs within 2 % of 2:1 are taken as full panoramas, stretched to 2:1
to predict (with a warning) and written at their own size: point clouds put every pixel on
its own ray, meshes are built on the depth resampled to exactly 2:1. Unreadable or
non-panorama files are reported and skipped, the rest is done, and the exit code is 1.
An input is skipped on a re-run only when its sidecar says it was made from the same image
(path, size, modification time), the same model (file size and time) and the same options,
and all its files are there; anything else redoes it (--overwrite: always), and removes the
files its old sidecar lists that the new run does not write. A file listed twice is
predicted once. --fov and --teacher_input_size are for teacher mode: with --checkpoint they
are ignored with a warning.
"""

from __future__ import annotations

import sys
import time

from jsonargparse import ArgumentParser, Namespace

FORMAT_CHOICES = ("png16", "npy", "exr", "preview")
TEACHER_FOV = 110.0  # --fov's value in teacher mode when not given
TEACHER_ONLY = ("fov", "teacher_input_size")  # options that only teacher mode uses


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="*", help="panorama files, folders or list files")
    parser.add_argument(
        "--checkpoint", default=None,
        help="student file (.safetensors/.ckpt), pretrained folder (save_pretrained), hub id "
        "(owner/name[@revision]), release .pth or released checkpoint name",
    )  # fmt: skip
    parser.add_argument("--teacher", default=None, help="teacher name, hub id or local folder")
    parser.add_argument("--out", default="outputs/predict", help="output folder")
    parser.add_argument(
        "--height", type=int, default=512,
        help="working height (width 2·H; students: rounded down to a multiple of 32, ≥ 32)",
    )  # fmt: skip
    parser.add_argument(
        "--formats", nargs="+", choices=FORMAT_CHOICES, default=["png16", "npy", "preview"],
        help="depth files to write (the JSON sidecar is always written)",
    )  # fmt: skip
    parser.add_argument(
        "--ply", action="store_true",
        help="coloured point cloud <name>.ply (binary; camera frame x right, y down, z forward)",
    )  # fmt: skip
    parser.add_argument(
        "--glb", action="store_true",
        help="coloured point cloud <name>.glb (glTF frame: y up; ours (x, y, z) → (x, −y, −z))",
    )  # fmt: skip
    parser.add_argument(
        "--mesh", action="store_true",
        help="coloured triangle mesh <name>_mesh.glb (glTF frame) and <name>_mesh.ply (ours): "
        "seam wrapped, poles closed, triangles across depth jumps removed (README)",
    )  # fmt: skip
    parser.add_argument(
        "--stride", type=int, default=1, help="point clouds and meshes: every n-th pixel"
    )
    parser.add_argument(
        "--max_points", "--max-points", type=int | None, default=None,
        help="point clouds: keep at most this many points (evenly spaced)",
    )  # fmt: skip
    parser.add_argument(
        "--ensemble", type=int, default=1, help="average K rotated copies (1 = plain)"
    )
    parser.add_argument(
        "--ensemble_mode", "--ensemble-mode", choices=["yaw", "full"], default=None,
        help="yaw (+ small tilt; students' default) or full 3-D rotations (teacher default)",
    )  # fmt: skip
    parser.add_argument(
        "--median_depth", "--median-depth", type=float | None, default=None,
        help="relative outputs: scale the depth so its median is this many metres",
    )  # fmt: skip
    parser.add_argument(
        "--native_size", "--native-size", type=bool, default=True,
        help="write at each input's resolution (false: at the working size)",
    )  # fmt: skip
    parser.add_argument(
        "--fov", type=float | None, default=None,
        help="teacher mode: the six views' field of view in degrees, in [90, 170) (left out: "
        f"{TEACHER_FOV:g})",
    )  # fmt: skip
    parser.add_argument(
        "--teacher_input_size", "--teacher-input-size", type=int | None, default=None,
        help="teacher mode: the side the teacher's input is resized to (left out: the "
        "teacher's own, from its weights)",
    )  # fmt: skip
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps, …")
    parser.add_argument(
        "--batch_size", "--batch-size", type=int, default=1, help="panoramas per forward pass"
    )
    parser.add_argument("--seed", type=int, default=0, help="ensemble rotations")
    parser.add_argument("--overwrite", action="store_true", help="redo finished inputs")


def run(cfg: Namespace) -> int:
    from panodepth.inference import api, outputs
    from panodepth.io.errors import InputError
    from panodepth.io.inputs import collect_inputs

    if (cfg.checkpoint is None) == (cfg.teacher is None):
        print("panodepth predict: give exactly one of --checkpoint or --teacher", file=sys.stderr)
        return 2
    problem = check_options(cfg)  # before any file is read or model loaded
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    for name in TEACHER_ONLY:
        if cfg.checkpoint is not None and getattr(cfg, name) is not None:
            print(f"warning: --{name} has no effect with a student (--checkpoint); it is "
                  "for teacher mode (--teacher)", file=sys.stderr)  # fmt: skip
    try:
        items = collect_inputs(cfg.inputs)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not items:
        print("panodepth predict: no inputs (give files, folders or list files)", file=sys.stderr)
        return 2
    model = outputs.model_identity(cfg.checkpoint or cfg.teacher)
    options = job_options(cfg)
    todo, jobs, failed = [], {}, 0
    for item in items:
        paths = outputs.output_paths(cfg.out, item.name, cfg.formats, cfg.ply, cfg.glb, cfg.mesh)
        try:
            jobs[item.name] = outputs.job_record(item.path, model, options)
        except OSError as err:  # missing, or vanished since it was listed
            why = "file not found" if isinstance(err, FileNotFoundError) else err.strerror
            print(f"error: {item.path}: {why or err}", file=sys.stderr)
            failed += 1
            continue
        if not cfg.overwrite and outputs.finished(paths, jobs[item.name]):
            print(f"{item.name}: done already, skipped (same image, model and options)")
        else:
            todo.append(item)
    skipped = len(items) - len(todo) - failed
    start = time.perf_counter()
    if not todo:
        done = "" if failed else " (all done already)"  # not when an input failed
        print(f"predicted 0, failed {failed}, skipped {skipped}{done}")
        return 1 if failed else 0
    try:
        predictor = api.build_predictor(
            checkpoint=cfg.checkpoint, teacher=cfg.teacher, height=cfg.height,
            ensemble=cfg.ensemble, ensemble_mode=cfg.ensemble_mode, device=cfg.device,
            batch_size=cfg.batch_size, seed=cfg.seed,
            fov_deg=TEACHER_FOV if cfg.fov is None else cfg.fov,
            teacher_options=(
                None if cfg.teacher_input_size is None
                else {"input_size": cfg.teacher_input_size}
            ),
        )  # fmt: skip
    except (ValueError, TypeError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    written = 0
    for result in api.predict_iter(todo, predictor, cfg.native_size, cfg.median_depth):
        for note in result.warnings:
            print(f"warning: {note}", file=sys.stderr)
        if not result.ok:
            print(f"error: {result.error}", file=sys.stderr)
            failed += 1
            continue
        h, w = result.depth.shape
        big = h * w > BIG_PIXELS
        if big:  # writing a giga-panorama's files takes a while: say what is happening
            print(f"{result.name}: {w}×{h} predicted; writing its files …", flush=True)
        try:
            api.write_result(
                result, cfg.out, cfg.formats, cfg.ply, cfg.glb, cfg.stride, cfg.max_points,
                mesh=cfg.mesh, job=jobs[result.name],
            )  # fmt: skip
        except Exception as err:
            why = str(err) if isinstance(err, (ValueError, OSError)) else repr(err)
            print(f"error: {result.source}: could not write outputs ({why})", file=sys.stderr)
            failed += 1
            continue
        kind = "metres" if result.metric else "relative"
        print(f"{result.name}: {w}×{h} {kind} → {cfg.out}")
        written += 1
    print(
        f"predicted {written}, failed {failed}, skipped {skipped} "
        f"in {time.perf_counter() - start:.1f} s ({predictor.kind}, {predictor.name})"
    )
    return 1 if failed else 0


BIG_PIXELS = 32 * 2**20  # above this, predict says when it starts writing an input's files


def check_options(cfg: Namespace) -> str | None:
    """The first option that cannot work, as a message (None if all can)."""
    from panodepth.checks import CheckError, check_device
    from panodepth.inference.teacher_stitch import FOV_RANGE

    try:
        check_device(cfg.device, "--device")
    except CheckError as err:
        return str(err)
    if cfg.median_depth is not None and not (0 < cfg.median_depth < float("inf")):
        return f"--median_depth must be a positive number of metres, got {cfg.median_depth}"
    for name in ("stride", "ensemble", "batch_size"):
        if getattr(cfg, name) < 1:
            return f"--{name} must be at least 1, got {getattr(cfg, name)}"
    if cfg.max_points is not None and cfg.max_points < 1:
        return f"--max_points must be at least 1 (or left out for all), got {cfg.max_points}"
    if cfg.teacher_input_size is not None and cfg.teacher_input_size < 1:
        return (
            "--teacher_input_size must be at least 1 (or left out for the teacher's own), "
            f"got {cfg.teacher_input_size}"
        )
    low, high = FOV_RANGE
    if cfg.teacher is not None and cfg.fov is not None and not low <= cfg.fov < high:
        return (
            f"--fov must be in [{low:g}, {high:g}) degrees (the six views must cover the "
            f"sphere), got {cfg.fov:g}"
        )
    if cfg.height < 32:
        return f"--height must be at least 32, got {cfg.height}"
    from panodepth.io.atomic import output_folder_problem

    return output_folder_problem(cfg.out, "--out")


def job_options(cfg: Namespace) -> dict:
    """The options that change the outputs, as the sidecar's job records them."""
    return {
        "height": cfg.height, "ensemble": cfg.ensemble, "ensemble_mode": cfg.ensemble_mode,
        "seed": cfg.seed, "median_depth": cfg.median_depth, "native_size": cfg.native_size,
        "fov": (TEACHER_FOV if cfg.fov is None else cfg.fov) if cfg.teacher else None,
        "teacher_input_size": cfg.teacher_input_size if cfg.teacher else None,
        "formats": sorted(cfg.formats), "ply": cfg.ply, "glb": cfg.glb, "mesh": cfg.mesh,
        "stride": cfg.stride, "max_points": cfg.max_points,
    }  # fmt: skip
