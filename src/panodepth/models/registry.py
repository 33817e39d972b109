"""Registry of the 360° students: one builder per architecture, built by name.

Builders are keyword-only functions registered with :func:`register_model` (names are unique;
a duplicate raises), in the style of ``torchvision.models``; a builder may declare the
parameter count of its default build (``params=``, documentation that the tests check)::

    model = build_model("unifuse", output="disparity")
    list_models()  # ['bifusepp', 'egformer', 'hohonet', 'pano-unet', 'unifuse']
    documented_params("unifuse")  # 30_263_281
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from panodepth.checks import did_you_mean

from .base import Student360

_BUILDERS: dict[str, Callable[..., Student360]] = {}
_PARAMS: dict[str, int] = {}
F = TypeVar("F", bound=Callable[..., Student360])


def register_model(name: str, params: int | None = None) -> Callable[[F], F]:
    """Decorator registering a student builder under ``name``; ``params``: the number of
    parameters of ``build_model(name)`` with the builder's defaults."""

    def wrap(fn: F) -> F:
        if name in _BUILDERS:
            raise ValueError(f"a model named {name!r} is already registered")
        _BUILDERS[name] = fn
        if params is not None:
            _PARAMS[name] = int(params)
        return fn

    return wrap


def documented_params(name: str) -> int | None:
    """The parameter count that the builder of ``name`` declares for its defaults (or None)."""
    get_model_builder(name)
    return _PARAMS.get(name)


def list_models() -> list[str]:
    return sorted(_BUILDERS)


def get_model_builder(name: str) -> Callable[..., Student360]:
    if name not in _BUILDERS:
        hint = did_you_mean(name, list_models())
        raise ValueError(f"unknown model {name!r}{hint}; available: {list_models()}")
    return _BUILDERS[name]


def build_model(name: str, **options: Any) -> Student360:
    """Build the student ``name`` with keyword ``options`` (``output``, ``max_depth``, ...)."""
    model = get_model_builder(name)(**options)
    model.model_name = name
    model.model_options = dict(options)
    return model
