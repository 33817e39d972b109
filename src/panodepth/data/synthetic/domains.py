"""Visual domains of the synthetic renderer and random scene sampling.

A domain fixes the statistics of its scenes — room sizes and shapes, furniture, palettes,
texture families, lighting — so that a model can be trained on one domain and tested
zero-shot on another (the setting of the Depth Anywhere experiment). Built-in domains:

    * ``office``: large box rooms (5–10 m), high ceilings, desks/cabinets/pillars, cool
      greys and blues, plaster/tiles/stripes/checker, many bright ceiling lights;
    * ``home``: small rooms (2–6 m), often L-shaped, low ceilings, sofas/beds/round tables/
      lamps, warm palettes, wood/brick/noise/plaster, a few warm lights, dim ambient;
    * ``outdoor``: ground, box buildings, poles and trees, **sky** (invalid depth), sun light;
    * ``hotel``: mid-size rooms (3–6 m), beds/tables/shelves/lamps, neutral beige and navy,
      carpet-like floors, warm-white lights;
    * ``loft``: large rooms (6–12 m), high ceilings (3.2–4.5 m), pillars/sofas/shelves, brick
      and concrete greys with rust, warm lights;
    * ``classroom``: mid-size box rooms (5–9 m), rows of desks, cabinets, pastel walls,
      checker/tile floors, many cool lights;
    * ``cabin``: small low rooms (2.5–5 m, 2.2–2.7 m high), often L-shaped, wood everywhere,
      beds/round tables/lamps, dim warm light.

The demo's experiment (``panodepth.demo``) uses them as the paper's analog: A labeled =
``office``; B unlabeled = the mixture ``hotel+loft+classroom+outdoor``; the teacher's world =
``office``, ``hotel``, ``loft``, ``classroom``, ``outdoor``; validation = ``cabin``; test =
``home`` (never seen in any form). A **mixture** ``"d1+d2+…"`` (see :func:`mixture`) draws
sample ``i`` from domain ``i mod n``.

Everything random is drawn from one ``torch.Generator``, so a (domain, seed) pair always
gives the same scene.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from panodepth.checks import did_you_mean

from .scene import Box, Cylinder, Light, Room, Scene, Sphere
from .textures import TextureParams, sample_texture_params

RGB = tuple[float, float, float]


@dataclass(frozen=True)
class DomainSpec:
    """Statistics of one visual domain (sizes in metres)."""

    name: str
    outdoor: bool
    room_size: tuple[float, float]  # side lengths (indoor) / plaza radius (outdoor)
    room_height: tuple[float, float]
    l_shape_prob: float
    n_objects: tuple[int, int]
    object_kinds: tuple[str, ...]
    palette: tuple[RGB, ...]
    wall_kinds: tuple[str, ...]
    floor_kinds: tuple[str, ...]
    object_kinds_tex: tuple[str, ...]
    n_lights: tuple[int, int]
    light_colour: RGB
    light_power: tuple[float, float]
    ambient: tuple[float, float]


DOMAINS: dict[str, DomainSpec] = {
    "office": DomainSpec(
        name="office",
        outdoor=False,
        room_size=(5.0, 10.0),
        room_height=(2.7, 3.4),
        l_shape_prob=0.15,
        n_objects=(4, 9),
        object_kinds=("desk", "desk", "cabinet", "pillar", "partition"),
        palette=(
            (0.85, 0.86, 0.88),
            (0.7, 0.72, 0.75),
            (0.45, 0.5, 0.6),
            (0.3, 0.4, 0.55),
            (0.9, 0.9, 0.85),
            (0.55, 0.57, 0.6),
        ),
        wall_kinds=("plaster", "stripes", "tiles"),
        floor_kinds=("checker", "tiles", "noise"),
        object_kinds_tex=("plaster", "noise", "stripes"),
        n_lights=(3, 6),
        light_colour=(0.95, 0.98, 1.0),
        light_power=(0.5, 0.8),
        ambient=(0.35, 0.5),
    ),
    "home": DomainSpec(
        name="home",
        outdoor=False,
        room_size=(2.5, 6.0),
        room_height=(2.4, 2.8),
        l_shape_prob=0.5,
        n_objects=(3, 7),
        object_kinds=("sofa", "bed", "table", "round_table", "lamp", "shelf"),
        palette=(
            (0.8, 0.65, 0.5),
            (0.6, 0.4, 0.3),
            (0.75, 0.3, 0.25),
            (0.4, 0.5, 0.3),
            (0.9, 0.8, 0.6),
            (0.5, 0.35, 0.45),
        ),
        wall_kinds=("plaster", "brick", "noise"),
        floor_kinds=("wood", "wood", "tiles"),
        object_kinds_tex=("wood", "noise", "plaster", "checker"),
        n_lights=(1, 3),
        light_colour=(1.0, 0.85, 0.65),
        light_power=(0.45, 0.8),
        ambient=(0.2, 0.32),
    ),
    "outdoor": DomainSpec(
        name="outdoor",
        outdoor=True,
        room_size=(12.0, 35.0),
        room_height=(1.5, 1.9),  # camera height
        l_shape_prob=0.0,
        n_objects=(8, 16),
        object_kinds=("building", "building", "building", "pole", "tree"),
        palette=(
            (0.7, 0.6, 0.5),
            (0.55, 0.55, 0.55),
            (0.8, 0.75, 0.65),
            (0.45, 0.3, 0.25),
            (0.35, 0.45, 0.3),
            (0.6, 0.62, 0.7),
        ),
        wall_kinds=("brick", "tiles", "plaster"),
        floor_kinds=("noise", "tiles", "brick"),
        object_kinds_tex=("brick", "tiles", "plaster", "noise"),
        n_lights=(1, 1),
        light_colour=(1.0, 0.95, 0.85),
        light_power=(0.6, 0.9),
        ambient=(0.35, 0.5),
    ),
    "hotel": DomainSpec(
        name="hotel",
        outdoor=False,
        room_size=(3.0, 6.0),
        room_height=(2.5, 3.0),
        l_shape_prob=0.25,
        n_objects=(3, 7),
        object_kinds=("bed", "table", "shelf", "lamp", "sofa", "cabinet"),
        palette=(
            (0.92, 0.9, 0.85),
            (0.75, 0.7, 0.62),
            (0.25, 0.3, 0.45),
            (0.55, 0.5, 0.45),
            (0.85, 0.8, 0.7),
            (0.4, 0.42, 0.5),
        ),
        wall_kinds=("plaster", "stripes", "noise"),
        floor_kinds=("noise", "wood", "checker"),
        object_kinds_tex=("wood", "plaster", "noise", "stripes"),
        n_lights=(2, 4),
        light_colour=(1.0, 0.93, 0.8),
        light_power=(0.45, 0.75),
        ambient=(0.25, 0.38),
    ),
    "loft": DomainSpec(
        name="loft",
        outdoor=False,
        room_size=(6.0, 12.0),
        room_height=(3.2, 4.5),
        l_shape_prob=0.3,
        n_objects=(5, 10),
        object_kinds=("pillar", "sofa", "table", "round_table", "shelf", "partition", "lamp"),
        palette=(
            (0.6, 0.6, 0.6),
            (0.4, 0.4, 0.42),
            (0.55, 0.3, 0.2),
            (0.2, 0.2, 0.22),
            (0.8, 0.78, 0.72),
            (0.35, 0.4, 0.35),
        ),
        wall_kinds=("brick", "plaster", "tiles"),
        floor_kinds=("noise", "wood", "tiles"),
        object_kinds_tex=("noise", "wood", "brick", "plaster"),
        n_lights=(3, 6),
        light_colour=(1.0, 0.9, 0.75),
        light_power=(0.5, 0.85),
        ambient=(0.25, 0.4),
    ),
    "classroom": DomainSpec(
        name="classroom",
        outdoor=False,
        room_size=(5.0, 9.0),
        room_height=(2.8, 3.3),
        l_shape_prob=0.1,
        n_objects=(6, 12),
        object_kinds=("desk", "desk", "desk", "cabinet", "shelf", "table"),
        palette=(
            (0.9, 0.85, 0.55),
            (0.6, 0.75, 0.55),
            (0.6, 0.7, 0.85),
            (0.95, 0.95, 0.92),
            (0.8, 0.5, 0.35),
            (0.5, 0.55, 0.6),
        ),
        wall_kinds=("plaster", "tiles", "stripes"),
        floor_kinds=("checker", "tiles", "wood"),
        object_kinds_tex=("wood", "plaster", "checker"),
        n_lights=(4, 7),
        light_colour=(0.95, 0.97, 1.0),
        light_power=(0.5, 0.8),
        ambient=(0.35, 0.5),
    ),
    "cabin": DomainSpec(
        name="cabin",
        outdoor=False,
        room_size=(2.5, 5.0),
        room_height=(2.2, 2.7),
        l_shape_prob=0.45,
        n_objects=(3, 6),
        object_kinds=("bed", "table", "round_table", "lamp", "shelf", "sofa"),
        palette=(
            (0.55, 0.38, 0.25),
            (0.7, 0.5, 0.3),
            (0.35, 0.45, 0.3),
            (0.8, 0.7, 0.55),
            (0.45, 0.3, 0.2),
            (0.6, 0.2, 0.15),
        ),
        wall_kinds=("wood", "noise", "plaster"),
        floor_kinds=("wood", "noise"),
        object_kinds_tex=("wood", "noise", "checker"),
        n_lights=(1, 3),
        light_colour=(1.0, 0.8, 0.55),
        light_power=(0.45, 0.8),
        ambient=(0.18, 0.3),
    ),
}

MIXTURE_SEP = "+"


def domain_names() -> list[str]:
    return sorted(DOMAINS)


def mixture(domain: str) -> tuple[str, ...]:
    """The domains of a name: ``"hotel+loft"`` → ``("hotel", "loft")``, ``"home"`` →
    ``("home",)``; each checked (``ValueError`` naming the unknown one and the choices)."""
    parts = tuple(p.strip() for p in str(domain).split(MIXTURE_SEP))
    if len(set(parts)) != len(parts):
        raise ValueError(f"domain mixture {domain!r} repeats a domain")
    return tuple(get_domain(p).name for p in parts)


def domain_of_sample(domain: str, index: int) -> str:
    """The domain that sample ``index`` of ``domain`` (a name or a mixture) is drawn from."""
    parts = mixture(domain)
    return parts[index % len(parts)]


def get_domain(domain: str | DomainSpec) -> DomainSpec:
    if isinstance(domain, DomainSpec):
        return domain
    if domain not in DOMAINS:
        hint = did_you_mean(domain, domain_names())
        raise ValueError(f"unknown domain {domain!r}{hint}; choose one of {domain_names()}")
    return DOMAINS[domain]


class _Draw:
    """Python-number draws from a torch.Generator (so scenes are reproducible per seed)."""

    def __init__(self, generator: torch.Generator) -> None:
        self.g = generator

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * float(torch.rand((), generator=self.g))

    def integer(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi]."""
        return int(torch.randint(lo, hi + 1, (), generator=self.g))

    def chance(self, p: float) -> bool:
        return float(torch.rand((), generator=self.g)) < p

    def choice(self, items: Sequence):
        return items[self.integer(0, len(items) - 1)]


