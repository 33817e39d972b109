"""Release-format state dicts for the tests, built from the key manifests.

``tests/models/data/release/<arch>.json`` lists every key, shape and dtype of the Depth
Anywhere release's state dict of that architecture (written from the release's own code by
``benchmarks/release_parity.py --write-manifests``). :func:`release_state` fills them with
distinct values per tensor (seeded normal noise; ``num_batches_tracked`` = the key's index),
constants with the values the release stores where panodepth checks them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import torch

from panodepth.conventions import IMAGENET_MEAN, IMAGENET_STD
from panodepth.models.released import LAYOUTS

DATA = Path(__file__).parent / "data" / "release"
ARCHES = ("unifuse", "bifusepp", "hohonet", "egformer")


@cache
def manifest(arch: str) -> tuple[tuple[str, tuple[int, ...], str], ...]:
    keys = json.loads((DATA / f"{arch}.json").read_text())["keys"]
    return tuple((k, tuple(shape), dtype) for k, shape, dtype in keys)


def release_state(arch: str, seed: int = 0) -> dict[str, torch.Tensor]:
    """A state dict in the release's format for ``arch``, distinct values per tensor."""
    layout = LAYOUTS[arch]
    gen = torch.Generator().manual_seed(seed)
    constants = {
        "max_depth": torch.tensor(10.0),
        "x_mean": torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1),
        "x_std": torch.tensor(IMAGENET_STD).view(1, 3, 1, 1),
    }
    state = {}
    for i, (key, shape, dtype) in enumerate(manifest(arch)):
        if key in constants:
            state[key] = constants[key]
        elif dtype == "int64":
            state[key] = torch.full(shape, i, dtype=torch.int64)
        elif layout.classify(key) == "constant":
            state[key] = torch.zeros(shape, dtype=getattr(torch, dtype))
        else:
            state[key] = torch.randn(shape, generator=gen)
    return state
