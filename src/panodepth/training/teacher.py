"""Training the small perspective teacher (:class:`~panodepth.teachers.small.SmallUNet`) on
synthetic pinhole views: the loop behind ``panodepth train-teacher`` and the shipped
``synthetic-small`` weights.

What this module owns (plain functions, no global state, CPU or GPU):
    * :class:`ViewSpec` / :func:`render_views` / :func:`render_pool` — how views are drawn,
      and a :class:`ViewPool` of them: pinhole views of random scenes of the synthetic
      domains with exact planar depth, rendered by
      :func:`~panodepth.data.synthetic.render_perspective` (all views of one scene in one
      call). View ``i`` depends only on (domain, seed, i): scenes come from
      :func:`~panodepth.data.synthetic.sample_seed` generators, several views per scene;
    * :func:`sample_batch` — a random training batch from a pool: horizontal flips, colour
      jitter (:func:`~panodepth.data.augment.color_jitter`: brightness, contrast and
      saturation, no hue), and with probability ``low_res_prob`` a 2× area downsampling (so
      the network learns to work at 32 px as well as at 64 px, the demo's cube-face sizes);
    * :class:`TrainConfig` / :func:`train_small_unet` — the loop: AdamW, the learning-rate
      schedule of :mod:`panodepth.training.schedule` (linear warm-up, then cosine decay),
      MiDaS' affine-invariant loss (:func:`~panodepth.losses.affine_invariant_loss`) on
      disparity targets ``1 / planar depth`` (sky invalid);
    * :func:`evaluate_on_pool` / :func:`evaluate_domains` — AbsRel / δ1 of a teacher on
      views, under the ``lsq_disparity`` protocol of :mod:`panodepth.metrics` (the one that
      fits a relative disparity, see :data:`EVAL_PROTOCOLS`) and the ``paper`` protocol;
    * :func:`train_teacher` — all of it: pools, training, evaluation on a held-out domain,
      and a ``.safetensors`` file (:func:`~panodepth.teachers.save_small_teacher`) whose
      metadata records how it was made.

View sampling (:class:`ViewSpec`): the camera direction is uniform on the sphere (so views
look up at ceilings and down at floors, like the U/D faces of a rotated cube), the roll is
uniform in ±``max_roll_deg``, the horizontal FoV is uniform in ``fov_range`` (degrees); all
views of one scene share its FoV. Views with less than ``min_valid`` valid (non-sky) pixels
are redrawn. Everything random comes from seeded ``torch.Generator`` objects, so a run is
reproducible given its arguments (up to floating-point non-determinism of the backend).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from panodepth.conventions import TEACHER_DOMAINS, VALIDATION_DOMAIN
from panodepth.data.augment import color_jitter
from panodepth.data.synthetic import (
    domain_names,
    render_perspective,
    sample_scene,
    sample_seed,
)
from panodepth.geometry import rotation_matrix
from panodepth.losses import affine_invariant_loss, gt_disparity_target
from panodepth.metrics import evaluate
from panodepth.teachers import Teacher
from panodepth.teachers.small import (
    SmallTeacher,
    SmallUNet,
    SmallUNetConfig,
    num_params,
    save_small_teacher,
)

from .schedule import lr_factor

EVAL_SEED_OFFSET = 1_000_003
"""Evaluation views use ``seed + EVAL_SEED_OFFSET``: never the training views' scenes."""

TARGET_MAX_DEPTH = 1000.0
"""Training targets keep every non-sky pixel (outdoor buildings lie beyond 10 m)."""

MIN_MAD = 1e-4
"""Views whose target disparity MAD is below this (a wall seen head-on) are left out."""


@dataclass(frozen=True)
class ViewSpec:
    """How training / evaluation views are drawn (see the module doc).

    Attributes:
        size: side of the square views, pixels.
        fov_range: (low, high) horizontal FoV in degrees, drawn uniformly per scene.
        max_roll_deg: roll drawn uniformly in ±this.
        views_per_scene: views rendered from one random scene (one ray cast for all).
        min_valid: views with a smaller share of valid pixels are redrawn.
    """

    size: int = 64
    fov_range: tuple[float, float] = (60.0, 100.0)
    max_roll_deg: float = 30.0
    views_per_scene: int = 4
    min_valid: float = 0.2

    def __post_init__(self) -> None:
        lo, hi = (float(v) for v in self.fov_range)
        if not 0 < lo <= hi < 180:
            raise ValueError(f"fov_range must satisfy 0 < low ≤ high < 180, got {self.fov_range}")
        object.__setattr__(self, "fov_range", (lo, hi))
        if self.size < 1 or self.views_per_scene < 1:
            raise ValueError("size and views_per_scene must be positive")
        if not 0.0 <= self.min_valid < 1.0:
            raise ValueError(f"min_valid must be in [0, 1), got {self.min_valid}")


