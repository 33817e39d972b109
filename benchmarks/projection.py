"""Benchmark equirect ⇄ cube projections: panodepth against py360convert, pyequilib and
pytorch360convert, all in the same run on CPU.

What it measures
    * ``e2c`` (equirect → six cube faces) and ``c2e`` (six faces → equirect), bilinear,
      float32, on CPU, at 512×1024 (faces 256²) and 1024×2048 (faces 512²), batch 1 and 8.
    * panodepth: ``equirect_to_cube(img, S)`` → (B, 6, 3, S, S) and
      ``cube_to_equirect(faces, H, W)`` → (B, 3, H, W); also the rotated variant
      ``equirect_to_cube(img, S, rotation=random_rotation(B))`` (a fresh rotation every call,
      so nothing is served from a grid cache; ``random_rotation`` is inside the timed call),
      and, separately, the cost of building the rotation-dependent sampling grid
      (``view_grid(_cube_rotations(R, img), rays_t, H, W)``, also with a fresh ``R`` per call;
      the script fills ``view_grid``'s arguments by name, so a new ``row_length`` is handled).
    * py360convert (cv2.remap backend), one HWC numpy image per call, ``cube_format="list"``;
      batch 8 loops over the 8 images.
    * pyequilib, torch backend: ``Equi2Cube(w_face=S, cube_format="horizon")`` (the class API,
      which caches its rotation-invariant grid; zero roll/pitch/yaw per sample) and
      ``cube2equi(horizon, "horizon", H, W)``, both batched on (B, 3, ·, ·) tensors.
    * pytorch360convert: ``e2c(img, face_w=S, cube_format="horizon")`` batched on (B, 3, H, W);
      its ``c2e`` takes a single (3, S, 6S) horizon, so batch 8 loops over the 8 images.

    Every implementation is timed in its own native layout (no conversions inside the timed
    region); the output of the first warm-up call is checked (shape, dtype, finite) outside the
    timed region. A peer that fails is reported and skipped.

Timing
    For each (operation, size, batch) group, every implementation is built, checked and warmed
    up (2 calls), then they are timed in interleaved rounds (one call of each per round, so
    background load hits them all alike) for at least ``--repeats`` rounds and ``--min-time``
    seconds. The report says how much CPU other processes took during the run: compare
    numbers from a noisy run only within that run. Reported: median ms per call, ms per
    image, Mpx/s (output pixels per second over all images of the batch: 6·S² for e2c, H·W
    for c2e), and for each peer "pd ×" = panodepth's per-image throughput divided by the
    peer's (> 1 means panodepth is faster). torch and OpenCV both use ``--threads`` threads.

Targets (checked at B = 8, 512×1024, printed as PASS/MISS)
    * e2c and c2e per-image throughput ≥ 1.5× py360convert and ≥ 3× pyequilib (torch);
    * building the rotation grids costs < 20 % of the sampling time, where sampling time =
      (rotated e2c time − grid time); the table also shows grid time relative to the
      un-rotated e2c time and the observed rotated/un-rotated overhead.

How to run
    cd /work/main && .venv/bin/python benchmarks/projection.py            # full (a few min)
    .venv/bin/python benchmarks/projection.py --quick                      # 512×1024 only
    .venv/bin/python benchmarks/projection.py --threads 2 --markdown       # for BENCHMARKS.md

The reference numbers in the issue use ``--threads 2``. Progress goes to stderr, the report
to stdout.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.metadata
import inspect
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

SIZES: tuple[tuple[int, int], ...] = ((512, 1024), (1024, 2048))
BATCHES: tuple[int, ...] = (1, 8)
OPS: tuple[str, ...] = ("e2c", "c2e")
WARMUP = 2
MAX_ROUNDS = 200
TARGET_SIZE = (512, 1024)
TARGET_BATCH = 8
TARGET_VS_PY360 = 1.5
TARGET_VS_EQUILIB = 3.0
TARGET_GRID_PCT = 20.0

PD = "panodepth"
PD_ROT = "panodepth (rotated)"
PD_GRID = "panodepth rotation grid"
PY360 = "py360convert"
EQUILIB = "pyequilib-torch"
P3C = "pytorch360convert"


# --------------------------------------------------------------------------- data types


@dataclass
class Runner:
    """A ready-to-time call and a check of its output (returns an error message or None)."""

    call: Callable[[], Any]
    check: Callable[[Any], str | None]
    note: str = ""


@dataclass
class Result:
    """Timings of one implementation on one case."""

    op: str
    height: int
    width: int
    batch: int
    impl: str
    times_ms: list[float] = field(default_factory=list)
    error: str | None = None
    note: str = ""

    @property
    def face(self) -> int:
        return self.height // 2

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.times_ms)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def best_ms(self) -> float:
        return min(self.times_ms)

    @property
    def ms_per_image(self) -> float:
        return self.median_ms / self.batch

    @property
    def spread_pct(self) -> float:
        """Half the inter-quartile range, in % of the median."""
        if len(self.times_ms) < 2:
            return 0.0
        q1, _, q3 = statistics.quantiles(self.times_ms, n=4)
        return 50.0 * (q3 - q1) / self.median_ms

    @property
    def out_pixels_per_image(self) -> int:
        return 6 * self.face * self.face if self.op == "e2c" else self.height * self.width

    @property
    def mpx_per_s(self) -> float:
        return self.batch * self.out_pixels_per_image / (self.median_ms * 1e-3) / 1e6


ErrorHook = Callable[[Result, BaseException], None]


# --------------------------------------------------------------------------- timing


def warm_up(runner: Runner, calls: int = WARMUP) -> None:
    """Call ``runner`` ``calls`` times, checking the first output (outside any timing)."""
    for i in range(calls):
        out = runner.call()
        if i == 0:
            problem = runner.check(out)
            if problem:
                raise RuntimeError(f"unexpected output: {problem}")
        del out


def time_rounds(
    live: list[tuple[Result, Runner]], repeats: int, min_time_s: float, on_error: ErrorHook
) -> None:
    """Time the runners in interleaved rounds (one call of each per round).

    Interleaving spreads any background load evenly over the implementations being compared.
    Rounds go on until there are at least ``repeats`` of them and ``min_time_s`` has passed.
    """
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        rounds = 0
        while (
            live
            and rounds < MAX_ROUNDS
            and (rounds < repeats or time.perf_counter() - start < min_time_s)
        ):
            for entry in list(live):
                result, runner = entry
                try:
                    t0 = time.perf_counter_ns()
                    runner.call()
                    result.times_ms.append((time.perf_counter_ns() - t0) / 1e6)
                except Exception as exc:
                    on_error(result, exc)
                    live.remove(entry)
            rounds += 1
    finally:
        if gc_was_enabled:
            gc.enable()


# --------------------------------------------------------------------------- output checks


def _tensor_problem(x: Any, shape: tuple[int, ...]) -> str | None:
    if not isinstance(x, torch.Tensor):
        return f"expected a torch.Tensor, got {type(x).__name__}"
    if tuple(x.shape) != shape:
        return f"shape {tuple(x.shape)} != expected {shape}"
    if x.dtype != torch.float32:
        return f"dtype {x.dtype} != float32"
    if not bool(torch.isfinite(x).all()):
        return "non-finite values"
    return None


def _array_problem(x: Any, shape: tuple[int, ...]) -> str | None:
    if not isinstance(x, np.ndarray):
        return f"expected a numpy array, got {type(x).__name__}"
    if x.shape != shape:
        return f"shape {x.shape} != expected {shape}"
    if x.dtype != np.float32:
        return f"dtype {x.dtype} != float32"
    if not bool(np.isfinite(x).all()):
        return "non-finite values"
    return None


def _first_problem(problems: Sequence[str | None]) -> str | None:
    return next((p for p in problems if p), None)


def _tensor_check(shape: tuple[int, ...]) -> Callable[[Any], str | None]:
    return lambda out: _tensor_problem(out, shape)


def _tensor_list_check(n: int, shape: tuple[int, ...]) -> Callable[[Any], str | None]:
    def check(out: Any) -> str | None:
        if not isinstance(out, list) or len(out) != n:
            return f"expected a list of {n} tensors"
        return _first_problem([_tensor_problem(t, shape) for t in out])

    return check


# --------------------------------------------------------------------------- inputs


@dataclass
class Inputs:
    """The same random data in every implementation's native layout (built outside timing)."""

    equi: torch.Tensor  # (B, 3, H, W)
    faces: torch.Tensor  # (B, 6, 3, S, S)
    horizon: torch.Tensor  # (B, 3, S, 6·S), faces side by side in F R B L U D order
    equi_hwc: list[np.ndarray]  # B × (H, W, 3)
    faces_hwc: list[list[np.ndarray]]  # B × 6 × (S, S, 3)


