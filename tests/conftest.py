"""Fixtures shared by all test packages."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op thread for modules of small tensors: on a shared 2-core machine two
    OpenMP threads competing with other processes run up to 50× slower. Restored after."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
