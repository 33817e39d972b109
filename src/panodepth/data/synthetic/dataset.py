"""Synthetic RGB-D panorama datasets: one sample per (domain, seed, index), on disk or in memory.

On disk (``panodepth synth``), a dataset folder holds::

    meta.json            format, domain, size, seed, watermark probability, depth scale, masks
    list.txt             one "rgb/00000.png depth/00000.png" pair per line (the list-file
                         format of the real dataset readers; paths relative to the folder)
    rgb/00000.png        8-bit RGB
    depth/00000.png      16-bit range, DEPTH_SCALE metres per unit (1 mm), 0 = invalid (sky)
    mask/00000.png       8-bit labels: 0 valid, 1 sky, 2 watermark (see MASK_LABELS)

Sample ``i`` depends only on (domain, seed, i), so runs are reproducible and resumable: a
re-run skips samples whose three files exist, and every file is written atomically.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor
from tqdm.auto import tqdm

from panodepth.io.atomic import atomic_save
from panodepth.io.depth_png import write_depth_png
from panodepth.io.images import write_png
from panodepth.io.masks import write_mask_png

from .domains import MIXTURE_SEP, domain_of_sample, mixture, sample_scene
from .render import render_equirect
from .watermark import stamp_watermark

FORMAT = "panodepth-synthetic/1"
DEPTH_SCALE = 0.001  # metres per unit in the 16-bit depth PNGs
MASK_LABELS = {0: "valid", 1: "sky", 2: "watermark"}


@dataclass
class SyntheticSample:
    rgb: Tensor  # 3×H×W in [0, 1]
    depth: Tensor  # 1×H×W range in metres, 0 = invalid
    valid: Tensor  # 1×H×W bool (False on sky; watermarks do not change depth)
    mask: Tensor  # 1×H×W uint8 labels, MASK_LABELS


def sample_seed(domain: str, seed: int, index: int) -> int:
    """The generator seed of sample ``index`` (stable across runs and platforms)."""
    return (zlib.crc32(domain.encode()) * 1_000_003 + seed * 7_919 + index) % (2**63)


def render_sample(
    domain: str, index: int, seed: int = 0, height: int = 256, watermark_prob: float = 0.0
) -> SyntheticSample:
    """Render sample ``index`` of a synthetic domain (equirect, W = 2·H); a mixture
    ``"d1+d2+…"`` draws it from domain ``index mod n`` (:func:`~.domains.domain_of_sample`)."""
    name = domain_of_sample(domain, index)
    g = torch.Generator().manual_seed(sample_seed(name, seed, index))
    scene = sample_scene(name, g)
    r = render_equirect(scene, height)
    mask = torch.where(r.valid, 0, 1).to(torch.uint8)
    rgb = r.rgb
    if watermark_prob > 0 and float(torch.rand((), generator=g)) < watermark_prob:
        rgb, stamped = stamp_watermark(rgb, g)
        mask = torch.where(stamped, torch.full_like(mask, 2), mask)
    return SyntheticSample(rgb=rgb, depth=r.depth, valid=r.valid, mask=mask)


@dataclass(frozen=True)
class SynthConfig:
    domain: str
    height: int
    width: int
    seed: int
    watermark_prob: float


def synthesize(
    out: str | Path,
    domain: str,
    count: int,
    height: int = 256,
    seed: int = 0,
    watermark_prob: float = 0.0,
    progress: bool = True,
    desc: str | None = None,
) -> Path:
    """Write ``count`` samples of ``domain`` (a name or a mixture ``"d1+d2"``) to ``out``
    (resumable); return the list file. ``desc`` labels the progress bar."""
    name = MIXTURE_SEP.join(mixture(domain))
    if count <= 0 or height <= 0:
        raise ValueError(f"count and height must be positive, got count={count}, height={height}")
    if not 0.0 <= watermark_prob <= 1.0:
        raise ValueError(f"watermark_prob must be in [0, 1], got {watermark_prob}")
    out = Path(out)
    config = SynthConfig(name, height, 2 * height, seed, watermark_prob)
    _check_or_write_meta(out, config, count)
    names = [f"{i:05d}.png" for i in range(count)]
    todo = [i for i, n in enumerate(names) if not _done(out, n)]
    for i in tqdm(todo, desc=desc or f"synth {name}", disable=not progress, unit="pano"):
        s = render_sample(name, i, seed, height, watermark_prob)
        write_mask_png(out / "mask" / names[i], s.mask)
        write_depth_png(out / "depth" / names[i], s.depth, DEPTH_SCALE)
        write_png(out / "rgb" / names[i], s.rgb)  # last: its presence marks the sample done
    listing = "".join(f"rgb/{n} depth/{n}\n" for n in names)
    atomic_save(out / "list.txt", lambda f: f.write(listing.encode()))
    return out / "list.txt"


def finished_samples(out: str | Path, count: int) -> int:
    """How many of the first ``count`` samples of a ``synthesize`` folder are complete."""
    return sum(_done(Path(out), f"{i:05d}.png") for i in range(count))


def _done(out: Path, name: str) -> bool:
    return all((out / sub / name).is_file() for sub in ("mask", "depth", "rgb"))


def _check_or_write_meta(out: Path, config: SynthConfig, count: int) -> None:
    meta_path = out / "meta.json"
    if meta_path.is_file():
        try:
            old = json.loads(meta_path.read_text())
        except json.JSONDecodeError as err:
            raise ValueError(f"{meta_path}: not valid JSON ({err})") from None
        theirs = {k: old.get(k) for k in asdict(config)}
        if old.get("format") != FORMAT or theirs != asdict(config):
            raise ValueError(
                f"{out} holds a dataset made with other settings ({theirs}); "
                f"requested {asdict(config)}: use another folder"
            )
    meta = {
        "format": FORMAT,
        **asdict(config),
        "count": count,
        "list": "list.txt",
        "depth": {"kind": "range", "scale_m": DEPTH_SCALE, "invalid": 0, "dtype": "uint16"},
        "mask": {str(k): v for k, v in MASK_LABELS.items()},
    }
    text = json.dumps(meta, indent=2)
    atomic_save(meta_path, lambda f: f.write(text.encode()))
