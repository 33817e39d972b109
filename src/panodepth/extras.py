"""The optional extras of the package and the one error for a missing one.

``pip install panodepth`` is the inference core (predict, project, eval, pseudo-label,
train-teacher, the geometry, model and I/O APIs). Extras add:

* ``train``: Lightning and TensorBoard (``panodepth fit | validate | test``, ``panodepth
  demo``, :class:`panodepth.training.DepthAnywhere` and its data module);
* ``app``: Gradio (``panodepth app``);
* ``all``: both.

:func:`require` checks that an extra's modules can be imported (without importing them) and
raises :class:`MissingExtraError` naming the install command otherwise.
"""

from __future__ import annotations

import importlib.util

EXTRAS: dict[str, tuple[str, ...]] = {
    "train": ("lightning", "tensorboard"),
    "app": ("gradio",),
}


class MissingExtraError(ImportError):
    """An optional feature whose extra is not installed; the message says how to install it."""


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]


def require(extra: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` if ``extra``'s modules are missing.

    Example:
        >>> require("train", "panodepth fit")  # doctest: +SKIP
        MissingExtraError: panodepth fit needs the 'train' extra (lightning is not
        installed): pip install 'panodepth[train]'
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; one of {sorted(EXTRAS)}")
    absent = missing(extra)
    if absent:
        raise MissingExtraError(
            f"{feature} needs the {extra!r} extra ({', '.join(absent)} "
            f"{'is' if len(absent) == 1 else 'are'} not installed): "
            f"pip install 'panodepth[{extra}]'"
        )
