import pytest


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread) -> None:
    """These tests run on small tensors: one intra-op thread (see ``one_thread``)."""