def sample_scene(domain: str | DomainSpec, generator: torch.Generator) -> Scene:
    """Draw a random scene of ``domain``."""
    spec = get_domain(domain)
    draw = _Draw(generator)
    return _outdoor(spec, draw) if spec.outdoor else _indoor(spec, draw)


def _texture(
    spec: DomainSpec, draw: _Draw, kinds: Sequence[str], g: torch.Generator
) -> TextureParams:
    return sample_texture_params(kinds, spec.palette, g)


def _indoor(spec: DomainSpec, draw: _Draw) -> Scene:
    g = draw.g
    textures = [
        _texture(spec, draw, k, g) for k in (spec.floor_kinds, ("plaster",), spec.wall_kinds)
    ]
    sx, sz = draw.uniform(*spec.room_size), draw.uniform(*spec.room_size)
    height = draw.uniform(*spec.room_height)
    boxes = [((0.0, -height, 0.0), (sx, 0.0, sz))]
    if draw.chance(spec.l_shape_prob):  # a second wing along +x or +z, sharing one wall part
        wx, wz = draw.uniform(*spec.room_size) * 0.7, draw.uniform(*spec.room_size) * 0.6
        if draw.chance(0.5):
            z0 = draw.uniform(0.0, sz * 0.5)
            boxes.append(((sx * 0.5, -height, z0), (sx + wx, 0.0, min(z0 + wz, sz))))
        else:
            x0 = draw.uniform(0.0, sx * 0.5)
            boxes.append(((x0, -height, sz * 0.5), (min(x0 + wx, sx), 0.0, sz + wz)))
    room = Room(boxes=tuple(boxes), floor=0, ceiling=1, walls=2)
    cam_h = draw.uniform(1.2, 1.8)
    # the camera stands in the main box, away from the walls
    camera = (draw.uniform(0.6, sx - 0.6), -min(cam_h, height - 0.3), draw.uniform(0.6, sz - 0.6))
    scene = Scene(camera=camera, textures=textures, room=room, domain=spec.name)
    for _ in range(draw.integer(*spec.n_objects)):
        _place_indoor_object(scene, spec, draw, boxes, height)
    for _ in range(draw.integer(*spec.n_lights)):
        lo, hi = draw.choice(boxes)
        pos = (
            draw.uniform(lo[0] + 0.3, hi[0] - 0.3),
            -height + 0.15,
            draw.uniform(lo[2] + 0.3, hi[2] - 0.3),
        )
        power = draw.uniform(*spec.light_power)
        scene.lights.append(
            Light(
                colour=tuple(c * power for c in spec.light_colour),
                position=pos,
                falloff=height * 1.5,
            )
        )
    amb = draw.uniform(*spec.ambient)
    scene.ambient = (amb, amb, amb * 0.97)
    return scene


