"""The teachers package's import structure: base at the bottom, the registry on top, no
training code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import panodepth.teachers

PACKAGE = Path(panodepth.teachers.__file__).parent


def imported_modules(name: str) -> set[str]:
    """Every module ``teachers/<name>.py`` imports (module level and inside functions),
    relative imports spelled ``.sibling``."""
    tree = ast.parse((PACKAGE / f"{name}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if module == ".":  # `from . import x`
                found.update(f".{alias.name}" for alias in node.names)
            else:
                found.add(module)
    return found


def sibling_imports(name: str) -> set[str]:
    """The modules of panodepth.teachers that ``teachers/<name>.py`` imports."""
    siblings = set()
    for module in imported_modules(name):
        if module.startswith("panodepth.teachers."):
            module = "." + module.removeprefix("panodepth.teachers.")
        if module.startswith(".") and not module.startswith(".."):
            siblings.add(module.split(".")[1])
    return siblings


def test_base_imports_nothing_from_its_siblings() -> None:
    assert sibling_imports("base") == set()
    # only the shared vocabulary of the bottom layer (output kinds)
    panodepth_imports = {m for m in imported_modules("base") if m.startswith("panodepth")}
    assert panodepth_imports <= {"panodepth.conventions"}


@pytest.mark.parametrize("name", ["depth_anything", "small"])
def test_implementations_import_only_base(name: str) -> None:
    assert sibling_imports(name) == {"base"}


def test_registry_sits_above_the_implementations() -> None:
    assert sibling_imports("registry") == {"base", "depth_anything", "small"}


def test_the_helper_sees_relative_and_lazy_imports() -> None:
    assert "transformers" in imported_modules("depth_anything")  # imported inside a function
    assert sibling_imports("__init__") >= {"base", "registry"}


@pytest.mark.slow  # a fresh interpreter: 2 s of imports
def test_importing_teachers_imports_no_training_code() -> None:
    code = (
        "import sys, panodepth.teachers; "
        "print(sorted(m for m in sys.modules if m.startswith(('panodepth.training', "
        "'panodepth.data.synthetic', 'lightning'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"
