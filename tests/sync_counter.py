"""``benchmarks/host_reads.py`` as a module the tests can import (``benchmarks`` is no package).

It counts the ``Tensor`` calls that read values back to the host (a device sync each on a
GPU): ``count_host_reads``, ``total``, ``shape_syncs`` and the benchmark's rows ``ROWS``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "host_reads.py"
_SPEC = importlib.util.spec_from_file_location("host_reads", _PATH)
host_reads = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(host_reads)

count_host_reads = host_reads.count_host_reads
total = host_reads.total
shape_syncs = host_reads.shape_syncs