def _clear_of_camera(
    scene: Scene, lo: tuple[float, ...], hi: tuple[float, ...], margin: float = 0.4
) -> bool:
    cx, _, cz = scene.camera
    return not (lo[0] - margin < cx < hi[0] + margin and lo[2] - margin < cz < hi[2] + margin)


def _place_indoor_object(
    scene: Scene, spec: DomainSpec, draw: _Draw, boxes: list, height: float
) -> None:
    kind = draw.choice(spec.object_kinds)
    lo_room, hi_room = draw.choice(boxes)
    tex = len(scene.textures)
    for _ in range(8):  # a few tries to keep the camera free
        x = draw.uniform(lo_room[0] + 0.3, hi_room[0] - 0.3)
        z = draw.uniform(lo_room[2] + 0.3, hi_room[2] - 0.3)
        if kind in ("round_table", "pillar", "lamp"):
            r = {"round_table": (0.35, 0.6), "pillar": (0.2, 0.4), "lamp": (0.15, 0.25)}[kind]
            radius = draw.uniform(*r)
            lo, hi = (x - radius, 0, z - radius), (x + radius, 0, z + radius)
            if not _clear_of_camera(scene, lo, hi):
                continue
            scene.textures.append(_texture(spec, draw, spec.object_kinds_tex, draw.g))
            if kind == "pillar":
                scene.cylinders.append(Cylinder(x, z, radius, -height, 0.0, tex))
            elif kind == "round_table":
                top = -draw.uniform(0.7, 0.8)
                scene.cylinders.append(Cylinder(x, z, radius, top, top + 0.05, tex))
                scene.cylinders.append(Cylinder(x, z, 0.06, top + 0.05, 0.0, tex))
            else:  # a floor lamp: a pole and a spherical shade
                top = -draw.uniform(1.3, 1.7)
                scene.cylinders.append(Cylinder(x, z, 0.03, top, 0.0, tex))
                scene.spheres.append(Sphere((x, top - radius * 0.8, z), radius, tex))
            return
        size = {
            "desk": ((1.2, 1.8), (0.72, 0.78), (0.6, 0.8)),
            "cabinet": ((0.4, 1.2), (1.2, 2.0), (0.4, 0.6)),
            "partition": ((1.2, 2.4), (1.2, 1.6), (0.05, 0.1)),
            "sofa": ((1.6, 2.4), (0.7, 0.9), (0.8, 1.0)),
            "bed": ((1.4, 2.0), (0.45, 0.6), (1.9, 2.1)),
            "table": ((0.8, 1.6), (0.72, 0.78), (0.7, 1.0)),
            "shelf": ((0.6, 1.4), (1.5, 2.2), (0.3, 0.4)),
        }[kind]
        w, h, d = (draw.uniform(*s) for s in size)
        if draw.chance(0.5):
            w, d = d, w
        h = min(h, height - 0.2)
        lo, hi = (x - w / 2, -h, z - d / 2), (x + w / 2, 0.0, z + d / 2)
        if not _clear_of_camera(scene, lo, hi):
            continue
        scene.textures.append(_texture(spec, draw, spec.object_kinds_tex, draw.g))
        scene.boxes.append(Box(lo, hi, tex))
        return