@dataclass
class ViewPool:
    """Rendered views: ``rgb`` (N, 3, S, S) in [0, 1], planar ``depth`` (N, 1, S, S) in
    metres (0 = sky), ``valid`` (N, 1, S, S) bool; ``domains`` names each view's domain."""

    rgb: Tensor
    depth: Tensor
    valid: Tensor
    domains: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return self.rgb.shape[0]

    @staticmethod
    def cat(pools: Sequence[ViewPool]) -> ViewPool:
        return ViewPool(
            torch.cat([p.rgb for p in pools]),
            torch.cat([p.depth for p in pools]),
            torch.cat([p.valid for p in pools]),
            [d for p in pools for d in p.domains],
        )

    def select(self, domain: str) -> ViewPool:
        """The views of one domain."""
        idx = torch.tensor([i for i, d in enumerate(self.domains) if d == domain], dtype=torch.long)
        return ViewPool(self.rgb[idx], self.depth[idx], self.valid[idx], [domain] * len(idx))


def check_domains(domains: Sequence[str]) -> list[str]:
    """Validate domain names (non-empty, known, no duplicates); returns them as a list."""
    domains = list(domains)
    known = domain_names()
    if not domains:
        raise ValueError(f"give at least one domain; choose from {known}")
    unknown = [d for d in domains if d not in known]
    if unknown:
        raise ValueError(f"unknown domain(s) {unknown}; choose from {known}")
    if len(set(domains)) != len(domains):
        raise ValueError(f"duplicate domains in {domains}")
    return domains


def render_views(domain: str, count: int, seed: int = 0, spec: ViewSpec | None = None) -> ViewPool:
    """``count`` random views of ``domain`` (deterministic given ``(domain, seed, count)``).

    Scene ``k`` is drawn from ``sample_seed(domain, seed, k)``; its camera directions, roll and
    FoV come from the same generator, after the scene.
    """
    (domain,) = check_domains([domain])
    spec = spec or ViewSpec()
    if count < 0:
        raise ValueError(f"count must be ≥ 0, got {count}")
    s = spec.size
    rgb, depth, valid = [], [], []
    scene_index = 0
    n = 0
    while n < count:
        g = torch.Generator().manual_seed(sample_seed(domain, seed, scene_index))
        scene_index += 1
        scene = sample_scene(domain, g)
        lo, hi = spec.fov_range
        fov = lo + (hi - lo) * float(torch.rand((), generator=g, dtype=torch.float64))
        k = min(spec.views_per_scene, count - n)
        u = torch.rand(k, 3, generator=g, dtype=torch.float64)
        yaw = (2 * u[:, 0] - 1) * math.pi
        pitch = torch.asin(2 * u[:, 1] - 1)  # uniform direction on the sphere
        roll = (2 * u[:, 2] - 1) * math.radians(spec.max_roll_deg)
        views = render_perspective(scene, fov, s, rotation_matrix(yaw, pitch, roll))
        keep = views.valid.float().mean(dim=(1, 2, 3)) >= spec.min_valid
        rgb.append(views.rgb[keep])
        depth.append(views.depth[keep])
        valid.append(views.valid[keep])
        n += int(keep.sum())
    return ViewPool(
        torch.cat(rgb).contiguous() if rgb else torch.empty(0, 3, s, s),
        torch.cat(depth) if depth else torch.empty(0, 1, s, s),
        torch.cat(valid) if valid else torch.empty(0, 1, s, s, dtype=torch.bool),
        [domain] * n,
    )