def make_inputs(height: int, width: int, batch: int, seed: int = 0) -> Inputs:
    gen = torch.Generator().manual_seed(seed)
    s = height // 2
    equi = torch.rand(batch, 3, height, width, generator=gen)
    faces = torch.rand(batch, 6, 3, s, s, generator=gen)
    horizon = faces.permute(0, 2, 3, 1, 4).reshape(batch, 3, s, 6 * s).contiguous()
    equi_hwc = [np.ascontiguousarray(e.permute(1, 2, 0).numpy()) for e in equi]
    faces_hwc = [[np.ascontiguousarray(f.permute(1, 2, 0).numpy()) for f in cube] for cube in faces]
    return Inputs(equi, faces, horizon, equi_hwc, faces_hwc)


# --------------------------------------------------------------------------- implementations


def pd_e2c(x: Inputs, height: int, width: int, batch: int) -> Runner:
    from panodepth.geometry import equirect_to_cube

    s = height // 2
    return Runner(
        lambda: equirect_to_cube(x.equi, s), _tensor_check((batch, 6, 3, s, s)), "(B,6,3,S,S)"
    )


def pd_e2c_rotated(x: Inputs, height: int, width: int, batch: int) -> Runner:
    from panodepth.geometry import equirect_to_cube, random_rotation

    s = height // 2
    return Runner(
        lambda: equirect_to_cube(x.equi, s, rotation=random_rotation(batch)),
        _tensor_check((batch, 6, 3, s, s)),
        "fresh random_rotation(B) per call",
    )


