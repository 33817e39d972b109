"""Cached pseudo labels: K rotations per panorama, precomputed once, drawn at training time.

This module owns the pseudo-label cache: its file format (:data:`FORMAT`), the one driver
that fills it from any :class:`~.pseudo_labels.LabelSource` (:func:`precompute_pseudo_labels`:
a real teacher through :class:`~.pseudo_labels.TeacherSource`, or the simulated teacher of
:mod:`.simulated` through :class:`~.simulated.SimulatedSource`), and the reader that hands
training one draw per sample (:class:`CachedPseudoLabels`).

Beyond the paper (which runs the teacher online every step): ``panodepth pseudo-label`` runs
the teacher on K random rotations of every unlabeled panorama and stores, per panorama, one
safetensors file ``<name>.safetensors`` (``<name>``: the panorama's name from
:func:`panodepth.io.collect_inputs`, its path relative to the folder or list file it came
from, so ``panos/sub/b.png`` → ``labels/sub/b.safetensors``; for a dataset, its ``names``)
with

    disparity (K, N, 1, S, S) float16   the source's disparity of each view
    valid     (K, N, 1, S, S) uint8     1 = usable pixel (masker, finite output)
    rotation  (K, 3, 3)       float32   camera-to-world rotation of each draw
    keep      (K,)            uint8     1 = enough valid pixels (masker's min_valid)
    faces     (K, N, 3, S, S) uint8     only with save_faces: the RGB views the source saw

and string metadata: ``format`` = :data:`FORMAT`, ``source`` (the panorama's path: how
:class:`CachedPseudoLabels` matches files to panoramas), ``projection`` (JSON: ``kind``,
``face_size``, and for tangent views ``level`` and ``fov_deg`` if set: what rebuilds the
views), the provenance ``teacher`` (the source's name), ``seed``, ``max_deg``, and
``settings`` (JSON, :func:`label_settings`: everything that changes the labels — the teacher's
identity with its weights' checksum (:func:`cache_tag`), its input size and dtype, the masker,
the projection, K, ``max_deg``, the height, the seed). A file without the format tag, or with
another one, is refused, naming the file.

Every draw comes back as the record the online teacher makes, a
:class:`~.pseudo_labels.PseudoLabels` (:func:`load_pseudo_labels`, a batch of one): samples of
:class:`CachedPseudoLabels` carry it as ``"pseudo_labels"``, the collate stacks them
(:meth:`PseudoLabels.collate`), and the training module uses the batch as it is.

Scale-out: item i is processed by rank ``i % world_size`` (``RANK`` / ``WORLD_SIZE`` from
torchrun or SLURM by default), so any number of processes or nodes can share the work
without talking to each other. Finished items (files of this format whose ``settings`` are
this run's) are skipped (resumable) and each file is written atomically. Files made with other
settings, or by a version that did not record them, are refused before anything is written
(:class:`CacheSettingsError`: the folder, what differs, the fix), unless ``overwrite`` asks to
relabel them. The draws of item ``name`` depend only on (seed, name).
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save
from torch import Tensor, nn
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from panodepth.data.datasets.base import DatasetError, sample_generator
from panodepth.geometry import random_rotation
from panodepth.io.atomic import atomic_save
from panodepth.io.errors import FileFormatError
from panodepth.io.images import load_panorama
from panodepth.io.inputs import InputItem, collect_inputs

from .projection import FaceProjection, panorama_to_faces
from .pseudo_labels import LabelSource, PseudoLabels
from .simulated import SimulatedSource, SimulationParams

FORMAT = "panodepth-pseudo-labels/1"
TENSORS = ("disparity", "valid", "rotation", "keep")  # every file has these
BATCH_KEYS = ("rgb", "depth", "region_valid")  # what a sample hands to a LabelSource


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
    replaced: list[str] = field(default_factory=list)  # relabelled (overwrite): also in done


class CacheSettingsError(ValueError):
    """A cache folder holds labels made with other settings (or unrecorded ones)."""


# ---------------------------------------------------------------------------- the settings


def cache_tag(source: LabelSource) -> str:
    """A source's identity in a few characters (``simulated-b1-n0.05``,
    ``synthetic-small-1a2b3c4d``): a teacher in one weights file (or a folder with a
    ``model.safetensors``) gets the file's CRC-32, so that new weights under the same name
    never count as the old ones. The demo's cache folders are named by it."""
    if isinstance(source, SimulatedSource):
        p = source.params
        tag = f"simulated-b{p.blur_sigma:g}-n{p.noise:g}"
        if p.name != SimulationParams(blur_sigma=p.blur_sigma, noise=p.noise).name:
            tag += f"-{zlib.crc32(p.name.encode()):08x}"  # other degradations than the default
        return tag
    tag = Path(source.name).name
    weights = Path(str(getattr(getattr(source, "teacher", None), "source", "")))
    if weights.is_dir():
        weights = weights / "model.safetensors"
    if weights.is_file():
        tag += f"-{zlib.crc32(weights.read_bytes()):08x}"
    return tag


