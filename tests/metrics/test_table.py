"""Tests of panodepth.metrics.table: Markdown rendering."""

import math

import pytest

from panodepth.metrics import METRIC_NAMES, format_table


def test_header_and_row_in_canonical_order():
    text = format_table({"delta1": 0.9, "abs_rel": 0.08765}, digits=3)
    assert text.splitlines() == ["| abs_rel | delta1 |", "|---:|---:|", "| 0.088 | 0.900 |"]


def test_row_only_with_label_and_all_metrics():
    results = {name: 0.5 for name in reversed(METRIC_NAMES)}
    row = format_table(results, header=False, label="UniFuse")
    assert row == "| UniFuse | " + " | ".join(["0.5000"] * len(METRIC_NAMES)) + " |"
    head = format_table(results, label="UniFuse").splitlines()[0]
    assert head == "| model | " + " | ".join(METRIC_NAMES) + " |"


def test_nan_and_extra_keys():
    text = format_table({"n_images": 3, "abs_rel": math.nan}, digits=2)
    assert text.splitlines()[0] == "| abs_rel | n_images |"
    assert text.splitlines()[2] == "| nan | 3.00 |"


def test_bad_input():
    with pytest.raises(ValueError, match="empty"):
        format_table({})
    with pytest.raises(ValueError, match="must be a number"):
        format_table({"abs_rel": "low"})
    with pytest.raises(ValueError, match="digits"):
        format_table({"abs_rel": 0.1}, digits=-1)


def test_labels_head_the_columns_for_people():
    head = format_table({"delta1": 0.9, "abs_rel": 0.1, "n_images": 3}, labels=True)
    assert head.splitlines()[0] == "| AbsRel ↓ | δ1 ↑ | n_images |"
