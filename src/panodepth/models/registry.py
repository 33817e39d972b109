"""Registry of the 360° students: one builder per architecture, built by name.

Builders are keyword-only functions registered with :func:`register_model` (names are unique;
a duplicate raises), in the style of ``torchvision.models``::

    model = build_model("unifuse", output="disparity")
    list_models()  # ['bifusepp', 'egformer', 'hohonet', 'unifuse'] as they are added
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from .base import Student360

_BUILDERS: dict[str, Callable[..., Student360]] = {}
F = TypeVar("F", bound=Callable[..., Student360])


def register_model(name: str) -> Callable[[F], F]:
    """Decorator registering a student builder under ``name``."""

    def wrap(fn: F) -> F:
        if name in _BUILDERS:
            raise ValueError(f"a model named {name!r} is already registered")
        _BUILDERS[name] = fn
        return fn

    return wrap


def list_models() -> list[str]:
    return sorted(_BUILDERS)


def get_model_builder(name: str) -> Callable[..., Student360]:
    if name not in _BUILDERS:
        raise ValueError(f"unknown model {name!r}; available: {list_models()}")
    return _BUILDERS[name]


def build_model(name: str, **options: Any) -> Student360:
    """Build the student ``name`` with keyword ``options`` (``output``, ``max_depth``, ...)."""
    model = get_model_builder(name)(**options)
    model.model_name = name
    model.model_options = dict(options)
    return model
