"""Markdown rendering of metric results.

Conventions: columns follow :data:`~panodepth.metrics.METRIC_NAMES` (names not in it come
after, in the dict's order), headed by their names or (``labels=True``) by
:data:`~panodepth.metrics.depth.METRIC_LABELS`; values are printed with a fixed number of
decimals.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .depth import METRIC_LABELS, METRIC_NAMES


def format_table(
    results: Mapping[str, float],
    digits: int = 4,
    header: bool = True,
    label: str | None = None,
    labels: bool = False,
) -> str:
    """Format metric results as a Markdown table row (with its header by default).

    Args:
        results: metric name → value, e.g. the output of :func:`~panodepth.metrics.evaluate`.
        digits: decimals printed.
        header: prepend the header line and the separator line.
        label: optional first column (e.g. the model name), headed "model".
        labels: head the columns "AbsRel ↓", "δ1 ↑", … (for people) instead of the names.

    Returns:
        The lines joined by newlines, without a trailing newline.

    Example:
        >>> print(format_table({"delta1": 0.9, "abs_rel": 0.08765}, digits=3))
        | abs_rel | delta1 |
        |---:|---:|
        | 0.088 | 0.900 |
    """
    if not results:
        raise ValueError("results is empty")
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be a non-negative integer, got {digits!r}")
    names = [n for n in METRIC_NAMES if n in results]
    names += [n for n in results if n not in METRIC_NAMES]
    cells = []
    for name in names:
        value = results[name]
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"results[{name!r}] must be a number, got {value!r}") from None
        cells.append("nan" if math.isnan(number) else f"{number:.{digits}f}")
    if label is not None:
        names, cells = ["model", *names], [label, *cells]
    row = "| " + " | ".join(cells) + " |"
    if not header:
        return row
    if labels:
        names = [METRIC_LABELS.get(n, n) for n in names]
    head = "| " + " | ".join(names) + " |"
    rule = "|" + "|".join(["---:"] * len(names)) + "|"
    return "\n".join((head, rule, row))
