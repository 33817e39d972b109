"""Scenes of the synthetic renderer and exact ray casting against them.

A scene is a handful of analytic primitives: a room (the union of one or two axis-aligned
boxes seen from inside, so box and L-shaped rooms), solid boxes, vertical cylinders and
spheres (furniture, buildings, poles, trees), an optional infinite ground plane (outdoor
scenes), lights and a camera position. Rays are cast against all of them at once (vectorised
over rays, a short Python loop over primitives), giving the exact distance along each ray.

Conventions:
    * world frame = the camera frame of :mod:`panodepth.geometry.sphere` (x right, y down,
      z forward) translated to the world origin; "up" is −y. The floor / ground is y = 0,
      heights are negative y.
    * a cast returns, per ray: the range ``t`` (metres along the unit ray, ``inf`` where
      nothing is hit: sky), the id of the surface hit (index into ``Scene.textures``, −1 for
      sky), the unit normal facing the ray's origin, and 2-D surface coordinates ``uv`` in
      metres for texturing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from .textures import TextureParams

_EPS = 1e-9


@dataclass(frozen=True)
class Box:
    """Axis-aligned box ``lo ≤ p ≤ hi`` (metres); ``texture`` indexes ``Scene.textures``."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    texture: int


@dataclass(frozen=True)
class Cylinder:
    """Vertical cylinder: centre (x, z), radius, y range [y0, y1] (y0 < y1, y down)."""

    x: float
    z: float
    radius: float
    y0: float
    y1: float
    texture: int


@dataclass(frozen=True)
class Sphere:
    centre: tuple[float, float, float]
    radius: float
    texture: int


@dataclass(frozen=True)
class Room:
    """Interior of the union of one or two boxes (an L-shaped room when they overlap).

    Surfaces get ``floor``, ``ceiling`` and ``walls`` textures (indices into ``Scene.textures``).
    """

    boxes: tuple[tuple[tuple[float, float, float], tuple[float, float, float]], ...]
    floor: int
    ceiling: int
    walls: int

    def contains(self, point: tuple[float, float, float], margin: float = 0.0) -> bool:
        return any(
            all(lo[k] + margin < point[k] < hi[k] - margin for k in range(3))
            for lo, hi in self.boxes
        )


@dataclass(frozen=True)
class Light:
    """A point light (``position``) or, with ``position=None``, a sun along ``direction``."""

    colour: tuple[float, float, float]
    position: tuple[float, float, float] | None = None
    direction: tuple[float, float, float] | None = None  # towards the light, for suns
    falloff: float = 4.0  # metres at which a point light's intensity has halved


@dataclass
class Scene:
    camera: tuple[float, float, float]
    textures: list[TextureParams]
    room: Room | None = None
    ground: int | None = None  # texture of the ground plane y = 0 (outdoor scenes)
    boxes: list[Box] = field(default_factory=list)
    cylinders: list[Cylinder] = field(default_factory=list)
    spheres: list[Sphere] = field(default_factory=list)
    lights: list[Light] = field(default_factory=list)
    ambient: tuple[float, float, float] = (0.3, 0.3, 0.3)
    sky: tuple[tuple[float, float, float], tuple[float, float, float]] | None = None
    max_range: float = 60.0  # hits farther than this count as sky (invalid depth)
    domain: str = "custom"


@dataclass
class Hits:
    """Result of :func:`cast`: per ray range, surface id, normal and surface coordinates."""

    t: Tensor  # (N,) metres, inf = nothing hit
    surface: Tensor  # (N,) int64, −1 = nothing hit
    normal: Tensor  # (N, 3) unit, facing the ray origin
    uv: Tensor  # (N, 2) metres


# A primitive's intersection routine: (primitive, origin, dirs, 1/dirs, full) → range (N,)
# or, with full=True, (range, surface id (N,), normal (N, 3), uv (N, 2)).
Cast = Tensor | tuple[Tensor, Tensor, Tensor, Tensor]


