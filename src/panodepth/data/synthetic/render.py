"""Rendering synthetic scenes: equirect panoramas and pinhole views with exact depth.

Shading is Lambertian: procedural albedo × (ambient + Σ lights · max(0, n·l) · falloff),
clipped to [0, 1]; no shadows. Rays that hit nothing (or only beyond ``Scene.max_range``)
are sky: they get a sky gradient and are **invalid** (depth 0, mask False).

Outputs follow the project's conventions (:mod:`panodepth.geometry`): images 3×H×W in
[0, 1], depth 1×H×W in metres — range along the ray for panoramas, planar (z) depth for
pinhole views — with 0 where invalid, and a 1×H×W bool validity mask. Pinhole views of one
scene from K camera rotations at once come with a leading K axis (one ray cast for all).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from panodepth.geometry import equirect_rays, view_rays

from .scene import Hits, Scene, cast
from .textures import shade_textures


@dataclass
class Rendering:
    """One rendering; batched pinhole views (K rotations) add a leading K axis to each map."""

    rgb: Tensor  # 3×H×W in [0, 1]
    depth: Tensor  # 1×H×W metres (range for panoramas, planar for pinhole views), 0 = invalid
    valid: Tensor  # 1×H×W bool


def render_equirect(scene: Scene, height: int, width: int | None = None) -> Rendering:
    """Render an equirect panorama (W = 2·H by default) seen from ``scene.camera``."""
    width = width or 2 * height
    dirs = equirect_rays(height, width).reshape(-1, 3)
    rgb, t = shade_rays(scene, dirs, pixel_angle=2 * math.pi / width)
    return _pack(rgb, t, height, width)


def render_perspective(
    scene: Scene, fov_deg: float, size: int | Sequence[int], rotation: Tensor | None = None
) -> Rendering:
    """Render a pinhole view (camera-to-world ``rotation``) with planar depth.

    ``rotation`` is ``None`` (the camera frame), a (3, 3) matrix, or a (K, 3, 3) batch: then
    the K views are cast together and the maps are K×3×H×W, K×1×H×W and K×1×H×W.
    """
    rays = view_rays(size, fov_deg)
    h, w = rays.shape[:2]
    rays = rays.reshape(-1, 3)
    batch: tuple[int, ...] = ()
    if rotation is not None:
        if rotation.shape[-2:] != (3, 3) or rotation.ndim not in (2, 3):
            raise ValueError(f"rotation must be (3, 3) or (K, 3, 3), got {tuple(rotation.shape)}")
        batch = tuple(rotation.shape[:-2])
        rays = rays @ rotation.to(rays.dtype).mT  # (H·W, 3) or (K, H·W, 3)
    norm = torch.linalg.vector_norm(rays, dim=-1)
    pixel_angle = 2 * math.tan(math.radians(fov_deg) / 2) / w  # at the centre of the view
    rgb, t = shade_rays(scene, (rays / norm[..., None]).reshape(-1, 3), pixel_angle)
    t = t.reshape(norm.shape) / norm  # planar depth = range · cos = range / |(x, y, 1)|
    return _pack(rgb, t, h, w, batch)


def _pack(rgb: Tensor, t: Tensor, h: int, w: int, batch: tuple[int, ...] = ()) -> Rendering:
    valid = torch.isfinite(t)
    depth = torch.where(valid, t, torch.zeros_like(t))
    return Rendering(
        rgb=rgb.reshape(*batch, h, w, 3).movedim(-1, -3).contiguous(),
        depth=depth.reshape(*batch, 1, h, w),
        valid=valid.reshape(*batch, 1, h, w),
    )


def shade_rays(scene: Scene, dirs: Tensor, pixel_angle: float) -> tuple[Tensor, Tensor]:
    """Colour (N, 3) and range (N,) (inf = sky) of unit rays cast from the camera.

    ``pixel_angle`` (radians per pixel) sets each hit's texture footprint — the surface
    length one pixel covers, ``t · pixel_angle / |cos(incidence)|`` — so texture detail finer
    than a pixel fades to its mean instead of aliasing.
    """
    hits = cast(scene, dirs)
    cos_in = (hits.normal * dirs).sum(-1).abs().clamp_min(0.1)
    footprint = hits.t.clamp(max=1e4) * pixel_angle / cos_in
    albedo = shade_textures(scene.textures, hits.surface, hits.uv, footprint=footprint)
    light = _irradiance(scene, dirs, hits)
    rgb = (albedo * light).clamp(0, 1)
    sky = hits.surface < 0
    if bool(sky.any()):
        rgb = torch.where(sky[:, None], _sky(scene, dirs), rgb)
    return rgb, hits.t


def _irradiance(scene: Scene, dirs: Tensor, hits: Hits) -> Tensor:
    origin = dirs.new_tensor(scene.camera)
    p = origin + hits.t.clamp(max=1e4)[:, None] * dirs
    total = dirs.new_tensor(scene.ambient).expand_as(dirs).clone()
    for light in scene.lights:
        colour = dirs.new_tensor(light.colour)
        if light.position is not None:
            v = dirs.new_tensor(light.position) - p
            dist = torch.linalg.vector_norm(v, dim=-1, keepdim=True).clamp_min(1e-3)
            lambert = ((hits.normal * v).sum(-1, keepdim=True) / dist).clamp_min(0)
            total = total + colour * lambert / (1 + (dist / light.falloff) ** 2)
        else:
            sun = F.normalize(dirs.new_tensor(light.direction), dim=0)
            total = total + colour * (hits.normal @ sun).clamp_min(0)[:, None]
    return total


def _sky(scene: Scene, dirs: Tensor) -> Tensor:
    """Sky gradient (horizon → zenith) with a glow around the sun, for rays that hit nothing."""
    horizon, zenith = scene.sky or ((0.75, 0.82, 0.9), (0.35, 0.55, 0.85))
    elevation = (-dirs[:, 1]).clamp(0, 1).sqrt()[:, None]
    rgb = torch.lerp(dirs.new_tensor(horizon), dirs.new_tensor(zenith), elevation)
    for light in scene.lights:
        if light.position is None and light.direction is not None:
            sun = F.normalize(dirs.new_tensor(light.direction), dim=0)
            glow = (dirs @ sun).clamp_min(0) ** 64
            rgb = rgb + glow[:, None] * dirs.new_tensor(light.colour).clamp(max=1)
    return rgb.clamp(0, 1)