def pd_c2e(x: Inputs, height: int, width: int, batch: int) -> Runner:
    from panodepth.geometry import cube_to_equirect

    return Runner(
        lambda: cube_to_equirect(x.faces, height, width),
        _tensor_check((batch, 3, height, width)),
        "(B,6,3,S,S) → (B,3,H,W)",
    )


def pd_rotation_grid(x: Inputs, height: int, width: int, batch: int) -> Runner:
    """Only the rotation-dependent part of the rotated e2c: the equirect sampling grid."""
    from panodepth.geometry import random_rotation
    from panodepth.geometry.cube import _cube_rotations
    from panodepth.geometry.perspective import _cached_rays_t, view_grid

    s = height // 2
    rays_t = _cached_rays_t(s, s, 90.0, torch.device("cpu"))  # what equirect_to_cube uses
    # view_grid's signature is being worked on: pass by name what it asks for
    known = {"rays_t": rays_t, "row_length": s, "height": height, "width": width}
    params = list(inspect.signature(view_grid).parameters)
    unknown = [p for p in params[1:] if p not in known]
    if unknown:
        raise TypeError(f"view_grid{tuple(params)}: don't know how to fill {unknown}")
    kwargs = {p: known[p] for p in params[1:]}

    def call() -> Any:
        return view_grid(_cube_rotations(random_rotation(batch), x.equi), **kwargs)

    def check(out: Any) -> str | None:
        grid = out[0] if isinstance(out, tuple) else out
        if not isinstance(grid, torch.Tensor) or grid.numel() != batch * 6 * s * s * 2:
            return f"grid has {getattr(grid, 'shape', '?')}, expected B·6·S·S·2 elements"
        return None

    return Runner(call, check, f"view_grid(_cube_rotations(R, img), {', '.join(params[1:])})")