def render_pool(
    domains: Sequence[str],
    views: int,
    seed: int = 0,
    spec: ViewSpec | None = None,
    log: Callable[[str], None] | None = None,
) -> ViewPool:
    """``views`` views in all, split evenly over ``domains`` (the first ones get the rest)."""
    domains = check_domains(domains)
    counts = [views // len(domains) + (i < views % len(domains)) for i in range(len(domains))]
    pools = []
    for domain, count in zip(domains, counts, strict=True):
        start = time.perf_counter()
        pools.append(render_views(domain, count, seed, spec))
        if log:
            log(f"rendered {count} {domain} views in {time.perf_counter() - start:.1f} s")
    return ViewPool.cat(pools)


def _jitter(rgb: Tensor, g: torch.Generator, strength: float) -> Tensor:
    """Brightness, contrast and saturation factors uniform in [1 − s, 1 + s] per image,
    applied in that order by :func:`~panodepth.data.augment.color_jitter` (hue unchanged)."""
    factors = 1 + strength * (2 * torch.rand(rgb.shape[0], 3, generator=g) - 1)
    if rgb.shape[0] == 0:
        return rgb
    return torch.stack(
        [
            color_jitter(image, (b, c, s, 0.0), order=(0, 1, 2))
            for image, (b, c, s) in zip(rgb, factors.tolist(), strict=True)
        ]
    )


def sample_batch(
    pool: ViewPool,
    batch_size: int,
    generator: torch.Generator,
    low_res_prob: float = 0.5,
    jitter: float = 0.2,
) -> tuple[Tensor, Tensor, Tensor]:
    """A random augmented batch ``(rgb, disparity target, valid)`` from ``pool``.

    Augmentations: horizontal flip (p 0.5 per image), colour jitter (``jitter``), and with
    probability ``low_res_prob`` the whole batch is 2× area-downsampled (RGB averaged,
    disparity averaged over 2×2 cells that are fully valid, others invalid).
    """
    g = generator
    idx = torch.randint(len(pool), (batch_size,), generator=g)
    rgb, depth, valid = pool.rgb[idx], pool.depth[idx], pool.valid[idx]
    flip = torch.rand(batch_size, generator=g) < 0.5
    if bool(flip.any()):
        rgb[flip], depth[flip], valid[flip] = (
            rgb[flip].flip(-1),
            depth[flip].flip(-1),
            valid[flip].flip(-1),
        )
    if jitter > 0:
        rgb = _jitter(rgb, g, jitter)
    disparity, valid = gt_disparity_target(depth, TARGET_MAX_DEPTH, valid)
    if float(torch.rand((), generator=g)) < low_res_prob and rgb.shape[-1] >= 32:
        rgb = F.avg_pool2d(rgb, 2)
        v = F.avg_pool2d(valid.float(), 2)
        disparity = F.avg_pool2d(disparity, 2)
        valid = v > 0.999
        disparity = torch.where(valid, disparity, 0.0)
    return rgb, disparity, valid


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of :func:`train_small_unet`.

    Attributes:
        steps: optimiser steps; batch_size: views per step; lr: peak Adam learning rate;
        weight_decay: AdamW decoupled weight decay; warmup: linear warm-up steps, then
        cosine decay to 1 % of ``lr``; low_res_prob, jitter: see :func:`sample_batch`;
        seed: seeds the network initialisation and the batch sampling.
    """

    steps: int = 2000
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    warmup: int = 50
    low_res_prob: float = 0.5
    jitter: float = 0.2
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"steps, batch_size and lr must be positive, got {self}")


def train_small_unet(
    pool: ViewPool,
    config: TrainConfig,
    net: SmallUNet | None = None,
    device: torch.device | str | None = None,
    log: Callable[[str], None] | None = None,
    log_every: int = 50,
    arch: SmallUNetConfig | None = None,
    validate: Callable[[nn.Module], float] | None = None,
    validate_every: int = 0,
    curve: list[tuple[int, float]] | None = None,
) -> tuple[SmallUNet, list[float]]:
    """Train ``net`` (a fresh :class:`SmallUNet` of ``arch``, seeded by ``config.seed``, if
    None) on ``pool``.

    With ``validate`` (net in eval mode → a score, lower is better) and ``validate_every``
    > 0, the net is scored every ``validate_every`` steps and after the last one; the weights
    of the best score are returned, and ``(step, score)`` pairs are appended to ``curve``.

    Returns:
        ``(net in eval mode, per-step losses)``.
    """
    if len(pool) == 0:
        raise ValueError("the view pool is empty")
    device = torch.device(device or "cpu")
    if net is None:
        torch.manual_seed(config.seed)  # the only global RNG use: parameter initialisation
        net = SmallUNet(arch)
    net = net.to(device).train()
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    g = torch.Generator().manual_seed(config.seed)
    losses: list[float] = []
    best: tuple[int, float, dict[str, Tensor]] | None = None
    start = time.perf_counter()
    for step in range(config.steps):
        for group in opt.param_groups:
            group["lr"] = config.lr * lr_factor(step, config.steps, config.warmup)
        rgb, target, valid = sample_batch(
            pool, config.batch_size, g, config.low_res_prob, config.jitter
        )
        rgb, target, valid = rgb.to(device), target.to(device), valid.to(device)
        loss = affine_invariant_loss(net(rgb), target, valid, min_mad=MIN_MAD)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.detach().item())
        if log and (step + 1) % log_every == 0:
            recent = sum(losses[-log_every:]) / len(losses[-log_every:])
            log(
                f"step {step + 1}/{config.steps} loss {recent:.4f} "
                f"({time.perf_counter() - start:.0f} s)"
            )
        last = step + 1 == config.steps
        if (
            validate is not None
            and validate_every > 0
            and ((step + 1) % validate_every == 0 or last)
        ):
            score = validate(net.eval())
            net.train()
            if best is None or score < best[1]:
                best = (
                    step + 1,
                    score,
                    {k: v.detach().clone() for k, v in net.state_dict().items()},
                )
            if curve is not None:
                curve.append((step + 1, score))
            if log:
                log(f"step {step + 1}: validation {score:.4f} (best {best[1]:.4f} at {best[0]})")
    if best is not None:
        net.load_state_dict(best[2])
    return net.eval(), losses


EVAL_PROTOCOLS = ("lsq_disparity", "paper")
"""Protocols a teacher is scored with. ``lsq_disparity`` (least-squares scale and shift of the
predicted disparity against 1 / GT, as MiDaS evaluates) is the meaningful one for a relative
disparity: the affine-invariant loss leaves the output's shift free, and ``paper`` (invert,
then median scaling) is only scale-invariant, so it punishes that free shift."""


def evaluate_on_pool(
    teacher: Teacher | nn.Module,
    pool: ViewPool,
    batch_size: int = 64,
    size: int | None = None,
    protocol: str = "lsq_disparity",
) -> dict[str, float]:
    """Metrics of ``teacher`` (disparity out) on ``pool`` under ``protocol``, mean over views.

    Args:
        teacher: maps (N, 3, S, S) RGB to (N, 1, S, S) disparity.
        pool: the views (GT planar depth; the protocols keep 0 < depth ≤ 10 m).
        size: if given, views are area-resized to ``size`` first (GT: nearest).
        protocol: a protocol of :func:`panodepth.metrics.evaluate` (see
            :data:`EVAL_PROTOCOLS`).
    """
    totals: dict[str, float] = {}
    count = 0
    with torch.no_grad():
        for i in range(0, len(pool), batch_size):
            rgb, depth = pool.rgb[i : i + batch_size], pool.depth[i : i + batch_size]
            if size is not None and size != rgb.shape[-1]:
                rgb = F.interpolate(rgb, size=(size, size), mode="area")
                depth = F.interpolate(depth, size=(size, size), mode="nearest")
            pred = teacher(rgb)
            metrics = evaluate(pred, depth, protocol, pred_kind="disparity")
            n = rgb.shape[0]
            for k, v in metrics.items():
                totals[k] = totals.get(k, 0.0) + v * n
            count += n
    return {k: v / count for k, v in totals.items()}


def evaluate_domains(
    teacher: Teacher | nn.Module,
    domains: Sequence[str],
    views: int,
    seed: int,
    spec: ViewSpec,
    log: Callable[[str], None] | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """AbsRel / δ1 per ``"<domain>@<size>"`` (sizes ``spec.size`` and half) and protocol."""
    evals: dict[str, dict[str, dict[str, float]]] = {}
    for domain in domains:
        pool = render_views(domain, views, seed, spec)
        for size in sorted({spec.size, max(16, spec.size // 2)}, reverse=True):
            evals[f"{domain}@{size}"] = {
                protocol: {
                    k: round(v, 4)
                    for k, v in evaluate_on_pool(
                        teacher, pool, size=size, protocol=protocol
                    ).items()
                    if k in ("abs_rel", "delta1")
                }
                for protocol in EVAL_PROTOCOLS
            }
        if log:
            log(f"eval {domain}: {evals[f'{domain}@{spec.size}']}")
    return evals


@dataclass
class TeacherRun:
    """What :func:`train_teacher` did: the file, the metadata written, the per-step losses."""

    path: Path
    metadata: dict[str, Any]
    losses: list[float]


def train_teacher(
    out: str | Path,
    domains: Sequence[str] = TEACHER_DOMAINS,
    views: int = 3000,
    spec: ViewSpec | None = None,
    config: TrainConfig | None = None,
    eval_domain: str | None = VALIDATION_DOMAIN,
    eval_views: int = 200,
    command: str = "",
    device: torch.device | str | None = None,
    log: Callable[[str], None] | None = None,
    arch: SmallUNetConfig | None = None,
    val_every: int = 0,
) -> TeacherRun:
    """Render a pool, train a :class:`SmallUNet`, evaluate it, save it with full metadata.

    Args:
        out: the ``.safetensors`` file to write.
        domains: training domains (the held-out ``eval_domain`` must not be among them).
        views: training views in all (split evenly over ``domains``), seed ``config.seed``.
        spec: view sampling (:class:`ViewSpec`).
        config: optimisation (:class:`TrainConfig`).
        eval_domain: held-out domain evaluated after training (None: skip); with
            ``val_every`` > 0 it is also the validation domain that picks the weights.
        eval_views: views per evaluated domain (the held-out one and each training domain,
            drawn with seed ``config.seed + EVAL_SEED_OFFSET``: unseen scenes).
        command: the command line to record (``panodepth train-teacher …``).
        device: where to train.
        log: progress messages (e.g. ``print``).
        arch: the network's widths / groups (default :class:`SmallUNetConfig`, the shipped
            teacher's).
        val_every: score AbsRel (``lsq_disparity``) on ``eval_views`` views of
            ``eval_domain`` every this many steps and keep the best weights (0: the last).

    Raises:
        ValueError: unknown / duplicate domains, or ``eval_domain`` among ``domains``.
    """
    domains = check_domains(domains)
    spec = spec or ViewSpec()
    config = config or TrainConfig()
    if eval_domain is not None:
        check_domains([eval_domain])
        if eval_domain in domains:
            raise ValueError(f"eval domain {eval_domain!r} is a training domain {domains}")
    if views < 1:
        raise ValueError(f"views must be positive, got {views}")
    start = time.perf_counter()
    pool = render_pool(domains, views, config.seed, spec, log)
    render_s = time.perf_counter() - start
    validate, curve = None, []
    if val_every > 0 and eval_domain is not None and eval_views > 0:
        val_pool = render_views(eval_domain, eval_views, config.seed + EVAL_SEED_OFFSET, spec)
        dev = torch.device(device or "cpu")
        val_pool = ViewPool(val_pool.rgb.to(dev), val_pool.depth.to(dev), val_pool.valid.to(dev))

        def validate(net: nn.Module) -> float:
            return evaluate_on_pool(net, val_pool)["abs_rel"]

    net, losses = train_small_unet(
        pool, config, device=device, log=log, arch=arch,
        validate=validate, validate_every=val_every, curve=curve,
    )  # fmt: skip
    train_s = time.perf_counter() - start - render_s
    del pool

    evals: dict[str, dict[str, dict[str, float]]] = {}
    if eval_views > 0:
        eval_domains = ([eval_domain] if eval_domain else []) + domains
        seed = config.seed + EVAL_SEED_OFFSET
        evals = evaluate_domains(SmallTeacher(net.cpu()), eval_domains, eval_views, seed, spec, log)
    tail = losses[-min(50, len(losses)) :]
    metadata: dict[str, Any] = {
        "command": command,
        "domains": domains,
        "views": views,
        "view_sampling": (
            "direction uniform on the sphere, roll uniform ±max_roll_deg, FoV uniform in "
            "fov_range per scene, views with < min_valid valid pixels redrawn"
        ),
        "spec": asdict(spec),
        "train": asdict(config),
        "loss": "affine_invariant_loss (median/MAD) on 1/planar depth, sky invalid",
        "wall_time_s": {
            "render": round(render_s, 1),
            "train": round(train_s, 1),
            "total": round(time.perf_counter() - start, 1),
        },
        "final_train_loss": round(sum(tail) / len(tail), 5),
        "validation": (
            {
                "domain": eval_domain,
                "every": val_every,
                "curve_abs_rel": [[step, round(v, 5)] for step, v in curve],
                "best_step": min(curve, key=lambda c: c[1])[0],
            }
            if curve
            else None
        ),
        "eval_domain": eval_domain,
        "eval_views": eval_views,
        "eval_protocols": {
            "lsq_disparity": "LSQ scale+shift of disparity vs 1/GT, invert, GT in (0, 10] m",
            "paper": "disparity → depth, median scaling, GT in (0, 10] m",
        },
        "eval": evals,
        "num_params": num_params(net),
        "torch": torch.__version__,
    }
    path = save_small_teacher(net, out, metadata)
    return TeacherRun(path, metadata, losses)
