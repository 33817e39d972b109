"""Cached pseudo labels: K rotations per panorama, precomputed once, drawn at training time.

Beyond the paper (which runs the teacher online every step): ``panodepth pseudo-label``
runs the teacher on K random rotations of every unlabeled panorama and stores, per panorama,
one safetensors file ``<name>.safetensors`` (``<name>``: the panorama's name from
:func:`panodepth.io.collect_inputs`, its path relative to the folder or list file it came
from, so ``panos/sub/b.png`` → ``labels/sub/b.safetensors``) with

    disparity (K, N, 1, S, S) float16   teacher disparity of each view
    valid     (K, N, 1, S, S) uint8     1 = usable pixel (masker, finite output)
    rotation  (K, 3, 3)       float32   camera-to-world rotation of each draw
    keep      (K,)            uint8     1 = enough valid pixels (masker's min_valid)
    faces     (K, N, 3, S, S) uint8     only with save_faces: the RGB views the teacher saw

and string metadata (source, projection, face size, teacher, seed). Training then draws one
of the K rotations per sample (:func:`load_pseudo_labels`) instead of running the teacher.
Every writer of this format (also the simulated teacher of :mod:`.simulated`) goes through
:func:`write_pseudo_label_file`.

Scale-out: item i is processed by rank ``i % world_size`` (``RANK`` / ``WORLD_SIZE`` from
torchrun or SLURM by default), so any number of processes or nodes can share the work
without talking to each other. Finished items are skipped (resumable) and each file is
written atomically. The draws of item ``name`` depend only on (seed, name).
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from panodepth.data.datasets.base import sample_generator
from panodepth.geometry import random_rotation
from panodepth.io.atomic import atomic_save
from panodepth.io.errors import PanoramaError
from panodepth.io.images import load_panorama
from panodepth.io.inputs import InputItem, collect_inputs

from .projection import FaceProjection, panorama_to_faces
from .pseudo_labels import PseudoLabeler, PseudoLabels


def item_name(path: Path, names: set[str]) -> str:
    """A unique output name for ``path`` (its stem, made unique with a short hash).

    Only :mod:`.simulated` still names files this way; inputs of
    :func:`precompute_pseudo_labels` are named by :func:`panodepth.io.collect_inputs`.
    """
    name = path.stem
    if name in names:
        name = f"{name}-{zlib.crc32(str(path).encode()):08x}"
    names.add(name)
    return name


def shard(items: Sequence, rank: int, world_size: int) -> list:
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, world_size), got rank={rank}, world={world_size}")
    return [item for i, item in enumerate(items) if i % world_size == rank]


def env_rank() -> tuple[int, int]:
    """(rank, world_size) from torchrun / SLURM environment variables, default (0, 1)."""
    world = int(os.environ.get("WORLD_SIZE", os.environ.get("SLURM_NTASKS", "1")))
    rank = int(os.environ.get("RANK", os.environ.get("SLURM_PROCID", "0")))
    return rank, world


@dataclass
class CacheSummary:
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "path: reason"


def precompute_pseudo_labels(
    labeler: PseudoLabeler,
    inputs: Iterable[InputItem | str | os.PathLike],
    out_dir: str | os.PathLike,
    rotations: int = 8,
    height: int | None = None,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    save_faces: bool = False,
    teacher_name: str = "",
    progress: bool = True,
) -> CacheSummary:
    """Write K = ``rotations`` pseudo-labelled draws of each panorama of this rank's shard.

    ``inputs`` are named by :func:`panodepth.io.collect_inputs` (items as given, paths by
    its rules); item ``name`` goes to ``out_dir/<name>.safetensors``.
    """
    if rotations <= 0:
        raise ValueError(f"rotations must be positive, got {rotations}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    items = [(item.name, item.path) for item in collect_inputs(inputs)]
    summary = CacheSummary()
    device = next((p.device for p in labeler.parameters()), torch.device("cpu"))
    mine = shard(items, rank, world_size)
    for name, path in tqdm(mine, desc=f"pseudo-label rank {rank}", disable=not progress):
        target = out_dir / f"{name}.safetensors"
        if target.is_file():
            summary.skipped.append(name)
            continue
        try:
            pano = load_panorama(path, height).to(device)
        except PanoramaError as err:
            summary.failed.append(str(err))
            continue
        g = torch.Generator(device=device).manual_seed(seed * 1_000_003 + zlib.crc32(name.encode()))
        rot = random_rotation(rotations, labeler.max_deg, generator=g, device=device)
        batch = pano[None].expand(rotations, -1, -1, -1)
        labels = labeler(batch, rotation=rot)
        faces = None
        if save_faces:
            faces = panorama_to_faces(batch, rot, labeler.projection)
        write_pseudo_label_file(
            target, labels, path, teacher_name, seed, labeler.max_deg, faces=faces
        )
        summary.done.append(name)
    return summary


def write_pseudo_label_file(
    target: str | os.PathLike,
    labels: PseudoLabels,
    source: str | os.PathLike,
    teacher_name: str,
    seed: int,
    max_deg: float,
    faces: torch.Tensor | None = None,
) -> Path:
    """Write the K draws of one panorama in the cache format (atomically); return the path.

    Args:
        target: the ``<name>.safetensors`` file to write.
        labels: K draws as one :class:`PseudoLabels` batch (disparity (K, N, 1, S, S), ...).
        source: the panorama's path, stored as metadata ``source`` (how
            :class:`CachedPseudoLabels` matches files to panoramas).
        teacher_name, seed, max_deg: stored as metadata ``teacher``, ``seed``, ``max_deg``.
        faces: optional (K, N, 3, S, S) RGB views in [0, 1] the teacher saw (stored as uint8).
    """
    tensors = {
        "disparity": labels.disparity.half().cpu().contiguous(),
        "valid": labels.valid.to(torch.uint8).cpu().contiguous(),
        "rotation": labels.rotation.float().cpu().contiguous(),
        "keep": labels.keep.to(torch.uint8).cpu().contiguous(),
    }
    if faces is not None:
        faces = (faces * 255).round().clamp(0, 255).to(torch.uint8)
        tensors["faces"] = faces.cpu().contiguous()
    proj = labels.projection
    meta = {
        "source": str(source),
        "projection": json.dumps(
            {
                "kind": proj.kind,
                "face_size": labels.disparity.shape[-1],
                "level": proj.level,
                "fov_deg": proj.fov,
            }
        ),
        "teacher": teacher_name,
        "seed": str(seed),
        "max_deg": str(max_deg),
    }
    blob = save(tensors, metadata=meta)
    target = Path(target)
    atomic_save(target, lambda f: f.write(blob))
    return target


def read_pseudo_label_file(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict]:
    """All K draws of a cached panorama: ``(tensors, metadata)``, checked, or a ValueError."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    except (OSError, ValueError, SafetensorError) as err:
        raise ValueError(f"{path}: not a readable pseudo-label file ({err})") from None
    missing = {"disparity", "valid", "rotation", "keep"} - set(tensors)
    if missing:
        raise ValueError(f"{path}: not a pseudo-label file (missing {sorted(missing)})")
    return tensors, meta


