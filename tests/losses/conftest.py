import pytest
import torch


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same torch RNG state (random maps are reproducible)."""
    torch.manual_seed(0)


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread) -> None:
    """These tests run on small tensors: one intra-op thread (see ``one_thread``)."""
