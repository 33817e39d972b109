"""GT : pseudo-label mixing: labeled and unlabeled panoramas in one map-style dataset.

:class:`MixedDataset` item ``i`` holds labeled sample ``i`` and ``ratio`` unlabeled samples
(REFERENCE: 1:1 in the paper, 1:2 and 1:4 in its ablation); :func:`collate_mixed` batches
items into ``{"labeled": batch, "unlabeled": batch of B·ratio}``.

Conventions:
    * One epoch is one pass over the labeled set: ``len = len(labeled)``. Without a labeled
      set, one epoch is one pass over the unlabeled set: ``len = ceil(len(unlabeled) / ratio)``
      and items carry only ``"unlabeled"``; without an unlabeled set, only ``"labeled"``.
    * The unlabeled set is *cycled*, not re-sampled: positions ``0, 1, 2, ...`` of an endless
      stream are the concatenation of permutations ``π_0, π_1, ...`` of the unlabeled set,
      ``π_c`` seeded by ``(seed, c)``; item ``i`` of epoch ``e`` takes positions
      ``(e·N + i)·ratio ... (e·N + i)·ratio + ratio - 1`` (``N = len(self)``). So every
      unlabeled panorama is used once before any is used twice, and ``set_epoch`` (or
      :meth:`MixedDataset.item`) moves on to other ones.
    * Deterministic per ``(seed, epoch, index)`` — no global RNG — so the dataset works with
      any sampler (``DistributedSampler`` included) and any number of DataLoader workers.
      With persistent workers, pass the epoch in the index (:meth:`MixedDataset.item`), as
      ``panodepth.training``'s epoch sampler does; ``set_epoch`` in the main process does
      not reach them.
    * Augmentation keys: samples are read with ``dataset.load(index, key)`` when the dataset
      has it (the :mod:`panodepth.data.datasets` readers): labeled key
      ``(seed, 0, epoch, i)``, unlabeled key ``(seed, 1, position)``, so a panorama revisited
      in a later cycle gets a fresh augmentation. Datasets without ``load`` are indexed
      normally (their own randomness applies).
    * Batching (:func:`collate_samples`): tensors are stacked, strings listed, and a value
      whose type has a ``collate`` classmethod (a *record* such as the cached pseudo labels'
      :class:`panodepth.distill.PseudoLabels`) is batched by it, so records stay records.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import Dataset, default_collate

from .datasets.base import sample_generator

LABELED_STREAM = 0
UNLABELED_STREAM = 1


class MixedDataset(Dataset):
    """Labeled samples with ``ratio`` unlabeled ones each (see the module docstring).

    Args:
        labeled: a labeled dataset or ``None``.
        unlabeled: an unlabeled dataset (or any dataset whose labels are ignored) or ``None``.
        ratio: unlabeled samples per item (≥ 1).
        seed: seed of the unlabeled permutations and the augmentation keys.
    """

    def __init__(
        self,
        labeled: Dataset | None,
        unlabeled: Dataset | None,
        ratio: int = 1,
        seed: int = 0,
    ) -> None:
        if labeled is None and unlabeled is None:
            raise ValueError("MixedDataset needs a labeled or an unlabeled dataset")
        if isinstance(ratio, bool) or int(ratio) != ratio or ratio < 1:
            raise ValueError(f"ratio must be a positive integer, got {ratio!r}")
        if seed < 0:
            raise ValueError(f"seed must be non-negative, got {seed}")
        for name, ds in (("labeled", labeled), ("unlabeled", unlabeled)):
            if ds is not None and len(ds) == 0:  # type: ignore[arg-type]
                raise ValueError(f"the {name} dataset is empty")
        self.labeled, self.unlabeled = labeled, unlabeled
        self.ratio, self.seed = int(ratio), int(seed)
        self.epoch = 0
        self._perms: dict[int, list[int]] = {}

    def __len__(self) -> int:
        if self.labeled is not None:
            return len(self.labeled)  # type: ignore[arg-type]
        return math.ceil(len(self.unlabeled) / self.ratio)  # type: ignore[arg-type]

    def set_epoch(self, epoch: int) -> None:
        """Make ``dataset[i]`` return item ``i`` of ``epoch``."""
        self.epoch = int(epoch)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.item(self.epoch, index)

    def item(self, epoch: int, index: int) -> dict[str, Any]:
        """Item ``index`` of ``epoch``: ``{"labeled": sample, "unlabeled": [ratio samples]}``."""
        n = len(self)
        if not 0 <= index < n:
            raise IndexError(f"index {index} out of range for {n} items")
        if epoch < 0:
            raise ValueError(f"epoch must be non-negative, got {epoch}")
        out: dict[str, Any] = {}
        if self.labeled is not None:
            key = (self.seed, LABELED_STREAM, epoch, index)
            out["labeled"] = _fetch(self.labeled, index, key)
        if self.unlabeled is not None:
            start = (epoch * n + index) * self.ratio
            out["unlabeled"] = [
                _fetch(self.unlabeled, self.unlabeled_index(p), (self.seed, UNLABELED_STREAM, p))
                for p in range(start, start + self.ratio)
            ]
        return out

    def unlabeled_index(self, position: int) -> int:
        """Index into the unlabeled set of ``position`` in the endless cycled stream."""
        size = len(self.unlabeled)  # type: ignore[arg-type]
        cycle, offset = divmod(position, size)
        return self._permutation(cycle, size)[offset]

    def _permutation(self, cycle: int, size: int) -> list[int]:
        perm = self._perms.get(cycle)
        if perm is None:
            g = sample_generator(self.seed, (UNLABELED_STREAM, cycle))
            perm = torch.randperm(size, generator=g).tolist()
            if len(self._perms) >= 4:  # a small per-instance cache: items walk forward
                self._perms.pop(next(iter(self._perms)))
            self._perms[cycle] = perm
        return perm


def collate_mixed(items: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Batch :class:`MixedDataset` items.

    Returns:
        ``{"labeled": batch of B samples, "unlabeled": batch of B·ratio samples}`` (a key
        only when the items have it). Tensors are stacked (``default_collate``), strings
        such as ``"name"`` become lists. Unlabeled samples of item ``b`` are rows
        ``b·ratio ... b·ratio + ratio - 1``.
    """
    if not items:
        raise ValueError("collate_mixed got no items")
    out: dict[str, dict[str, Any]] = {}
    if "labeled" in items[0]:
        out["labeled"] = collate_samples([it["labeled"] for it in items])
    if "unlabeled" in items[0]:
        out["unlabeled"] = collate_samples([s for it in items for s in it["unlabeled"]])
    return out


def collate_samples(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``default_collate`` of sample dicts, with a clear error when their keys differ.

    Values whose type has a ``collate`` classmethod (records) are batched by it:
    ``type(value).collate([the samples' values])``.
    """
    keys = set(samples[0])
    for s in samples[1:]:
        if set(s) != keys:
            raise ValueError(
                f"cannot batch samples with different keys: {sorted(keys)} vs {sorted(set(s))} "
                f"(sample {s.get('name', '?')!r})"
            )
    records = [key for key, value in samples[0].items() if _is_record(value)]
    if not records:
        return default_collate(list(samples))
    batch = default_collate([{k: v for k, v in s.items() if k not in records} for s in samples])
    for key in records:
        batch[key] = type(samples[0][key]).collate([s[key] for s in samples])
    return batch


def _is_record(value: object) -> bool:
    return callable(getattr(type(value), "collate", None))


def _fetch(dataset: Dataset, index: int, key: tuple[int, ...]) -> dict:
    load = getattr(dataset, "load", None)
    return load(index, key) if callable(load) else dataset[index]
