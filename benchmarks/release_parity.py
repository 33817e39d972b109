"""panodepth's converted students against the Depth Anywhere release's own code.

For each architecture: the release's network is built on the CPU exactly as its
``inference.py`` builds it (``release_code.py``), given its own initialisation plus seeded
noise on every weight and BatchNorm statistic (so that no zero-initialised branch hides a
mapping error), saved in the release's format (``torch.save(model.state_dict())``), loaded
back by panodepth (:func:`panodepth.models.load_released`, detecting the architecture), and
both are run on a real panorama at 512×1024 in float32, eval mode, batch 1:

* parity: max |Δ| of panodepth's output against the release's ``pred_depth`` (HoHoNet: rows
  80:-80, which its ``infer`` keeps), relative to max |reference| — must be ≤ ``--tol``;
* the release's inputs: ImageNet-normalised RGB (its ``load_rgb``); UniFuse's second input is
  the release's own ``py360_E2C`` cube of the float image. The release's ``inference.py``
  projects the uint8 image instead (a rounding of ≤ 0.5/255 per pixel that a float input
  cannot see): its effect on the release's own output is reported too;
* the same weights in panodepth's own math (``release_math=False``): how far the documented
  departures move a trained network's output — why converted students use the release's;
* EGFormer: the release's output for the same panorama in a batch of 2 against batch 1 (its
  re-weighting divides by a maximum over the batch; panodepth normalises per sample, which
  equals the release at batch 1, the batch size of its evaluation configs);
* speed and memory (``--repeats``, 2 threads by default): median forward time at B = 1 of the
  release, of the converted student, and of the student as ``panodepth predict`` runs it
  (``prepare_for_inference``: BatchNorm folded, channels-last weights), run alternately in
  one process (so that other load on the machine hits both
  alike); the peak resident memory of one forward pass above the loaded model, each
  implementation in a fresh process.

    .venv/bin/python benchmarks/release_parity.py --release /path/to/Depth-Anywhere
    .venv/bin/python benchmarks/release_parity.py --release DIR \
        --write-manifests tests/models/data/release

``--write-manifests`` writes each release state dict's key names, shapes and dtypes as JSON
(facts for the tests, which have no release code) and exits. Exit status 1 if a parity check
fails.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from panodepth.models import build_model, load_released
from panodepth.models.inference import prepare_for_inference
from release_code import ARCHES, build, cube_strip, release_environment

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
DEFAULT_PANORAMA = (
    Path(__file__).parents[1] / "../shared/data/panoramas/depthanywhere_sf3d_rgb1.png"
)


def load_panorama(path: Path, height: int = 512) -> np.ndarray:
    """H×2H×3 float32 RGB in [0, 1] (bicubic resize, as the release's cv2.INTER_CUBIC)."""
    img = Image.open(path).convert("RGB").resize((2 * height, height), Image.BICUBIC)
    return np.asarray(img, np.float32) / 255


def randomise(model: torch.nn.Module, seed: int = 0) -> None:
    """Seeded noise on every trainable weight and BatchNorm statistic; PanoFormer offsets of a
    few pixels and non-uniform tap weights (the release's init zeroes both)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue  # UniFuse's max_depth and projection grids
            noise = torch.randn(p.shape, generator=gen)
            if "offset_proj" in name:
                p.copy_(noise * (2.0 if name.endswith("bias") else 0.1))
            elif "A_proj" in name:
                p.copy_(noise * 0.2)
            else:
                p.add_(noise * (0.1 if p.ndim == 1 else 0.02))
        for name, b in model.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(torch.randn(b.shape, generator=gen) * 0.1)
            elif name.endswith("running_var"):
                b.copy_(torch.rand(b.shape, generator=gen) + 0.5)


def release_inputs(arch: str, rgb: np.ndarray) -> tuple[torch.Tensor, ...]:
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None]
    inputs = ((x - MEAN) / STD,)
    if arch == "unifuse":
        cube = torch.from_numpy(cube_strip(rgb)).permute(2, 0, 1)[None]
        inputs += ((cube - MEAN) / STD,)
    return inputs


def crop(arch: str, out: torch.Tensor) -> torch.Tensor:
    return out[..., 80:-80, :] if arch == "hohonet" else out


def parity(
    args: argparse.Namespace, arch: str, rgb: np.ndarray, folder: Path
) -> tuple[bool, nn.Module, nn.Module]:
    torch.manual_seed(0)
    release = build(arch)
    randomise(release)
    path = folder / f"{arch}.pth"
    torch.save(release.state_dict(), path)
    ours = load_released(path)  # architecture detected from the keys
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None]
    with torch.no_grad():
        ref = release(*release_inputs(arch, rgb))["pred_depth"]
        out = crop(arch, ours(x))
    diff, scale = (out - ref).abs().max().item(), ref.abs().max().item()
    ok = diff <= args.tol * scale
    print(f"{arch:<9} parity: max|Δ| {diff:.3e}  max|ref| {scale:.3e}  rel {diff / scale:.1e}"
          f"  {'ok' if ok else 'MISMATCH'} (tol {args.tol:g}; {ours.model_name}, "
          f"{sum(p.numel() for p in ours.parameters()):,} parameters, "
          f"{len(release.state_dict())} release keys)")  # fmt: skip
    with torch.no_grad():
        own = build_model(arch, **{**ours.model_options, "release_math": False}).eval()
        own.load_state_dict(ours.state_dict())
        d = (crop(arch, own(x)) - ref).abs().max().item()
        print(f"{'':<9} the same weights with panodepth's own math (release_math=False): "
              f"max|Δ| {d:.3e} (rel {d / scale:.1e})")  # fmt: skip
        if arch == "unifuse":
            u8 = np.round(rgb * 255).astype(np.uint8)
            cube = torch.from_numpy(cube_strip(u8).astype(np.float32) / 255).permute(2, 0, 1)
            rounded = release(release_inputs(arch, rgb)[0], (cube[None] - MEAN) / STD)
            d = (rounded["pred_depth"] - ref).abs().max().item()
            print(f"{'':<9} the release's uint8 cube (inference.py) vs its float cube: "
                  f"max|Δ| {d:.3e} (rel {d / scale:.1e})")  # fmt: skip
        if arch == "egformer":
            pair = torch.cat(
                [x, torch.from_numpy(load_panorama(args.second)).permute(2, 0, 1)[None]]
            )
            both = release((pair - MEAN) / STD)["pred_depth"][:1]
            d = (both - ref).abs().max().item()
            mine = (ours(pair)[:1] - out).abs().max().item()
            print(f"{'':<9} the release, same panorama in a batch of 2 vs alone: max|Δ| {d:.3e}"
                  f" (rel {d / scale:.1e}); panodepth: {mine:.1e}")  # fmt: skip
    return ok, release, ours


def timing(args: argparse.Namespace, arch: str, release: nn.Module, ours: nn.Module,
           rgb: np.ndarray, folder: Path) -> None:  # fmt: skip
    """Median forward time of both, interleaved in this process (so that the load of the
    machine hits both alike), and each one's peak memory in a fresh process."""
    inputs = release_inputs(arch, rgb)
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None]
    fast = prepare_for_inference(ours)
    runs = {"release": lambda: release(*inputs), "panodepth": lambda: ours(x),
            "inference": lambda: fast(x)}  # fmt: skip
    times: dict[str, list[float]] = {k: [] for k in runs}
    with torch.no_grad():
        for fn in runs.values():
            fn()  # warm-up: caches, tables
        for _ in range(args.repeats):
            for name, fn in runs.items():
                t = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t)
    r, o, f = (statistics.median(times[k]) for k in runs)
    memory = {}
    for impl in runs:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--release", str(args.release),
               "--threads", str(args.threads), "--panorama", str(args.panorama),
               "--_memory", arch, impl, str(folder / f"{arch}.pth")]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        memory[impl] = json.loads(out.strip().splitlines()[-1])
    mr, mo, mf = (memory[k] for k in runs)
    peaks = " / ".join(f"{m['peak_mb']:.0f}" for m in (mr, mo, mf))
    print(f"{'':<9} forward B=1, {args.threads} threads, median of {args.repeats}: release "
          f"{r:.2f} s, panodepth {o:.2f} s (ratio {o / r:.2f}), as predict runs it {f:.2f} s "
          f"(ratio {f / r:.2f}); memory of one forward above the loaded model: "
          f"{mr['forward_mb']:.0f} / {mo['forward_mb']:.0f} / {mf['forward_mb']:.0f} MB "
          f"(process peaks {peaks} MB)")  # fmt: skip