def py360_e2c(x: Inputs, height: int, width: int, batch: int) -> Runner:
    py360convert = importlib.import_module("py360convert")
    s = height // 2

    def call() -> list[Any]:
        return [
            py360convert.e2c(img, face_w=s, mode="bilinear", cube_format="list")
            for img in x.equi_hwc
        ]

    def check(out: Any) -> str | None:
        if len(out) != batch or any(len(cube) != 6 for cube in out):
            return "expected B lists of 6 faces"
        return _first_problem([_array_problem(f, (s, s, 3)) for cube in out for f in cube])

    return Runner(call, check, "numpy HWC, 1 image/call, cube_format='list'")


def py360_c2e(x: Inputs, height: int, width: int, batch: int) -> Runner:
    py360convert = importlib.import_module("py360convert")

    def call() -> list[Any]:
        return [
            py360convert.c2e(cube, h=height, w=width, mode="bilinear", cube_format="list")
            for cube in x.faces_hwc
        ]

    def check(out: Any) -> str | None:
        if len(out) != batch:
            return "expected B images"
        return _first_problem([_array_problem(e, (height, width, 3)) for e in out])

    return Runner(call, check, "numpy HWC, 1 image/call, cube_format='list'")


def equilib_e2c(x: Inputs, height: int, width: int, batch: int) -> Runner:
    equilib = importlib.import_module("equilib")
    s = height // 2
    # the class API caches the rotation-invariant grid between calls (its fastest path)
    e2c = equilib.Equi2Cube(w_face=s, cube_format="horizon", mode="bilinear")
    rots = [{"roll": 0.0, "pitch": 0.0, "yaw": 0.0} for _ in range(batch)]
    return Runner(
        lambda: e2c(equi=x.equi, rots=rots),
        _tensor_check((batch, 3, s, 6 * s)),
        "Equi2Cube class, batched, 'horizon' out",
    )


def equilib_c2e(x: Inputs, height: int, width: int, batch: int) -> Runner:
    equilib = importlib.import_module("equilib")
    # cube2equi squeezes a batch of one
    shape = (3, height, width) if batch == 1 else (batch, 3, height, width)
    return Runner(
        lambda: equilib.cube2equi(
            x.horizon, cube_format="horizon", height=height, width=width, mode="bilinear"
        ),
        _tensor_check(shape),
        "batched, 'horizon' in",
    )


def p3c_e2c(x: Inputs, height: int, width: int, batch: int) -> Runner:
    p3c = importlib.import_module("pytorch360convert")
    s = height // 2
    return Runner(
        lambda: p3c.e2c(x.equi, face_w=s, mode="bilinear", cube_format="horizon"),
        _tensor_check((batch, 3, s, 6 * s)),
        "batched (B,3,H,W), 'horizon' out",
    )


def p3c_c2e(x: Inputs, height: int, width: int, batch: int) -> Runner:
    p3c = importlib.import_module("pytorch360convert")
    # c2e accepts one (3, S, 6S) horizon only (a 4-D batch fails in its permute)
    return Runner(
        lambda: [
            p3c.c2e(h, h=height, w=width, mode="bilinear", cube_format="horizon") for h in x.horizon
        ],
        _tensor_list_check(batch, (3, height, width)),
        "no batch support: loops, 'horizon' in",
    )


Builder = Callable[[Inputs, int, int, int], Runner]