def cast(scene: Scene, dirs: Tensor) -> Hits:
    """Cast unit rays ``dirs`` (N, 3) from ``scene.camera`` against every primitive.

    Two passes: the ranges of all primitives decide which one each ray hits first, then
    normals and surface coordinates are computed once per ray, by its primitive only.
    """
    n = dirs.shape[0]
    origin = torch.tensor(scene.camera, dtype=dirs.dtype, device=dirs.device)
    d = torch.where(dirs.abs() < _EPS, torch.full_like(dirs, _EPS), dirs)
    inv = d.reciprocal()
    prims: list[tuple[Callable[..., Cast], object]] = []
    if scene.room is not None:
        prims.append((_cast_room, scene.room))
    if scene.ground is not None:
        prims.append((_cast_ground, scene.ground))
    prims += [(_cast_solid_box, b) for b in scene.boxes]
    prims += [(_cast_cylinder, c) for c in scene.cylinders]
    prims += [(_cast_sphere, s) for s in scene.spheres]
    best = torch.full((n,), float("inf"), dtype=dirs.dtype, device=dirs.device)
    winner = torch.full((n,), -1, dtype=torch.long, device=dirs.device)
    for k, (fn, prim) in enumerate(prims):
        t = fn(prim, origin, d, inv, full=False)
        closer = t < best
        best = torch.where(closer, t, best)
        winner = torch.where(closer, k, winner)
    winner = torch.where(best > scene.max_range, -1, winner)
    hits = Hits(
        t=torch.where(winner >= 0, best, torch.full_like(best, float("inf"))),
        surface=torch.full((n,), -1, dtype=torch.long, device=dirs.device),
        normal=torch.zeros_like(dirs),
        uv=torch.zeros(n, 2, dtype=dirs.dtype, device=dirs.device),
    )
    order = torch.argsort(winner)
    counts = torch.bincount(winner + 1, minlength=len(prims) + 1).tolist()
    start = counts[0]  # rays that hit nothing come first
    for k, (fn, prim) in enumerate(prims):
        idx = order[start : start + counts[k + 1]]
        start += counts[k + 1]
        if idx.numel() == 0:
            continue
        _, surface, normal, uv = fn(prim, origin, d[idx], inv[idx], full=True)
        hits.surface[idx] = surface
        hits.normal[idx] = normal
        hits.uv[idx] = uv
    return hits


def _full(t: Tensor, surface: int | Tensor, normal: Tensor, uv: Tensor) -> Cast:
    if isinstance(surface, int):
        surface = torch.full(t.shape, surface, dtype=torch.long, device=t.device)
    return t, surface, normal, uv


def _cast_ground(ground: int, origin: Tensor, d: Tensor, inv: Tensor, full: bool) -> Cast:
    t = (0.0 - origin[1]) * inv[:, 1]  # the plane y = 0 below the camera
    t = torch.where(t > 0, t, torch.full_like(t, float("inf")))
    if not full:
        return t
    p = origin + t[:, None].clamp(max=1e6) * d
    normal = torch.tensor([0.0, -1.0, 0.0], dtype=d.dtype, device=d.device).expand_as(d)
    return _full(t, ground, normal, p[:, [0, 2]])


def _slabs(origin: Tensor, inv: Tensor, lo: Tensor, hi: Tensor) -> tuple[Tensor, Tensor]:
    t1 = (lo - origin) * inv
    t2 = (hi - origin) * inv
    return torch.minimum(t1, t2), torch.maximum(t1, t2)  # per-axis entry / exit, (N, 3)


def _axis_uv(p: Tensor, axis: Tensor) -> Tensor:
    """Planar surface coordinates of points on axis-aligned faces (x-face → (z, y), ...)."""
    u = torch.where(axis == 0, p[:, 2], p[:, 0])
    v = torch.where(axis == 1, p[:, 2], p[:, 1])
    return torch.stack((u, v), -1)


def _axis_normal(axis: Tensor, sign: Tensor) -> Tensor:
    return torch.nn.functional.one_hot(axis, 3).to(sign.dtype) * sign[:, None]


def _cast_room(room: Room, origin: Tensor, d: Tensor, inv: Tensor, full: bool) -> Cast:
    """Exit point of the union of the room's boxes (the camera is inside one of them)."""
    inf = torch.full_like(d[:, 0], float("inf"))
    intervals = []
    for lo, hi in room.boxes:
        tmin, tmax = _slabs(origin, inv, d.new_tensor(lo), d.new_tensor(hi))
        t_in = tmin.max(-1).values
        t_out, axis = tmax.min(-1)
        valid = t_in <= t_out
        intervals.append((torch.where(valid, t_in, inf), torch.where(valid, t_out, -inf), axis))
    # start in a box that contains the camera, then hop into the other one if it continues
    exit_t, exit_axis = None, None
    for k, (lo, hi) in enumerate(room.boxes):
        if all(lo[i] < float(origin[i]) < hi[i] for i in range(3)):
            exit_t, exit_axis = intervals[k][1], intervals[k][2]
            break
    if exit_t is None:
        raise ValueError(f"the camera {tuple(origin.tolist())} is outside the room {room.boxes}")
    for t_in, t_out, axis in intervals:
        hop = (t_in <= exit_t + 1e-6) & (t_out > exit_t)
        exit_t = torch.where(hop, t_out, exit_t)
        exit_axis = torch.where(hop, axis, exit_axis)
    if not full:
        return exit_t
    p = origin + exit_t[:, None] * d
    sign = -torch.sign(d.gather(1, exit_axis[:, None]))[:, 0]  # the normal faces back inside
    normal = _axis_normal(exit_axis, sign)
    on_y = exit_axis == 1
    surface = torch.where(
        on_y,
        torch.where(d[:, 1] > 0, room.floor, room.ceiling),
        torch.full_like(exit_axis, room.walls),
    )
    return _full(exit_t, surface, normal, _axis_uv(p, exit_axis))


