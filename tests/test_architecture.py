"""The package's shape: layers that only import downwards, no import cycle, one floor.

The layers contract lives in pyproject.toml ([tool.importlinter]) and is checked here
by import-linter itself, so `make test` fails on an upward import, whether at module
level or inside a function. The cycle check covers what a layers contract cannot:
modules of one layer importing each other round in a circle.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import grimp
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "riskalloc"


def test_the_layers_contract_holds(capsys) -> None:
    status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    printed = capsys.readouterr().out
    assert "riskalloc layers (ARCHITECTURE.md) KEPT" in printed, printed
    assert status == 0, printed


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return components


def test_no_module_imports_round_in_a_cycle() -> None:
    # grimp's graph includes imports made inside functions, so a cycle hidden by a
    # function-level import is found too.
    graph = grimp.build_graph("riskalloc")
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("p.a", "p.b", "p.c"):
        graph.add_module(module)
    graph.add_import(importer="p.a", imported="p.b")
    graph.add_import(importer="p.b", imported="p.c")
    graph.add_import(importer="p.c", imported="p.a")
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_the_floor_imports_nothing_of_riskalloc_but_itself() -> None:
    for path in sorted((PACKAGE / "core").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                name = node.module
            elif isinstance(node, ast.Import):
                name = node.names[0].name
            else:
                continue
            if name.startswith("riskalloc"):
                assert name.startswith("riskalloc.core"), f"{path.name} imports {name}"


def test_each_shared_constant_has_one_definition() -> None:
    # Periods a year, the default costs and the event windows are defined in core only.
    patterns = (
        "PERIODS_PER_YEAR = ",
        "DEFAULT_COSTS_BPS = ",
        '"2008 crisis": (',
        "def daily_rate(",
    )
    found: dict[str, list[str]] = {pattern: [] for pattern in patterns}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        for pattern in patterns:
            if pattern in text:
                found[pattern].append(str(path.relative_to(PACKAGE)))
    assert found["PERIODS_PER_YEAR = "] == ["core/_calendar.py"]
    assert found["DEFAULT_COSTS_BPS = "] == ["core/_calendar.py"]
    assert found['"2008 crisis": ('] == []
    assert found["def daily_rate("] == ["core/_calendar.py"]
    # No other module names its own count of days a year.
    import re

    own_year = [
        str(path.relative_to(PACKAGE))
        for path in sorted(PACKAGE.rglob("*.py"))
        if re.search(r"^[A-Z_]+ = 252\b", path.read_text(), flags=re.MULTILINE)
    ]
    assert own_year == ["core/_calendar.py"]