IMPLS: dict[str, list[tuple[str, Builder]]] = {
    "e2c": [
        (PD, pd_e2c),
        (PD_ROT, pd_e2c_rotated),
        (PD_GRID, pd_rotation_grid),  # reported in the grid table only
        (PY360, py360_e2c),
        (EQUILIB, equilib_e2c),
        (P3C, p3c_e2c),
    ],
    "c2e": [(PD, pd_c2e), (PY360, py360_c2e), (EQUILIB, equilib_c2e), (P3C, p3c_c2e)],
}


# --------------------------------------------------------------------------- running


def record_error(result: Result, exc: BaseException) -> None:
    message = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:240]
    result.error = message
    log(
        f"  !! {result.impl} {result.op} {result.height}×{result.width} B={result.batch} "
        f"failed: {message}"
    )


def run_group(
    op: str,
    x: Inputs,
    height: int,
    width: int,
    batch: int,
    repeats: int,
    min_time_s: float,
) -> list[Result]:
    """Build, check and warm up every implementation of ``op``, then time them interleaved."""
    results: list[Result] = []
    live: list[tuple[Result, Runner]] = []
    for impl, builder in IMPLS[op]:
        result = Result(op, height, width, batch, impl)
        results.append(result)
        try:
            runner = builder(x, height, width, batch)
            result.note = runner.note
            warm_up(runner)
        except Exception as exc:
            record_error(result, exc)
        else:
            live.append((result, runner))
    time_rounds(live, repeats, min_time_s, record_error)
    for r in results:
        if r.ok:
            log(
                f"  {op:4s} {height}×{width} B={batch} {r.impl:24s} "
                f"{r.median_ms:9.2f} ms/call  ({len(r.times_ms)} runs)"
            )
    return results


def run_all(
    sizes: Sequence[tuple[int, int]], batches: Sequence[int], repeats: int, min_time_s: float
) -> list[Result]:
    results: list[Result] = []
    for height, width in sizes:
        for batch in batches:
            x = make_inputs(height, width, batch)
            for op in OPS:
                results += run_group(op, x, height, width, batch, repeats, min_time_s)
            del x
            gc.collect()
    return results


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- report


def find(results: Sequence[Result], op: str, hw: tuple[int, int], batch: int, impl: str) -> Result:
    for r in results:
        if (r.op, (r.height, r.width), r.batch, r.impl) == (op, hw, batch, impl):
            return r
    raise KeyError((op, hw, batch, impl))


def speedup(results: Sequence[Result], r: Result, best: bool = False) -> float | None:
    """panodepth per-image throughput ÷ ``r``'s (> 1: panodepth faster), from the medians
    (or from the best times)."""
    try:
        pd = find(results, r.op, (r.height, r.width), r.batch, PD)
    except KeyError:
        return None
    if not (pd.ok and r.ok):
        return None
    if best:
        return r.best_ms / pd.best_ms  # same batch, so per call = per image
    return r.ms_per_image / pd.ms_per_image


# columns (by first word of the header) that hold numbers
RIGHT_ALIGNED = {"B", "ms/call", "best", "ms/img", "Mpx/s", "±", "runs", "pd", "grid", "rotated"}
RIGHT_ALIGNED |= {"plain", "sampling", "grid/sampling", "grid/plain", "rotated/plain"}


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    right = [i for i, h in enumerate(header) if h.split()[0] in RIGHT_ALIGNED]
    if markdown:
        sep = ["---:" if i in right else "---" for i in range(len(header))]
        lines = [header, sep, *rows]
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]

    def fmt(row: Sequence[str]) -> str:
        cells = [
            c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(header), rule, *(fmt(r) for r in rows)])


