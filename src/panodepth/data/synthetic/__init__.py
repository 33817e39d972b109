"""Procedural 360° RGB-D scenes: the embedded default data of panodepth.

Rooms, furniture, buildings and sky rendered by exact ray casting on the CPU (or GPU), with
procedural textures, Lambertian lights, optional watermarks and named visual domains.
See :mod:`.scene` (primitives, ray casting), :mod:`.render` (panoramas and pinhole views),
:mod:`.domains` (domain statistics, scene sampling), :mod:`.textures`, :mod:`.watermark` and
:mod:`.dataset` (on-disk datasets, ``panodepth synth``).
"""

from .dataset import (
    DEPTH_SCALE,
    MASK_LABELS,
    SyntheticSample,
    render_sample,
    sample_seed,
    synthesize,
)
from .domains import (
    DOMAINS,
    DomainSpec,
    domain_names,
    domain_of_sample,
    get_domain,
    mixture,
    sample_scene,
)
from .render import Rendering, render_equirect, render_perspective
from .scene import Box, Cylinder, Light, Room, Scene, Sphere, cast
from .textures import TEXTURE_KINDS, TextureParams

__all__ = [
    "DEPTH_SCALE",
    "DOMAINS",
    "MASK_LABELS",
    "TEXTURE_KINDS",
    "Box",
    "Cylinder",
    "DomainSpec",
    "Light",
    "Rendering",
    "Room",
    "Scene",
    "Sphere",
    "SyntheticSample",
    "TextureParams",
    "cast",
    "domain_names",
    "domain_of_sample",
    "get_domain",
    "mixture",
    "render_equirect",
    "render_perspective",
    "render_sample",
    "sample_scene",
    "sample_seed",
    "synthesize",
]