def memory_one(args: argparse.Namespace, arch: str, impl: str, path: Path) -> dict:
    """Peak resident memory of the first forward pass of one implementation, measured in
    this (fresh) process: the high-water mark above the resident size before it."""
    torch.set_num_threads(args.threads)
    rgb = load_panorama(args.panorama)
    if impl == "release":
        with release_environment(args.release):
            model = build(arch)
            model.load_state_dict(torch.load(path, weights_only=True))
            inputs = release_inputs(arch, rgb)
            return _peak_of(lambda: model(*inputs))
    model = load_released(path, arch)
    if impl == "inference":
        model = prepare_for_inference(model, copy=False)
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None]
    return _peak_of(lambda: model(x))


def _peak_of(fn) -> dict:
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # hand freed heap back (glibc)
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    base = _status("VmRSS")
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux ≥ 4.0)
    with torch.no_grad():
        fn()
    peak = _status("VmHWM")
    return {"forward_mb": peak - base, "peak_mb": peak}


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_manifests(args: argparse.Namespace, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    commit = _release_commit(args.release)
    for arch in args.archs:
        state = build(arch).state_dict()
        manifest = {
            "architecture": arch,
            "source": f"albert100121/Depth-Anywhere {commit}: the network of inference.py",
            "keys": [
                [k, list(v.shape), str(v.dtype).removeprefix("torch.")] for k, v in state.items()
            ],
        }
        text = (
            "{\n"
            + ",\n".join(
                f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in manifest.items() if k != "keys"
            )
            + ',\n  "keys": [\n'
            + ",\n".join(f"    {json.dumps(e)}" for e in manifest["keys"])
        )
        (out / f"{arch}.json").write_text(text + "\n  ]\n}\n")
        print(f"{out / f'{arch}.json'}: {len(state)} keys")


def _release_commit(root: Path) -> str:
    head = root / "COMMIT"  # an archive has no .git; the caller may leave the commit there
    if head.is_file():
        return head.read_text().strip()
    try:
        cmd = ["git", "-C", str(root), "rev-parse", "--short", "HEAD"]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "(commit unknown)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--release", type=Path, required=True,
                        help="checkout of albert100121/Depth-Anywhere (its root)")  # fmt: skip
    parser.add_argument("--archs", nargs="+", choices=ARCHES, default=list(ARCHES))
    parser.add_argument("--panorama", type=Path, default=DEFAULT_PANORAMA.resolve())
    parser.add_argument("--second", type=Path, default=(
        DEFAULT_PANORAMA.parent / "depthanywhere_sf3d_rgb2.png").resolve(),
        help="EGFormer's batch-mate for the batch-coupling row")  # fmt: skip
    parser.add_argument("--tol", type=float, default=1e-3, help="max |Δ| / max |reference|")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-timing", action="store_true", help="parity only")
    parser.add_argument("--write-manifests", type=Path, default=None, metavar="DIR")
    parser.add_argument("--_memory", nargs=3, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._memory:
        arch, impl, path = args._memory
        print(json.dumps(memory_one(args, arch, impl, Path(path))))
        return
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, CPU, float32, eval, "
          f"panorama {args.panorama.name} at 512×1024")  # fmt: skip
    failed = []
    with release_environment(args.release):
        if args.write_manifests is not None:
            write_manifests(args, args.write_manifests)
            return
        rgb = load_panorama(args.panorama)
        with tempfile.TemporaryDirectory() as tmp:
            for arch in args.archs:
                ok, release, ours = parity(args, arch, rgb, Path(tmp))
                if not ok:
                    failed.append(arch)
                if not args.no_timing:
                    timing(args, arch, release, ours, rgb, Path(tmp))
                del release, ours
    if failed:
        print(f"MISMATCH: {', '.join(failed)}")
        sys.exit(1)
    print(f"all {len(args.archs)} architectures reproduce the release within rel {args.tol:g}")


if __name__ == "__main__":
    main()
