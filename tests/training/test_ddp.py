"""Multi-process training for real: DDP through Lightning with 2 CPU processes (gloo)."""

from __future__ import annotations

import json

import pytest
import torch

from .conftest import write_config
from .test_fit import ckpt_state, run_fit


@pytest.mark.slow
def test_ddp_two_processes_share_the_data_average_the_loss_and_save_once(domains, tmp_path):
    config = write_config(tmp_path / "tiny.yaml", domains, teacher=None, max_epochs=1)
    probe = tmp_path / "probe"
    result = run_fit(
        ["--config", str(config), "--data.unlabeled", "null", "--data.val", "null",
         "--data.batch_size", "1", "--trainer.strategy", "ddp", "--trainer.devices", "2",
         "--trainer.callbacks+=tests.training.probes.RecordBatches",
         f"--trainer.callbacks.out={probe}"],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    ranks = [json.loads((probe / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2]
    seen = [{n for step in r["steps"] for n in step["names"]} for r in ranks]
    assert seen[0] and seen[1] and not seen[0] & seen[1]  # each rank its own shard
    assert seen[0] | seen[1] == {f"{i:05d}" for i in range(4)}  # together: the whole set
    for s0, s1 in zip(ranks[0]["steps"], ranks[1]["steps"], strict=True):
        mean = (s0["local_loss"] + s1["local_loss"]) / 2
        assert s0["logged_loss"] == pytest.approx(mean, rel=1e-5)  # logged = rank average
        assert s0["local_loss"] != pytest.approx(s1["local_loss"])
    # gradients were averaged: both replicas end with the same weights
    assert ranks[0]["checksum"] == pytest.approx(ranks[1]["checksum"], rel=1e-9)
    checkpoints = sorted(p.name for p in (tmp_path / "runs" / "checkpoints").iterdir())
    assert checkpoints == ["epoch=0-step=2.ckpt", "last.ckpt"]  # written once, by rank 0
    assert ckpt_state(tmp_path / "runs" / "checkpoints" / "last.ckpt")["global_step"] == 2
    assert torch.distributed.is_gloo_available()