def _outdoor(spec: DomainSpec, draw: _Draw) -> Scene:
    g = draw.g
    textures = [_texture(spec, draw, spec.floor_kinds, g)]
    camera = (0.0, -draw.uniform(*spec.room_height), 0.0)
    radius = draw.uniform(*spec.room_size)
    scene = Scene(camera=camera, textures=textures, ground=0, domain=spec.name, max_range=60.0)
    for _ in range(draw.integer(*spec.n_objects)):
        kind = draw.choice(spec.object_kinds)
        angle = draw.uniform(-math.pi, math.pi)
        tex = len(scene.textures)
        if kind == "building":
            dist = draw.uniform(radius * 0.6, radius * 1.3)
            w, d, h = draw.uniform(6, 20), draw.uniform(6, 20), draw.uniform(4, 25)
            x, z = dist * math.sin(angle), dist * math.cos(angle)
            scene.textures.append(_texture(spec, draw, spec.wall_kinds, g))
            scene.boxes.append(Box((x - w / 2, -h, z - d / 2), (x + w / 2, 0.0, z + d / 2), tex))
        else:
            dist = draw.uniform(2.0, radius * 0.6)
            x, z = dist * math.sin(angle), dist * math.cos(angle)
            scene.textures.append(_texture(spec, draw, spec.object_kinds_tex, g))
            if kind == "pole":
                scene.cylinders.append(
                    Cylinder(x, z, draw.uniform(0.05, 0.15), -draw.uniform(3, 6), 0.0, tex)
                )
            else:  # a tree: trunk and a round crown
                trunk = draw.uniform(1.5, 3.0)
                scene.cylinders.append(Cylinder(x, z, draw.uniform(0.1, 0.25), -trunk, 0.0, tex))
                crown = draw.uniform(1.0, 2.2)
                scene.textures.append(_texture(spec, draw, ("noise",), g))
                scene.spheres.append(Sphere((x, -trunk - crown * 0.7, z), crown, tex + 1))
    elevation = draw.uniform(0.3, 1.1)
    azimuth = draw.uniform(-math.pi, math.pi)
    sun_dir = (
        math.cos(elevation) * math.sin(azimuth),
        -math.sin(elevation),
        math.cos(elevation) * math.cos(azimuth),
    )
    power = draw.uniform(*spec.light_power)
    scene.lights.append(
        Light(colour=tuple(c * power for c in spec.light_colour), direction=sun_dir)
    )
    amb = draw.uniform(*spec.ambient)
    scene.ambient = (amb * 0.9, amb * 0.95, amb * 1.05)
    scene.sky = ((draw.uniform(0.7, 0.85),) * 2 + (0.92,), (0.3, draw.uniform(0.45, 0.6), 0.9))
    return scene
