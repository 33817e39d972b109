"""Host reads per training step, pinned (issue 13: one validation policy).

The counts come from ``benchmarks/host_reads.py``, which wraps the ``Tensor`` methods that
hand a value to Python (``item``, ``__bool__``, ``tolist``, ``cpu``...). On a GPU each of
those calls is a device synchronisation. By default the loss and the training step read
nothing: the checks look at shapes and dtypes only. Value checks run only with the debug
switch on.

Before the change, one ``pseudo_label_loss`` call read 10 values, a training step 13, with
region masks 16, and a cube round trip 8.

``nonzero`` calls are counted apart. Their output size depends on the data, so they
synchronise too: one per uncached view sampling, for the seam and pole resampling. The
pins below are upper bounds, so sharing one sampling grid per step only makes them
smaller.
"""

from __future__ import annotations

import pytest

from panodepth.checks import debug_checks
from tests.sync_counter import host_reads


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_thread):
    """Small tensors: one intra-op thread (see tests/conftest.py)."""


# row of benchmarks/host_reads.py → (host reads, most nonzero calls) with default checks; a
# step builds the views' sampling grid once (teacher, region masks and student share it)
DEFAULT = {
    "pseudo_label_loss, one call": (0, 1),
    "training step, online teacher": (0, 1),
    "training step, online teacher + region masks": (0, 1),
    "cube round trip (cube-branch students, per scale)": (0, 0),
}


@pytest.mark.parametrize("row", DEFAULT)
def test_default_checks_read_no_values(row):
    counts = host_reads.ROWS[row]()
    reads, most_nonzero = DEFAULT[row]
    assert host_reads.total(counts) == reads, dict(counts)
    assert host_reads.shape_syncs(counts) <= most_nonzero, dict(counts)


def test_debug_checks_read_values():
    """The switch works: the same loss call reads the values it checks, once per check."""
    with debug_checks():
        loss = host_reads.loss_reads()
        cube = host_reads.cube_reads()
    # student disparity, the panorama and its rotation, range (finite, ≥ 0), planar
    # disparity, pred and target of the loss: 8 checks, one read each
    assert host_reads.total(loss) == 8, dict(loss)
    assert host_reads.total(cube) == 2, dict(cube)  # the image and the faces


def test_debug_checks_in_the_training_step():
    with debug_checks():
        counts = host_reads.step_reads(region=False, where=True)
    callers = {key.split(" ← ")[1].split(":")[0] for key in counts if " ← " in key}
    # the student's input (models/base.py), the projections, both loss terms
    assert {"base.py", "perspective.py", "projection.py", "affine.py"} <= callers, callers
    assert host_reads.total(counts) > 8


def test_counter_counts_reads_and_restores_the_methods():
    import torch

    before = torch.Tensor.item
    x = torch.ones(3)
    with host_reads.count_host_reads(where=True) as counts:
        x.sum().item()
        bool(x.any())
        x.nonzero()
    assert host_reads.total(counts) == 2 and host_reads.shape_syncs(counts) == 1
    assert any("test_host_reads.py" in key for key in counts)
    assert torch.Tensor.item is before