_MASKER_FIELDS = ("detector_id", "segmenter_id", "text", "box_threshold", "text_threshold")


def label_settings(
    source: LabelSource, rotations: int, max_deg: float, height: int | None, seed: int
) -> dict[str, Any]:
    """What changes a panorama's cached labels, as JSON values: recorded in every cache file
    (metadata ``settings``) and compared when a run resumes into the folder."""
    teacher = getattr(source, "teacher", None)
    masker = getattr(getattr(source, "labeler", None), "masker", None)
    dtype = None
    if isinstance(teacher, nn.Module):
        dtype = next((str(p.dtype) for p in teacher.parameters()), None)
    proj = source.projection
    settings = {
        "teacher": cache_tag(source),
        "teacher_input_size": getattr(teacher, "input_size", None),
        "dtype": dtype,
        "masker": None if masker is None else {
            "kind": type(masker).__name__, "min_valid": getattr(masker, "min_valid", None),
            **{k: getattr(masker, k) for k in _MASKER_FIELDS if hasattr(masker, k)},
        },
        "projection": {"kind": proj.kind, "face_size": proj.face_size, "level": proj.level,
                       "fov_deg": proj.fov_deg},
        "rotations": int(rotations),
        "max_deg": float(max_deg),
        "height": height,
        "seed": int(seed),
    }  # fmt: skip
    return json.loads(json.dumps(settings))  # as it reads back


def _recorded_settings(path: Path) -> dict[str, Any] | None:
    """A finished file's recorded settings; None if it has none (older versions)."""
    try:
        return json.loads(read_pseudo_label_metadata(path)["settings"])
    except (KeyError, ValueError):
        return None


def _differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    keys = [k for k in new if old.get(k) != new[k]] + [k for k in old if k not in new]
    return ", ".join(f"{k} {show(old.get(k))} → {show(new.get(k))}" for k in keys)


def _check_cache_folder(out_dir: Path, targets: list[Path], settings: dict[str, Any]) -> None:
    """Refuse a folder whose finished files were made with other (or unrecorded) settings."""
    unrecorded, other = [], []
    for target in targets:
        if not is_pseudo_label_file(target):
            continue  # absent, or unfinished/foreign: labelled anew
        recorded = _recorded_settings(target)
        if recorded is None:
            unrecorded.append(target)
        elif recorded != settings:
            other.append((target, recorded))
    fix = "relabel them with --overwrite or write to another folder"
    if other:
        first, recorded = other[0]
        raise CacheSettingsError(
            f"{out_dir}: {len(other)} label files were made with other settings "
            f"({_differences(recorded, settings)}; e.g. {first.name}); {fix}"
        )
    if unrecorded:
        raise CacheSettingsError(
            f"{out_dir}: {len(unrecorded)} label files were made by an older panodepth that did "
            f"not record their settings (e.g. {unrecorded[0].name}); {fix}"
        )


# ------------------------------------------------------------------------------ the driver


@dataclass(frozen=True)
class _Item:
    name: str
    path: Path
    read: Callable[[], dict[str, Any]]  # the sample; raises FileFormatError / DatasetError


