"""Check panodepth's import arrows against the table in ARCHITECTURE.md.

ARCHITECTURE.md holds, in a fenced block tagged ``imports``, one line per package:
``package: allowed packages …`` (``-`` for none). This script reads every module under
``src/panodepth`` with :mod:`ast` (module-level *and* lazy imports inside functions, absolute
and relative), maps each import to the first-level package it lands in
(``panodepth.geometry.cube`` → ``geometry``; a top-level module such as ``checks.py`` is a
package of its own), and reports every arrow the table does not allow, with file and line,
and every table row that names a package that does not exist.

    python tools/check_imports.py            # exit status 1 on a disallowed arrow
    python tools/check_imports.py --arrows   # print the arrows as they are

``tests/test_architecture.py`` runs it in the test suite.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "panodepth"
DOC = ROOT / "ARCHITECTURE.md"


def package_of(module: str) -> str | None:
    """First-level package of a dotted panodepth module (None outside panodepth)."""
    parts = module.split(".")
    if parts[0] != "panodepth" or len(parts) < 2:
        return None
    return parts[1]


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(absolute module, line) of every import in ``path``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if node.module is None or target == "panodepth":  # `from . import x`: modules
                found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names]
            else:
                found.append((target, node.lineno))
    return found


def actual_arrows() -> dict[str, dict[str, list[str]]]:
    """package → imported package → ["file:line", …] (imports within a package excluded)."""
    arrows: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(SRC.rglob("*.py")):
        source = package_of(module_name(path))
        if source in (None, "__main__"):  # panodepth/__init__.py, python -m panodepth
            continue
        for module, line in imports_of(path):
            target = package_of(module)
            if target is not None and target != source:
                arrows[source][target].append(f"{path.relative_to(ROOT)}:{line}")
    return arrows


def allowed_arrows(doc: Path = DOC) -> dict[str, set[str]]:
    """The ``imports`` block of ARCHITECTURE.md as package → allowed packages."""
    match = re.search(r"```imports\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    if match is None:
        raise SystemExit(f"{doc}: no ```imports block")
    table: dict[str, set[str]] = {}
    for raw in match[1].splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, rest = line.partition(":")
        table[name.strip()] = {p for p in rest.split() if p != "-"}
    return table


def packages() -> set[str]:
    names = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    names |= {p.stem for p in SRC.glob("*.py") if p.name not in ("__init__.py", "__main__.py")}
    return names


def problems() -> list[str]:
    table, arrows, known = allowed_arrows(), actual_arrows(), packages()
    out = []
    for name in sorted(set(table) - known):
        out.append(f"ARCHITECTURE.md names a package that does not exist: {name}")
    for name in sorted(known - set(table)):
        out.append(f"ARCHITECTURE.md has no row for the package {name}")
    for name, targets in table.items():
        for target in sorted(targets - known):
            out.append(f"ARCHITECTURE.md: {name} may import {target}, which does not exist")
    for source, targets in sorted(arrows.items()):
        for target, where in sorted(targets.items()):
            if target not in table.get(source, set()):
                out.append(f"{source} → {target} is not allowed: {', '.join(where[:3])}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arrows", action="store_true", help="print the arrows as they are")
    args = parser.parse_args()
    if args.arrows:
        for source, targets in sorted(actual_arrows().items()):
            print(f"{source}: {' '.join(sorted(targets))}")
        return 0
    found = problems()
    for line in found:
        print(line)
    if not found:
        print("import arrows match ARCHITECTURE.md")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