def projection_of(meta: dict) -> FaceProjection:
    """The :class:`FaceProjection` a cache file's views were made with."""
    proj = json.loads(meta.get("projection", "{}"))
    return FaceProjection(
        proj.get("kind", "cube"), proj.get("face_size"), proj.get("level", 0),
        proj.get("fov_deg") if proj.get("kind") == "tangent" else None,
    )  # fmt: skip


def load_pseudo_labels(
    path: str | os.PathLike, draw: int | None = None, generator: torch.Generator | None = None
) -> PseudoLabels:
    """One draw (of K) of a cached panorama as a batch-of-one :class:`PseudoLabels`.

    Args:
        draw: which of the K rotations; ``None`` picks one at random (``generator``).
    """
    tensors, meta = read_pseudo_label_file(path)
    k = tensors["rotation"].shape[0]
    if draw is None:
        draw = int(torch.randint(k, (), generator=generator))
    if not 0 <= draw < k:
        raise ValueError(f"{path}: draw {draw} out of range, the file has {k} rotations")
    return PseudoLabels(
        disparity=tensors["disparity"][draw : draw + 1].float(),
        valid=tensors["valid"][draw : draw + 1].bool(),
        rotation=tensors["rotation"][draw : draw + 1],
        keep=tensors["keep"][draw : draw + 1].bool(),
        projection=projection_of(meta),
    )


