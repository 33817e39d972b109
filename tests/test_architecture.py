"""Import arrows between packages are the ones ARCHITECTURE.md allows (tools/check_imports.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

TOOL = Path(__file__).parents[1] / "tools" / "check_imports.py"


def load_tool():
    spec = importlib.util.spec_from_file_location("check_imports", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_import_arrows_match_architecture_md():
    tool = load_tool()
    assert tool.problems() == []


def test_the_checker_sees_lazy_relative_and_package_imports(tmp_path):
    tool = load_tool()
    pkg = tmp_path / "src" / "panodepth"
    (pkg / "alpha").mkdir(parents=True)
    (pkg / "alpha" / "__init__.py").write_text("from . import beta_mod\n")
    (pkg / "alpha" / "beta_mod.py").write_text(
        "from panodepth import checks\n\ndef f():\n    from ..gamma import x\n"
    )
    tool.SRC = pkg
    tool.ROOT = tmp_path
    found = {m for m, _ in tool.imports_of(pkg / "alpha" / "beta_mod.py")}
    assert found == {"panodepth.checks", "panodepth.gamma"}
    assert {m for m, _ in tool.imports_of(pkg / "alpha" / "__init__.py")} == {
        "panodepth.alpha.beta_mod"
    }
    arrows = tool.actual_arrows()
    assert set(arrows["alpha"]) == {"checks", "gamma"}
    doc = tmp_path / "A.md"
    doc.write_text("x\n```imports\nalpha: checks  # a comment\ngamma: -\n```\n")
    assert tool.allowed_arrows(doc) == {"alpha": {"checks"}, "gamma": set()}