def throughput_rows(results: Sequence[Result], op: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for r in results:
        if r.op != op or r.impl == PD_GRID:
            continue
        size = f"{r.height}×{r.width} (S={r.face})"
        if not r.ok:
            rows.append([size, str(r.batch), r.impl, *["—"] * 7, "FAILED"])
            continue
        ratio = speedup(results, r) if r.impl not in (PD, PD_ROT) else None
        rows.append(
            [
                size,
                str(r.batch),
                r.impl,
                f"{r.median_ms:.2f}",
                f"{r.best_ms:.2f}",
                f"{r.ms_per_image:.2f}",
                f"{r.mpx_per_s:.1f}",
                f"{r.spread_pct:.1f}%",
                str(len(r.times_ms)),
                "—" if ratio is None else f"{ratio:.2f}×",
                r.note,
            ]
        )
    return rows


@dataclass
class GridRow:
    hw: tuple[int, int]
    batch: int
    grid_ms: float
    rotated_ms: float
    plain_ms: float | None

    @property
    def sampling_ms(self) -> float:
        return self.rotated_ms - self.grid_ms

    @property
    def pct_of_sampling(self) -> float:
        return 100.0 * self.grid_ms / self.sampling_ms if self.sampling_ms > 0 else float("inf")


def grid_rows(results: Sequence[Result]) -> list[GridRow]:
    out: list[GridRow] = []
    for g in results:
        if g.impl != PD_GRID or not g.ok:
            continue
        hw = (g.height, g.width)
        rot = find(results, "e2c", hw, g.batch, PD_ROT)
        plain = find(results, "e2c", hw, g.batch, PD)
        if not rot.ok:
            continue
        out.append(
            GridRow(hw, g.batch, g.median_ms, rot.median_ms, plain.median_ms if plain.ok else None)
        )
    return out


def grid_table(rows: Sequence[GridRow], markdown: bool) -> str:
    header = [
        "size",
        "B",
        "grid ms",
        "rotated e2c ms",
        "plain e2c ms",
        "sampling ms (rot−grid)",
        "grid/sampling",
        "grid/plain e2c",
        "rotated/plain",
    ]
    body: list[list[str]] = []
    for r in rows:
        plain = "—" if r.plain_ms is None else f"{r.plain_ms:.2f}"
        vs_plain = "—" if r.plain_ms is None else f"{100 * r.grid_ms / r.plain_ms:.1f}%"
        rot_vs_plain = "—" if r.plain_ms is None else f"{r.rotated_ms / r.plain_ms:.2f}×"
        body.append(
            [
                f"{r.hw[0]}×{r.hw[1]} (S={r.hw[0] // 2})",
                str(r.batch),
                f"{r.grid_ms:.2f}",
                f"{r.rotated_ms:.2f}",
                plain,
                f"{r.sampling_ms:.2f}",
                f"{r.pct_of_sampling:.1f}%",
                vs_plain,
                rot_vs_plain,
            ]
        )
    return render_table(header, body, markdown)


def target_lines(results: Sequence[Result], grids: Sequence[GridRow]) -> list[str]:
    lines: list[str] = []
    h, w = TARGET_SIZE
    where = f"B={TARGET_BATCH}, {h}×{w}"
    for op in OPS:
        for peer, goal in ((PY360, TARGET_VS_PY360), (EQUILIB, TARGET_VS_EQUILIB)):
            label = f"{op} per-image throughput ≥ {goal:g}× {peer} ({where})"
            try:
                ratio = speedup(results, find(results, op, TARGET_SIZE, TARGET_BATCH, peer))
            except KeyError:
                ratio = None
            if ratio is None:
                lines.append(f"N/A   {label}: not measured (a run failed)")
            else:
                best = speedup(results, find(results, op, TARGET_SIZE, TARGET_BATCH, peer), True)
                verdict = "PASS" if ratio >= goal else "MISS"
                lines.append(f"{verdict}  {label}: {ratio:.2f}× (best times: {best:.2f}×)")
    label = f"rotation grid < {TARGET_GRID_PCT:g} % of sampling time ({where}; rotated e2c − grid)"
    row = next((g for g in grids if g.hw == TARGET_SIZE and g.batch == TARGET_BATCH), None)
    if row is None:
        lines.append(f"N/A   {label}: not measured (a run failed)")
    else:
        verdict = "PASS" if row.pct_of_sampling < TARGET_GRID_PCT else "MISS"
        lines.append(
            f"{verdict}  {label}: {row.pct_of_sampling:.1f} % "
            f"(grid {row.grid_ms:.2f} ms / sampling {row.sampling_ms:.2f} ms)"
        )
    return lines


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def pkg_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info(
    threads: int, cv2_threads: int | None, load_before: str, background: str
) -> list[tuple[str, str]]:
    cpu_capability = torch.backends.cpu.get_cpu_capability()
    peers = ("py360convert", "opencv-python-headless", "pyequilib", "pytorch360convert")
    return [
        ("CPU", cpu_model()),
        ("cores", f"{os.cpu_count()} logical, {usable_cpus()} usable by this process"),
        ("torch", f"{torch.__version__} (CPU capability {cpu_capability})"),
        ("threads", f"torch {torch.get_num_threads()} (requested {threads}), OpenCV {cv2_threads}"),
        ("python / numpy", f"{platform.python_version()} / {np.__version__}"),
        ("peers", ", ".join(f"{d} {pkg_version(d)}" for d in peers)),
        ("panodepth", pkg_version("panodepth")),
        ("dtype / device", "float32 / CPU, bilinear"),
        ("load average", f"{load_before} before the run, {load_average()} after"),
        ("background", background),
    ]


@dataclass
class CpuSnapshot:
    wall_s: float
    machine_busy_s: float | None  # all processes, all CPUs (/proc/stat)
    own_s: float  # this process, all its threads


def cpu_snapshot() -> CpuSnapshot:
    busy: float | None = None
    try:
        with open("/proc/stat", encoding="ascii") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
        busy = (sum(ticks[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # guest is within user
    except (OSError, ValueError, IndexError):
        pass
    return CpuSnapshot(time.perf_counter(), busy, time.process_time())


def background_load(before: CpuSnapshot, after: CpuSnapshot) -> str:
    """CPU time other processes used during the run, in % of the machine's capacity."""
    if before.machine_busy_s is None or after.machine_busy_s is None:
        return "n/a"
    wall = after.wall_s - before.wall_s
    others = (after.machine_busy_s - before.machine_busy_s) - (after.own_s - before.own_s)
    pct = max(0.0, 100.0 * others / (wall * (os.cpu_count() or 1)))
    verdict = "quiet" if pct < 5 else "NOT idle: timings are noisy, compare within one run"
    return f"{pct:.0f} % of all CPUs used by other processes during the run ({verdict})"


def load_average() -> str:
    """1-minute load average (other busy processes make the timings noisy)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def report(
    results: Sequence[Result], info: Sequence[tuple[str, str]], markdown: bool, quick: bool
) -> str:
    out: list[str] = []
    title = "Equirect ⇄ cube projection benchmark" + (" (--quick)" if quick else "")
    out.append(f"## {title}" if markdown else f"{title}\n{'=' * len(title)}")
    out.append("")
    for key, value in info:
        out.append(f"- **{key}**: {value}" if markdown else f"{key:>15}: {value}")
    out.append("")
    header = [
        "size",
        "B",
        "impl",
        "ms/call",
        "best ms",
        "ms/img",
        "Mpx/s",
        "±",
        "runs",
        "pd ×",
        "notes",
    ]
    legend = (
        "ms/call = median of the timed calls, best ms = fastest; ms/img and Mpx/s from the "
        "median; ± = half the inter-quartile range; Mpx/s = output "
        "pixels/s over the batch; pd × = panodepth per-image throughput ÷ this row's (>1: "
        "panodepth faster)"
    )
    for op, name in (("e2c", "equirect → cube (e2c)"), ("c2e", "cube → equirect (c2e)")):
        out.append(f"### {name}" if markdown else f"{name}\n{'-' * len(name)}")
        out.append("")
        out.append(render_table(header, throughput_rows(results, op), markdown))
        out.append("")
    out.append(f"Notes: {legend}." if markdown else f"({legend})")
    out.append("")
    grids = grid_rows(results)
    name = "Rotation-dependent grid cost (panodepth rotated e2c)"
    out.append(f"### {name}" if markdown else f"{name}\n{'-' * len(name)}")
    out.append("")
    if grids:
        out.append(grid_table(grids, markdown))
        out.append("")
        note = (
            "grid = view_grid(_cube_rotations(R, img), rays_t, …) with a fresh R per call; "
            "sampling = rotated e2c − grid; grid/plain e2c uses the un-rotated (cached-grid) "
            "e2c time instead; rotated/plain = total cost of a rotation."
        )
        out.append(f"Notes: {note}" if markdown else f"({note})")
    else:
        out.append("not measured (the grid or rotated e2c run failed; see failures)")
    out.append("")
    name = "Targets"
    out.append(f"### {name}" if markdown else f"{name}\n{'-' * len(name)}")
    out.append("")
    for line in target_lines(results, grids):
        out.append(f"- {line}" if markdown else line)
    failures = [r for r in results if r.error]
    if failures:
        out.append("")
        name = "Failures"
        out.append(f"### {name}" if markdown else f"{name}\n{'-' * len(name)}")
        out.append("")
        for r in failures:
            line = f"{r.impl} {r.op} {r.height}×{r.width} B={r.batch}: {r.error}"
            out.append(f"- {line}" if markdown else line)
    return "\n".join(out)


# --------------------------------------------------------------------------- main


def default_threads() -> int:
    """All usable cores, capped at 8 (grid sampling stops scaling well beyond that)."""
    return max(1, min(usable_cpus(), 8))


def set_threads(threads: int) -> int | None:
    """Use ``threads`` threads in torch and OpenCV (py360convert's remap); OpenCV's count."""
    torch.set_num_threads(threads)
    try:
        cv2 = importlib.import_module("cv2")
    except ImportError:
        return None
    cv2.setNumThreads(threads)
    return int(cv2.getNumThreads())


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time equirect ⇄ cube projections: panodepth vs its peers, on CPU.",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=default_threads(),
        help="torch and OpenCV threads (default: usable cores, at most 8; the issue uses 2)",
    )
    parser.add_argument("--quick", action="store_true", help="only 512×1024, fewer repeats")
    parser.add_argument(
        "--markdown", action="store_true", help="print Markdown tables for BENCHMARKS.md"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="minimum timed rounds per group (default 7; --quick 5)",
    )
    parser.add_argument(
        "--min-time",
        type=float,
        default=None,
        help="minimum seconds of timed rounds per group (default 2.0; --quick 0.5)",
    )
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be ≥ 1")
    if args.repeats is None:
        args.repeats = 5 if args.quick else 7
    if args.repeats < 1:
        parser.error("--repeats must be ≥ 1")
    if args.min_time is None:
        args.min_time = 0.5 if args.quick else 2.0
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cv2_threads = set_threads(args.threads)
    load_before = load_average()
    sizes = SIZES[:1] if args.quick else SIZES
    log(
        f"threads: torch {torch.get_num_threads()}, OpenCV {cv2_threads}; sizes {list(sizes)}; "
        f"batches {list(BATCHES)}; ≥{args.repeats} rounds and ≥{args.min_time:g} s per group"
    )
    before = cpu_snapshot()
    results = run_all(sizes, BATCHES, args.repeats, args.min_time)
    background = background_load(before, cpu_snapshot())
    info = machine_info(args.threads, cv2_threads, load_before, background)
    print(report(results, info, args.markdown, args.quick))
    return 0


if __name__ == "__main__":
    sys.exit(main())