class CachedPseudoLabels(Dataset):
    """Attach one cached draw of pseudo labels to every sample of an unlabeled dataset.

    Each cache file (``*.safetensors`` anywhere below ``cache_dir``: panoramas found in
    sub-folders have their files in sub-folders) is matched to its panorama through the
    ``source`` path in its metadata (resolved, so relative and absolute spellings agree)
    against the sample's ``"path"``;
    every panorama of ``dataset`` must have a file (checked at construction, with the list of
    missing ones in the error). Which of the K draws a sample gets follows the mixing key
    (:meth:`load`), or torch's RNG when the dataset is indexed directly.

    Samples gain ``pl_disparity`` (N, 1, S, S) float16, ``pl_valid`` (N, 1, S, S) bool,
    ``pl_rotation`` (3, 3), ``pl_keep`` bool, and the projection as ``pl_kind``,
    ``pl_level``, ``pl_fov_deg``. The labels are in the frame of the *un-augmented*
    panorama: the training module un-rolls / un-flips the student's prediction first.
    """

    def __init__(self, dataset: Dataset, cache_dir: str | os.PathLike, seed: int = 0) -> None:
        cache_dir = Path(cache_dir)
        if not cache_dir.is_dir():
            raise ValueError(f"{cache_dir}: pseudo-label folder not found (panodepth pseudo-label)")
        self.dataset, self.seed = dataset, seed
        by_source: dict[str, Path] = {}
        for file in sorted(cache_dir.rglob("*.safetensors")):
            try:
                with safe_open(str(file), framework="pt") as f:
                    source = (f.metadata() or {}).get("source")
            except (OSError, SafetensorError) as err:
                raise ValueError(f"{file}: not a readable pseudo-label file ({err})") from None
            if source:
                by_source[str(Path(source).resolve())] = file
        paths = getattr(dataset, "paths", None)
        if paths is None:
            raise ValueError(
                f"{type(dataset).__name__} does not list its panoramas (.paths); "
                "cached pseudo labels need a panodepth.data reader"
            )
        self.files = [by_source.get(str(Path(p).resolve())) for p in paths]
        missing = [str(p) for p, f in zip(paths, self.files, strict=True) if f is None]
        if missing:
            raise ValueError(
                f"{cache_dir}: no pseudo labels for {len(missing)} of {len(paths)} panoramas "
                f"(e.g. {missing[:3]}); run `panodepth pseudo-label` on them first"
            )

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> dict:
        return self.load(index)

    def load(self, index: int, key: Iterable[int] | None = None) -> dict:
        """Sample ``index`` with one cached draw; ``key`` (from
        :class:`~panodepth.data.MixedDataset`) seeds both the reader's augmentation and the
        choice of the draw, so revisiting a panorama in a later cycle gives a new one."""
        load = getattr(self.dataset, "load", None)
        sample = dict(load(index, key)) if callable(load) else dict(self.dataset[index])
        tensors, meta = read_pseudo_label_file(self.files[index])
        k = tensors["rotation"].shape[0]
        if key is None:
            draw = int(torch.randint(k, ()))
        else:
            draw = int(torch.randint(k, (), generator=sample_generator(self.seed, (2, *key))))
        proj = projection_of(meta)
        sample.update(
            pl_disparity=tensors["disparity"][draw],
            pl_valid=tensors["valid"][draw].bool(),
            pl_rotation=tensors["rotation"][draw].float(),
            pl_keep=tensors["keep"][draw].bool(),
            pl_kind=proj.kind,
            pl_level=proj.level,
            pl_fov_deg=float(proj.fov),
        )
        return sample
