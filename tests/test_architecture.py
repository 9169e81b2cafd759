"""The import table of DESIGN.md §3, enforced: who may import whom among our packages, and a few libraries
that must stay out of the core (the web framework out of sync and warehouse, HTTP clients out of warehouse)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"graduasi", "forms", "warehouse", "sync", "simulators", "webadmin"}

ALLOWED: dict[str, set[str]] = {
    "forms": set(),
    "warehouse": {"forms"},
    "sync": {"warehouse", "forms"},
    "simulators": {"forms"},
    "webadmin": {"warehouse", "forms"},
    "graduasi": OURS,
}

FORBIDDEN_LIBRARIES: dict[str, set[str]] = {
    "forms": {"flask", "sqlalchemy", "requests", "pyodk"},
    "warehouse": {"flask", "flask_login", "requests", "pyodk", "pyxform", "werkzeug"},
    "sync": {"flask", "flask_login", "werkzeug"},
    "simulators": {"flask", "sqlalchemy", "pyodk"},
    "webadmin": {"pyodk", "requests"},
}


def imported_top_levels(path: Path) -> set[str]:
    """Top-level module names imported anywhere in a file (absolute imports only; relative stay inside)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def package_files(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "node_modules" not in p.parts)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports__package__follow_design_table(package: str) -> None:
    """Should import only the packages of ours that DESIGN.md §3 allows, and none of the banned libraries."""
    problems = []
    for path in package_files(package):
        names = imported_top_levels(path)
        for name in sorted((names & OURS) - ALLOWED[package] - {package}):
            problems.append(f"{path.relative_to(ROOT)} imports {name}")
        for name in sorted(names & FORBIDDEN_LIBRARIES.get(package, set())):
            problems.append(f"{path.relative_to(ROOT)} imports library {name}")
    assert not problems, "\n".join(problems)


def test_imports__checker__catches_a_violation(tmp_path: Path) -> None:
    """Should see an import that breaks the table (so the test above can fail)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom sync.runner import run\nfrom . import x\n", encoding="utf-8")
    assert imported_top_levels(bad) == {"os", "sync"}


def test_packages__exist_with_their_layout() -> None:
    """Should keep the top-level layout that is the architecture."""
    for name in ["forms", "warehouse", "sync", "simulators", "webadmin", "tests", "bench", "graduasi"]:
        assert (ROOT / name).is_dir(), name