def _cast_solid_box(box: Box, origin: Tensor, d: Tensor, inv: Tensor, full: bool) -> Cast:
    tmin, tmax = _slabs(origin, inv, d.new_tensor(box.lo), d.new_tensor(box.hi))
    t_in, axis = tmin.max(-1)
    t_out = tmax.min(-1).values
    hit = (t_in <= t_out) & (t_in > 0)
    t = torch.where(hit, t_in, torch.full_like(t_in, float("inf")))
    if not full:
        return t
    p = origin + t[:, None].clamp(max=1e6) * d
    sign = -torch.sign(d.gather(1, axis[:, None]))[:, 0]
    return _full(t, box.texture, _axis_normal(axis, sign), _axis_uv(p, axis))


def _cast_cylinder(cyl: Cylinder, origin: Tensor, d: Tensor, inv: Tensor, full: bool) -> Cast:
    inf = torch.full_like(d[:, 0], float("inf"))
    fx, fz = origin[0] - cyl.x, origin[2] - cyl.z
    a = (d[:, 0] ** 2 + d[:, 2] ** 2).clamp_min(_EPS)
    b = 2 * (d[:, 0] * fx + d[:, 2] * fz)
    c = fx**2 + fz**2 - cyl.radius**2
    disc = b * b - 4 * a * c
    t_side = (-b - disc.clamp_min(0).sqrt()) / (2 * a)
    y_side = origin[1] + t_side * d[:, 1]
    side_ok = (disc >= 0) & (t_side > 0) & (y_side >= cyl.y0) & (y_side <= cyl.y1)
    t_side = torch.where(side_ok, t_side, inf)
    # caps at y0 (top, seen from above) and y1 (bottom)
    t_cap, cap_normal_y = inf, torch.zeros_like(inf)
    for y_cap, ny in ((cyl.y0, -1.0), (cyl.y1, 1.0)):
        t = (y_cap - origin[1]) / d[:, 1]
        px, pz = origin[0] + t * d[:, 0] - cyl.x, origin[2] + t * d[:, 2] - cyl.z
        ok = (t > 0) & (px**2 + pz**2 <= cyl.radius**2) & (t < t_cap)
        t_cap = torch.where(ok, t, t_cap)
        cap_normal_y = torch.where(ok, torch.full_like(t, ny), cap_normal_y)
    use_cap = t_cap < t_side
    t = torch.minimum(t_side, t_cap)
    if not full:
        return t
    p = origin + t[:, None].clamp(max=1e6) * d
    rel_x, rel_z = p[:, 0] - cyl.x, p[:, 2] - cyl.z
    side_n = torch.stack((rel_x, torch.zeros_like(rel_x), rel_z), -1) / cyl.radius
    cap_n = torch.stack((torch.zeros_like(t), cap_normal_y, torch.zeros_like(t)), -1)
    normal = torch.where(use_cap[:, None], cap_n, side_n)
    side_uv = torch.stack((torch.atan2(rel_x, rel_z) * cyl.radius, p[:, 1]), -1)
    uv = torch.where(use_cap[:, None], p[:, [0, 2]], side_uv)
    return _full(t, cyl.texture, normal, uv)


def _cast_sphere(sph: Sphere, origin: Tensor, d: Tensor, inv: Tensor, full: bool) -> Cast:
    f = origin - d.new_tensor(sph.centre)
    b = (d * f).sum(-1)
    c = (f * f).sum() - sph.radius**2
    disc = b * b - c
    t = -b - disc.clamp_min(0).sqrt()
    t = torch.where((disc >= 0) & (t > 0), t, torch.full_like(t, float("inf")))
    if not full:
        return t
    p = origin + t[:, None].clamp(max=1e6) * d
    n = (p - d.new_tensor(sph.centre)) / sph.radius
    uv = torch.stack(
        (torch.atan2(n[:, 0], n[:, 2]) * sph.radius, torch.asin(n[:, 1].clamp(-1, 1)) * sph.radius),
        -1,
    )
    return _full(t, sph.texture, n, uv)
