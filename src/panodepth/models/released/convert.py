"""Released state dict → panodepth student: detect the architecture, rename, check, build.

Pure functions on in-memory state dicts (reading files is :mod:`.files`' job). The mapping
is checked to be a bijection onto the student's state dict: every release weight lands on
exactly one panodepth key with the same number of values, and every panodepth key is filled;
anything else raises :class:`ReleaseFormatError` naming the keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from ..base import Student360
from ..registry import build_model
from .layouts import LAYOUTS, ReleaseLayout

DATA_PARALLEL_PREFIX = "module."


class ReleaseFormatError(ValueError):
    """A file or state dict is not a usable Depth Anywhere release checkpoint."""


@dataclass
class Conversion:
    """The result of :func:`convert_state_dict`.

    Attributes:
        arch: panodepth registry name.
        options: builder options of the student (``output``, ``head``, ``release_math`` …).
        state: the student's state dict (panodepth names and layouts).
        constants: release keys that hold constants (recomputed by panodepth).
        unused: release keys that the release never reads (trained, dropped).
        notes: what the dropped keys are, in words.
    """

    arch: str
    options: dict[str, Any]
    state: dict[str, Tensor]
    constants: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    notes: tuple[str, ...] = ()


def strip_data_parallel(state: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Drop the ``module.`` prefix that ``nn.DataParallel`` adds to every key (if all have it)."""
    if state and all(k.startswith(DATA_PARALLEL_PREFIX) for k in state):
        return {k[len(DATA_PARALLEL_PREFIX) :]: v for k, v in state.items()}
    return dict(state)


def detect_architecture(state: Mapping[str, Tensor], source: str = "state dict") -> str:
    """The panodepth name of the released architecture whose signature keys ``state`` has.

    Raises:
        ReleaseFormatError: no (or more than one) architecture matches; the message names
            the candidates and what was found.
    """
    keys = set(strip_data_parallel(state))
    found = [a for a, layout in LAYOUTS.items() if set(layout.signature) <= keys]
    if len(found) == 1:
        return found[0]
    candidates = ", ".join(f"{a} ({x.release_name})" for a, x in LAYOUTS.items())
    if not found:
        hint = ""
        if {"equi_stem.0.weight", "stem.0.weight", "encoder.0.2.qkv.weight"} & keys:
            hint = " It looks like a panodepth state dict: load it with load_student instead."
        first = sorted(keys)[:4]
        raise ReleaseFormatError(
            f"{source}: cannot tell which released architecture this is: none of "
            f"{candidates} matches its keys (first of {len(keys)}: {first}).{hint} "
            "Pass the architecture (--arch / arch=) if it is one of them."
        )
    raise ReleaseFormatError(f"{source}: keys of several architectures ({found}); pass --arch")


def convert_state_dict(
    state: Mapping[str, Tensor], arch: str | None = None, source: str = "state dict"
) -> Conversion:
    """Map a released state dict onto panodepth's student ``arch`` (detected when ``None``).

    Checks that the mapping is a bijection onto the student's state dict with matching
    shapes, and that the normalisation constants it drops are the ones panodepth applies.
    """
    state = strip_data_parallel(state)
    arch = arch or detect_architecture(state, source)
    if arch not in LAYOUTS:
        raise ReleaseFormatError(
            f"{source}: unknown released architecture {arch!r}; choose one of {sorted(LAYOUTS)}"
        )
    layout = LAYOUTS[arch]
    missing_signature = [k for k in layout.signature if k not in state]
    if missing_signature:
        raise ReleaseFormatError(
            f"{source}: not a released {layout.release_name} state dict (no {missing_signature}"
            f"; it looks like {_guess(state)})"
        )
    options = dict(layout.options)
    conv = Conversion(arch, options, {}, notes=layout.notes)
    origin: dict[str, str] = {}
    for key, value in state.items():
        kind = layout.classify(key)
        if kind == "constant":
            conv.constants.append(key)
            continue
        if kind == "unused":
            conv.unused.append(key)
            continue
        target = layout.target(key)
        if target in origin:
            raise ReleaseFormatError(
                f"{source}: {key!r} and {origin[target]!r} both map to {target!r}"
            )
        origin[target] = key
        conv.state[target] = layout.convert(key, value)
    _check_constants(layout, state, options, source)
    _check_against_student(conv, origin, source)
    return conv


def build_released(
    state: Mapping[str, Tensor], arch: str | None = None, source: str = "state dict"
) -> Student360:
    """The student of a released state dict, weights loaded strictly, in eval mode."""
    return student_of(convert_state_dict(state, arch, source))


def student_of(conv: Conversion) -> Student360:
    """The student of a :class:`Conversion`, weights loaded strictly, in eval mode."""
    model = build_model(conv.arch, **conv.options)
    model.load_state_dict(conv.state, strict=True)
    return model.eval()


def _check_constants(
    layout: ReleaseLayout, state: Mapping[str, Tensor], options: dict[str, Any], source: str
) -> None:
    if layout.arch == "unifuse":
        max_depth = float(state["max_depth"])
        if not max_depth > 0:
            raise ReleaseFormatError(f"{source}: max_depth must be positive, got {max_depth}")
        options["max_depth"] = max_depth
    if layout.arch == "hohonet":
        from panodepth.conventions import IMAGENET_MEAN, IMAGENET_STD

        for key, expected in (("x_mean", IMAGENET_MEAN), ("x_std", IMAGENET_STD)):
            got = [round(float(v), 6) for v in state[key].flatten()]
            if got != [round(v, 6) for v in expected]:
                raise ReleaseFormatError(
                    f"{source}: {key} = {got}, but panodepth's HoHoNet normalises with "
                    f"ImageNet's {list(expected)} (the release's only trained setting)"
                )


def _check_against_student(conv: Conversion, origin: dict[str, str], source: str) -> None:
    with torch.device("meta"):  # shapes only, no memory
        model = build_model(conv.arch, **conv.options)
    expected = {k: v.shape for k, v in model.state_dict().items()}
    unexpected = sorted(set(conv.state) - set(expected))
    missing = sorted(set(expected) - set(conv.state))
    if unexpected or missing:
        raise ReleaseFormatError(
            f"{source}: does not fit the released {conv.arch}: release keys without a place "
            f"{[origin[k] for k in unexpected][:5]}, panodepth keys without a value {missing[:5]}"
            f" ({len(unexpected)} and {len(missing)} in all)"
        )
    for key, shape in expected.items():
        value = conv.state[key]
        if not isinstance(value, Tensor):
            raise ReleaseFormatError(f"{source}: {origin[key]!r} is not a tensor")
        if value.shape != shape:
            raise ReleaseFormatError(
                f"{source}: {origin[key]!r} has shape {tuple(value.shape)}, the released "
                f"{conv.arch} needs {tuple(shape)} for {key!r}"
            )


def _guess(state: Mapping[str, Tensor]) -> str:
    try:
        return f"a released {LAYOUTS[detect_architecture(state)].release_name} state dict"
    except ReleaseFormatError:
        return "none of the released architectures"