def precompute_pseudo_labels(
    source: LabelSource,
    inputs: Dataset | Iterable[InputItem | str | os.PathLike],
    out_dir: str | os.PathLike,
    rotations: int = 8,
    max_deg: float = 45.0,
    height: int | None = None,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    save_faces: bool = False,
    progress: bool = True,
    desc: str | None = None,
    overwrite: bool = False,
) -> CacheSummary:
    """Write K = ``rotations`` labelled draws of each panorama of this rank's shard.

    For every item, K random rotations (each Euler angle uniform in [−max_deg, max_deg);
    ``max_deg=0`` gives identities, the no-rotation ablation) are drawn from a generator
    seeded by (seed, name) on ``source.device``, the panorama is labelled under them by
    ``source`` (which may use the same generator) and the result is written with
    :func:`write_pseudo_label_file` to ``out_dir/<name>.safetensors``.

    Args:
        source: a :class:`~.pseudo_labels.LabelSource` (:class:`~.pseudo_labels.TeacherSource`,
            :class:`~.simulated.SimulatedSource`).
        inputs: panoramas as :func:`panodepth.io.collect_inputs` takes them (folders, list
            files, images, :class:`~panodepth.io.InputItem` s; read at ``height``), or a
            panodepth dataset **without augmentation** (its ``names`` and ``paths``; needed
            by sources that use ground truth, e.g. ``SyntheticPanoramas(root,
            labeled=True, height=h)``; train on the same files through an unlabeled reader
            wrapped in :class:`CachedPseudoLabels`).
        out_dir: the cache folder.
        height: working height of image inputs (datasets have their own).
        rank, world_size: this process takes items ``i % world_size == rank``.
        save_faces: also store the RGB views the source saw.
        progress, desc: a progress bar, and its label (default ``pseudo-label``, with the
            rank when ``world_size`` > 1).
        overwrite: relabel files made with other settings (:func:`label_settings`) or by
            versions that did not record them; without it such a folder is refused.

    Returns:
        What was done, skipped (already in the cache with these settings), replaced
        (relabelled, with ``overwrite``) and failed (unreadable inputs).

    Raises:
        CacheSettingsError: ``out_dir`` holds labels of these inputs made with other
            settings, and ``overwrite`` is off (nothing is written).
    """
    if rotations <= 0:
        raise ValueError(f"rotations must be positive, got {rotations}")
    items = _items(source, inputs, height)
    out_dir = Path(out_dir)
    if height is None and isinstance(inputs, Dataset):
        height = getattr(inputs, "height", None)  # a dataset's own working height
    settings = label_settings(source, rotations, max_deg, height, seed)
    if not overwrite:  # every rank checks every input's file: a mixed folder is refused
        _check_cache_folder(out_dir, [out_dir / f"{it.name}.safetensors" for it in items], settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = CacheSummary()
    device = source.device
    mine = shard(items, rank, world_size)
    if desc is None:
        desc = "pseudo-label" if world_size == 1 else f"pseudo-label rank {rank}/{world_size}"
    for item in tqdm(mine, desc=desc, disable=not progress, unit="pano"):
        target = out_dir / f"{item.name}.safetensors"
        finished = is_pseudo_label_file(target)
        if finished and _recorded_settings(target) == settings:
            summary.skipped.append(item.name)
            continue
        try:
            sample = item.read()
        except (FileFormatError, DatasetError) as err:
            reason = str(err)
            summary.failed.append(reason if str(item.path) in reason else f"{item.path}: {reason}")
            continue
        if source.needs_ground_truth and "depth" not in sample:
            raise ValueError(f"{item.path}: the sample has no 'depth'; pass a labeled dataset")
        g = torch.Generator(device=device)
        g.manual_seed(seed * 1_000_003 + zlib.crc32(item.name.encode()))
        rot = random_rotation(rotations, max_deg, generator=g, device=device)
        batch = {
            key: value.to(device)[None].expand(rotations, *value.shape)
            for key, value in sample.items()
            if key in BATCH_KEYS and isinstance(value, Tensor)
        }
        labels = source(batch, rot, g)
        faces = None
        if save_faces:
            grid = labels.grid
            if grid is not None and grid.image != tuple(batch["rgb"].shape[-2:]):
                grid = None
            faces = panorama_to_faces(batch["rgb"], rot, labels.projection, grid=grid)
        write_pseudo_label_file(
            target, labels, item.path, source.name, seed, max_deg, faces,
            teacher_input_size=getattr(getattr(source, "teacher", None), "input_size", None),
            settings=settings,
        )  # fmt: skip
        summary.done.append(item.name)
        if finished:
            summary.replaced.append(item.name)
    return summary


def _items(
    source: LabelSource,
    inputs: Dataset | Iterable[InputItem | str | os.PathLike],
    height: int | None,
) -> list[_Item]:
    """The named inputs of :func:`precompute_pseudo_labels`, each with its reader."""
    if not isinstance(inputs, Dataset):
        if source.needs_ground_truth:
            raise ValueError(
                f"{source.name} labels from ground truth: pass a labeled dataset without "
                "augmentation (e.g. SyntheticPanoramas(root, labeled=True)), not image files"
            )
        return [
            _Item(it.name, it.path, lambda path=it.path: {"rgb": load_panorama(path, height)})
            for it in collect_inputs(inputs)
        ]
    dataset = inputs
    kind = type(dataset).__name__
    if getattr(dataset, "augment", None) is not None:
        raise ValueError(
            f"{kind}: pseudo labels need a dataset built without augment (the cache holds "
            "labels of the un-augmented panorama)"
        )
    if source.needs_ground_truth and getattr(dataset, "labeled", True) is False:
        raise ValueError(f"{source.name} needs a labeled dataset (GT depth); {kind} is unlabeled")
    if height is not None:
        raise ValueError(f"height is for image inputs; {kind} reads at its own height")
    paths = getattr(dataset, "paths", None)
    if paths is None:
        raise ValueError(f"{kind} does not list its panoramas (.paths)")
    names = getattr(dataset, "names", None)
    if names is None:  # the io naming rule, as for image inputs
        names = [it.name for it in collect_inputs(paths)]
    return [
        _Item(name, Path(path), lambda i=i: dataset[i])  # type: ignore[index]
        for i, (name, path) in enumerate(zip(names, paths, strict=True))
    ]


# ---------------------------------------------------------------------------- the format


def write_pseudo_label_file(
    target: str | os.PathLike,
    labels: PseudoLabels,
    source: str | os.PathLike,
    teacher_name: str,
    seed: int,
    max_deg: float,
    faces: Tensor | None = None,
    teacher_input_size: int | str | None = None,
    settings: dict[str, Any] | None = None,
) -> Path:
    """Write the K draws of one panorama in the cache format (atomically); return the path.

    Args:
        target: the ``<name>.safetensors`` file to write.
        labels: K draws as one :class:`PseudoLabels` batch (disparity (K, N, 1, S, S), ...).
        source: the panorama's path, stored as metadata ``source`` (how
            :class:`CachedPseudoLabels` matches files to panoramas).
        teacher_name, seed, max_deg: stored as metadata ``teacher``, ``seed``, ``max_deg``.
        faces: optional (K, N, 3, S, S) RGB views in [0, 1] the source saw (stored as uint8).
        teacher_input_size: the size the teacher ran its views at (its ``input_size``:
            pixels, ``"auto"``, or None for the views' own size), stored as
            ``teacher_input_size``.
        settings: what made the labels (:func:`label_settings`), stored as ``settings``
            (JSON); without it a resumed run cannot count the file as done.
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
    projection: dict[str, Any] = {"kind": proj.kind, "face_size": labels.disparity.shape[-1]}
    if proj.kind == "tangent":
        projection["level"] = proj.level
        if proj.fov_deg is not None:
            projection["fov_deg"] = proj.fov_deg
    meta = {
        "format": FORMAT,
        "source": str(source),
        "projection": json.dumps(projection),
        "teacher": teacher_name,
        "seed": str(seed),
        "max_deg": str(max_deg),
        "teacher_input_size": json.dumps(teacher_input_size),
    }
    if settings is not None:
        meta["settings"] = json.dumps(settings)
    blob = save(tensors, metadata=meta)
    target = Path(target)
    atomic_save(target, lambda f: f.write(blob))
    return target


def _checked_metadata(path: Path, meta: dict[str, str] | None) -> dict[str, str]:
    meta = meta or {}
    tag = meta.get("format")
    if tag != FORMAT:
        raise ValueError(
            f"{path}: not a panodepth pseudo-label file (format {tag!r}, expected {FORMAT!r}); "
            "write it with `panodepth pseudo-label` (files of older versions: run it again)"
        )
    return meta


def read_pseudo_label_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The metadata of a cache file (its header only), checked: a ValueError naming the file
    if it is unreadable or not of :data:`FORMAT`."""
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata()
    except (OSError, ValueError, SafetensorError) as err:
        raise ValueError(f"{path}: not a readable pseudo-label file ({err})") from None
    return _checked_metadata(path, meta)


def is_pseudo_label_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a finished cache file of this format (what resuming skips)."""
    if not Path(path).is_file():
        return False
    try:
        read_pseudo_label_metadata(path)
    except ValueError:
        return False
    return True


def read_pseudo_label_file(path: str | os.PathLike) -> tuple[dict[str, Tensor], dict]:
    """All K draws of a cached panorama: ``(tensors, metadata)``, checked, or a ValueError."""
    path = Path(path)
    meta = read_pseudo_label_metadata(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            tensors = {key: f.get_tensor(key) for key in f.keys()}  # noqa: SIM118
    except (OSError, ValueError, SafetensorError) as err:
        raise ValueError(f"{path}: not a readable pseudo-label file ({err})") from None
    missing = set(TENSORS) - set(tensors)
    if missing:
        raise ValueError(f"{path}: not a pseudo-label file (missing {sorted(missing)})")
    return tensors, meta


def projection_of(meta: dict[str, str], path: str | os.PathLike = "") -> FaceProjection:
    """The :class:`FaceProjection` a cache file's views were made with (face size included)."""
    try:
        proj = json.loads(meta["projection"])
        return FaceProjection(
            proj["kind"], int(proj["face_size"]), int(proj.get("level", 0)), proj.get("fov_deg")
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path}: bad 'projection' metadata ({err!r})") from None


def load_pseudo_labels(
    path: str | os.PathLike, draw: int | None = None, generator: torch.Generator | None = None
) -> PseudoLabels:
    """One draw (of K) of a cached panorama as a batch-of-one :class:`PseudoLabels` (float
    disparity, bool validity: the record the online teacher makes). Only that draw is read.

    Args:
        draw: which of the K rotations; ``None`` picks one at random (``generator``).
    """
    path = Path(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = _checked_metadata(path, f.metadata())
            missing = set(TENSORS) - set(f.keys())
            if missing:
                raise ValueError(f"{path}: not a pseudo-label file (missing {sorted(missing)})")
            k = f.get_slice("rotation").get_shape()[0]
            if draw is None:
                draw = int(torch.randint(k, (), generator=generator))
            if not 0 <= draw < k:
                raise ValueError(f"{path}: draw {draw} out of range, the file has {k} rotations")
            part = {key: f.get_slice(key)[draw : draw + 1] for key in TENSORS}
    except (OSError, SafetensorError) as err:
        raise ValueError(f"{path}: not a readable pseudo-label file ({err})") from None
    projection = projection_of(meta, path)
    if part["disparity"].shape[-1] != projection.face_size:
        raise ValueError(
            f"{path}: views of {part['disparity'].shape[-1]} px, but the metadata says "
            f"{projection.face_size}"
        )
    return PseudoLabels(
        disparity=part["disparity"].float(),
        valid=part["valid"].bool(),
        rotation=part["rotation"].float(),
        keep=part["keep"].bool(),
        projection=projection,
    )


# ---------------------------------------------------------------------------- the reader


class CachedPseudoLabels(Dataset):
    """Attach one cached draw of pseudo labels to every sample of an unlabeled dataset.

    Each cache file (``*.safetensors`` anywhere below ``cache_dir``: panoramas found in
    sub-folders have their files in sub-folders) is matched to its panorama through the
    ``source`` path in its metadata (resolved, so relative and absolute spellings agree)
    against the dataset's ``paths``; every panorama of ``dataset`` must have a file, and
    every file must be of :data:`FORMAT` (both checked at construction; the errors name the
    missing panoramas or the bad file). Which of the K draws a sample gets follows the
    mixing key (:meth:`load`), or torch's RNG when the dataset is indexed directly.

    Samples gain ``"pseudo_labels"``: the draw as a batch-of-one
    :class:`~.pseudo_labels.PseudoLabels` (:func:`load_pseudo_labels`), which
    :func:`panodepth.data.collate_mixed` stacks into one record per batch. The labels are in
    the frame of the *un-augmented* panorama: the training module un-rolls / un-flips the
    student's prediction first.
    """

    KEY = "pseudo_labels"

    def __init__(self, dataset: Dataset, cache_dir: str | os.PathLike, seed: int = 0) -> None:
        cache_dir = Path(cache_dir)
        if not cache_dir.is_dir():
            raise ValueError(f"{cache_dir}: pseudo-label folder not found (panodepth pseudo-label)")
        self.dataset, self.seed = dataset, seed
        by_source: dict[str, Path] = {}
        for file in sorted(cache_dir.rglob("*.safetensors")):
            source = read_pseudo_label_metadata(file).get("source")
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
        g = None if key is None else sample_generator(self.seed, (2, *key))
        sample[self.KEY] = load_pseudo_labels(self.files[index], generator=g)  # type: ignore[arg-type]
        return sample
