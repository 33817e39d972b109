"""GT : pseudo-label mixing (panodepth.data.mixing): lengths, cycling, ratios, epochs, DDP."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from panodepth.data import Augment, MixedDataset, UnlabeledPanoramas, collate_mixed


class Fake(Dataset):
    """Tiny samples that remember their index (and the augmentation key, via ``load``)."""

    def __init__(self, n: int, labeled: bool, prefix: str) -> None:
        self.n, self.labeled, self.prefix = n, labeled, prefix

    def __len__(self) -> int:
        return self.n

    def load(self, index: int, key=None) -> dict:
        s = {
            "rgb": torch.full((3, 2, 4), float(index)),
            "rgb_teacher": torch.full((3, 2, 4), float(index)),
            "roll": torch.tensor(0),
            "flip": torch.tensor(False),
            "name": f"{self.prefix}{index}",
            "key": torch.tensor(list(key) if key is not None else [-1]),
        }
        if self.labeled:
            s["depth"] = torch.ones(1, 2, 4)
            s["valid"] = torch.ones(1, 2, 4, dtype=torch.bool)
        return s

    def __getitem__(self, index: int) -> dict:
        return self.load(index)


def _unlabeled_indices(mixed, epoch):
    return [
        int(s["name"][1:]) for i in range(len(mixed)) for s in mixed.item(epoch, i)["unlabeled"]
    ]


class TestMixedDataset:
    @pytest.mark.parametrize("ratio", [1, 2, 4])
    def test_lengths_and_collated_batch_sizes(self, ratio):
        mixed = MixedDataset(Fake(6, True, "L"), Fake(10, False, "U"), ratio=ratio)
        assert len(mixed) == 6
        item = mixed[0]
        assert len(item["unlabeled"]) == ratio
        batch = collate_mixed([mixed[i] for i in range(3)])
        assert batch["labeled"]["rgb"].shape == (3, 3, 2, 4)
        assert batch["labeled"]["valid"].dtype == torch.bool
        assert batch["unlabeled"]["rgb"].shape == (3 * ratio, 3, 2, 4)
        assert batch["labeled"]["name"] == ["L0", "L1", "L2"]
        assert len(batch["unlabeled"]["name"]) == 3 * ratio
        assert "depth" not in batch["unlabeled"]

    @pytest.mark.parametrize("ratio", [1, 2, 4])
    def test_unlabeled_set_is_cycled_not_resampled(self, ratio):
        n_unl = 7
        mixed = MixedDataset(Fake(5, True, "L"), Fake(n_unl, False, "U"), ratio=ratio, seed=3)
        stream = [i for e in range(4) for i in _unlabeled_indices(mixed, e)]
        for start in range(0, len(stream) - n_unl + 1, n_unl):  # each block = a permutation
            assert sorted(stream[start : start + n_unl]) == list(range(n_unl))
        assert stream[:n_unl] != stream[n_unl : 2 * n_unl]  # new permutation each cycle

    def test_set_epoch_changes_order_and_is_deterministic(self):
        mixed = MixedDataset(Fake(4, True, "L"), Fake(40, False, "U"), ratio=2, seed=1)
        e0 = [s["name"] for s in mixed[0]["unlabeled"]]
        mixed.set_epoch(1)
        e1 = [s["name"] for s in mixed[0]["unlabeled"]]
        assert e0 != e1
        again = MixedDataset(Fake(4, True, "L"), Fake(40, False, "U"), ratio=2, seed=1)
        assert [s["name"] for s in again.item(1, 0)["unlabeled"]] == e1
        other_seed = MixedDataset(Fake(4, True, "L"), Fake(40, False, "U"), ratio=2, seed=2)
        assert _unlabeled_indices(other_seed, 0) != _unlabeled_indices(again, 0)

    def test_augmentation_keys_differ_per_epoch_and_position(self):
        mixed = MixedDataset(Fake(3, True, "L"), Fake(3, False, "U"), ratio=1, seed=5)
        a, b = mixed.item(0, 1), mixed.item(1, 1)
        assert a["labeled"]["key"].tolist() == [5, 0, 0, 1]
        assert b["labeled"]["key"].tolist() == [5, 0, 1, 1]
        assert a["unlabeled"][0]["key"].tolist() == [5, 1, 1]  # stream position 1
        assert b["unlabeled"][0]["key"].tolist() == [5, 1, 4]

    def test_unlabeled_only(self):
        mixed = MixedDataset(None, Fake(10, False, "U"), ratio=4)
        assert len(mixed) == 3  # ceil(10 / 4): one epoch covers the whole set
        assert set(mixed[0]) == {"unlabeled"}
        assert set(_unlabeled_indices(mixed, 0)) == set(range(10))
        batch = collate_mixed([mixed[0], mixed[1]])
        assert set(batch) == {"unlabeled"} and batch["unlabeled"]["rgb"].shape[0] == 8

    def test_labeled_only(self):
        mixed = MixedDataset(Fake(5, True, "L"), None, ratio=2)
        assert len(mixed) == 5 and set(mixed[4]) == {"labeled"}
        assert set(collate_mixed([mixed[0]])) == {"labeled"}

    def test_distributed_sampler_gives_disjoint_labeled_items(self):
        mixed = MixedDataset(Fake(8, True, "L"), Fake(5, False, "U"), ratio=2)
        names = []
        for rank in range(2):
            sampler = DistributedSampler(mixed, num_replicas=2, rank=rank, shuffle=True, seed=0)
            sampler.set_epoch(0)
            loader = DataLoader(mixed, batch_size=2, sampler=sampler, collate_fn=collate_mixed)
            names.append([n for batch in loader for n in batch["labeled"]["name"]])
            assert all(b["unlabeled"]["rgb"].shape[0] == 4 for b in loader)
        assert len(names[0]) == len(names[1]) == 4
        assert set(names[0]).isdisjoint(names[1])
        assert set(names[0]) | set(names[1]) == {f"L{i}" for i in range(8)}

    def test_with_real_reader_and_workers(self, tmp_path):
        for i in range(3):
            arr = np.full((8, 16, 3), 60 * i, np.uint8)
            Image.fromarray(arr).save(tmp_path / f"{i}.png")
        unl = UnlabeledPanoramas(tmp_path, height=8, augment=Augment(jitter_p=1.0))
        mixed = MixedDataset(None, unl, ratio=2, seed=0)
        direct = collate_mixed([mixed[0], mixed[1]])["unlabeled"]
        loader = DataLoader(mixed, batch_size=2, num_workers=2, collate_fn=collate_mixed)
        via_workers = next(iter(loader))["unlabeled"]
        assert direct["name"] == via_workers["name"]
        assert torch.equal(direct["rgb"], via_workers["rgb"])
        assert torch.equal(direct["roll"], via_workers["roll"])

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            ((None, None), "needs a labeled or an unlabeled"),
            ((Fake(2, True, "L"), Fake(2, False, "U"), 0), "ratio must be a positive"),
            ((Fake(0, True, "L"), None), "labeled dataset is empty"),
        ],
    )
    def test_bad_arguments(self, args, message):
        with pytest.raises(ValueError, match=message):
            MixedDataset(*args)

    def test_index_out_of_range(self):
        with pytest.raises(IndexError):
            MixedDataset(Fake(2, True, "L"), None)[2]

    def test_collate_rejects_mixed_keys(self):
        a = Fake(1, True, "L").load(0)
        b = Fake(1, False, "U").load(0)
        with pytest.raises(ValueError, match="different keys"):
            collate_mixed([{"labeled": a}, {"labeled": b}])

    def test_records_are_batched_by_their_own_collate(self):
        """A value whose type has a ``collate`` classmethod (e.g. the cached pseudo labels'
        PseudoLabels) stays one record per batch; the rest is default-collated."""

        class Record:
            def __init__(self, rows: torch.Tensor) -> None:
                self.rows = rows

            @classmethod
            def collate(cls, records):
                return cls(torch.cat([r.rows for r in records]))

        class WithRecord(Fake):
            def load(self, index, key=None):
                return {**super().load(index, key), "record": Record(torch.full((1, 2), index))}

        mixed = MixedDataset(Fake(4, True, "L"), WithRecord(6, False, "U"), ratio=2)
        batch = collate_mixed([mixed[0], mixed[1]])["unlabeled"]
        record = batch["record"]
        assert isinstance(record, Record) and record.rows.shape == (4, 2)
        names = [int(n[1:]) for n in batch["name"]]
        assert record.rows[:, 0].tolist() == names  # rows in the order of the samples
        assert batch["rgb"].shape == (4, 3, 2, 4)
