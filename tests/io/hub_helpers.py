"""Helpers of the Hub tests: a repository put into a local Hugging Face cache, and output
equality of two students."""

from __future__ import annotations

import shutil
from pathlib import Path

import torch

from panodepth.models import Student360

SHA = "0123456789abcdef0123456789abcdef01234567"
"""The commit of every repository that :func:`cache_repo` writes."""


def cache_repo(cache: Path, repo_id: str, folder: Path, refs: tuple[str, ...] = ("main",)) -> Path:
    """Put ``folder``'s files into ``cache`` as ``huggingface_hub`` lays out a downloaded
    repository (``models--owner--name/snapshots/<commit>/…``, ``refs/<branch>`` holding the
    commit), so that offline loading reads them through the real download code."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / SHA
    snapshot.mkdir(parents=True)
    for file in folder.iterdir():
        shutil.copy(file, snapshot / file.name)
    (repo / "refs").mkdir()
    for ref in refs:
        (repo / "refs" / ref).write_text(SHA)
    return snapshot


def same_outputs(a: Student360, b: Student360, height: int = 64) -> bool:
    """Whether ``a`` and ``b`` give bit-identical outputs on two random panoramas."""
    x = torch.rand(2, 3, height, 2 * height, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        return torch.equal(a(x), b(x))
