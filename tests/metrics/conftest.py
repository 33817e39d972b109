import pytest
import torch


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same torch RNG state (random maps are reproducible)."""
    torch.manual_seed(0)
