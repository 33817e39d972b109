"""The data side of the recipe as a LightningDataModule: labeled + unlabeled mixing, eval sets.

* Training batches are :class:`~panodepth.data.MixedDataset` items collated by
  :func:`~panodepth.data.collate_mixed`: ``batch_size`` labeled panoramas and
  ``ratio · batch_size`` unlabeled ones per step (1:1 in the paper); one epoch is one pass
  over the labeled set while the unlabeled set is cycled (an unlabeled-only run makes one
  epoch one pass over the unlabeled set).
* Cached pseudo labels (``pseudo_labels``: a folder written by ``panodepth pseudo-label``)
  are attached to the unlabeled samples by :class:`~panodepth.distill.CachedPseudoLabels`;
  without it, the module needs an online teacher.
* Validation / test sets are plain labeled datasets, batched ``eval_batch_size`` at a time.

Epochs and ranks: the training sampler (:class:`EpochSampler`) is a
:class:`~torch.utils.data.DistributedSampler` (one shard per rank, reshuffled every epoch
from ``seed``; Lightning calls its ``set_epoch``) that tags every index with its epoch, so
which unlabeled panoramas an item draws depends only on (seed, epoch, index) — the same in
every worker process and on every rank, and different across ranks.
"""

from __future__ import annotations

from collections.abc import Iterator

import lightning as L
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from panodepth.data import MixedDataset, collate_mixed
from panodepth.distill import CachedPseudoLabels


class EpochSampler(DistributedSampler):
    """A DistributedSampler whose indices carry the epoch: ``epoch · len(dataset) + index``."""

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)  # type: ignore[arg-type]
        return (self.epoch * n + i for i in super().__iter__())


class EpochIndexed(Dataset):
    """A :class:`MixedDataset` read with the epoch-tagged indices of :class:`EpochSampler`."""

    def __init__(self, mixed: MixedDataset) -> None:
        self.mixed = mixed

    def __len__(self) -> int:
        return len(self.mixed)

    def __getitem__(self, index: int) -> dict:
        epoch, i = divmod(index, len(self.mixed))
        return self.mixed.item(epoch, i)


class PanoramaDataModule(L.LightningDataModule):
    """Labeled, unlabeled, validation and test panoramas for :class:`DepthAnywhere`.

    Args:
        labeled: a labeled dataset (``panodepth.data.Matterport3D``, ``Stanford2D3D``,
            ``Structured3D``, ``ListDataset``, ``SyntheticPanoramas``), or ``None``.
        unlabeled: an unlabeled dataset (``UnlabeledPanoramas``, ``SyntheticPanoramas`` with
            ``labeled: false``, or any labeled one: its depth is then not used), or ``None``.
        val, test: labeled datasets for ``validate`` / ``test`` and per-epoch validation.
        pseudo_labels: folder of cached pseudo labels for the unlabeled panoramas.
        ratio: unlabeled panoramas per labeled one in a step (1, 2, 4, ...).
        batch_size: labeled panoramas per step and process (the unlabeled ones come on top).
        eval_batch_size: panoramas per validation / test step.
        num_workers: data loader worker processes per training process.
        seed: shuffling and augmentation seed.
        height: working height of every dataset (W = 2·H); ``None``: each dataset's own.
        max_depth: GT valid in (0, max_depth] m for every dataset; ``None``: each dataset's
            own. ``panodepth fit`` links it to ``model.max_depth`` (one value for both, so a
            model trained to 20 m never sees ground truth clipped at a dataset's 10 m).
    """

    def __init__(
        self,
        labeled: Dataset | None = None,
        unlabeled: Dataset | None = None,
        val: Dataset | None = None,
        test: Dataset | None = None,
        pseudo_labels: str | None = None,
        ratio: int = 1,
        batch_size: int = 2,
        eval_batch_size: int = 1,
        num_workers: int = 2,
        seed: int = 0,
        height: int | None = None,
        max_depth: float | None = None,
    ) -> None:
        super().__init__()
        if labeled is None and unlabeled is None:
            raise ValueError("the data module needs a labeled or an unlabeled dataset to train")
        if ratio < 1:
            raise ValueError(f"ratio must be a positive integer, got {ratio}")
        if height is not None and (isinstance(height, bool) or height < 32 or height % 32):
            raise ValueError(f"height must be a multiple of 32 (≥ 32), got {height!r}")
        if max_depth is not None and not max_depth > 0:
            raise ValueError(f"max_depth must be a positive number of metres, got {max_depth!r}")
        for dataset in (labeled, unlabeled, val, test):
            if dataset is None:
                continue
            if height is not None and hasattr(dataset, "height"):
                dataset.height = int(height)
            if max_depth is not None and hasattr(dataset, "max_depth"):
                dataset.max_depth = float(max_depth)
        if pseudo_labels is not None and unlabeled is not None:
            unlabeled = CachedPseudoLabels(unlabeled, pseudo_labels, seed=seed)
        self.labeled, self.unlabeled = labeled, unlabeled
        self.val, self.test = val, test
        self.ratio, self.batch_size = ratio, batch_size
        self.eval_batch_size, self.num_workers, self.seed = eval_batch_size, num_workers, seed

    def _loader(self, dataset: Dataset, batch_size: int, **kwargs: object) -> DataLoader:
        return DataLoader(
            dataset,
            batch_size=batch_size,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            **kwargs,
        )

    def train_dataloader(self) -> DataLoader:
        mixed = MixedDataset(self.labeled, self.unlabeled, ratio=self.ratio, seed=self.seed)
        world, rank = 1, 0
        if self.trainer is not None:
            world, rank = self.trainer.world_size, self.trainer.global_rank
        sampler = EpochSampler(mixed, num_replicas=world, rank=rank, shuffle=True, seed=self.seed)
        return self._loader(
            EpochIndexed(mixed),
            self.batch_size,
            sampler=sampler,
            collate_fn=collate_mixed,
            drop_last=True,
        )

    def _eval_loader(self, dataset: Dataset | None, stage: str) -> DataLoader:
        if dataset is None:
            raise ValueError(f"no {stage} dataset: set data.{stage} in the config")
        return self._loader(dataset, self.eval_batch_size, shuffle=False)

    def val_dataloader(self) -> DataLoader | list:
        return [] if self.val is None else self._eval_loader(self.val, "val")

    def test_dataloader(self) -> DataLoader:
        return self._eval_loader(self.test, "test")
