import pytest
import torch

from panodepth.checks import debug_checks as _debug_checks


@pytest.fixture(autouse=True)
def _seed() -> None:
    """Every test starts from the same torch RNG state (random images are reproducible)."""
    torch.manual_seed(0)


@pytest.fixture
def debug_checks():
    """Run the test with the hot-path value checks on (``panodepth.checks.debug_checks``)."""
    with _debug_checks():
        yield


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread) -> None:
    """These tests run on small tensors: one intra-op thread (see ``one_thread``)."""
