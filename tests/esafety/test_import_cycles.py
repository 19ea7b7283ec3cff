"""
No module of the project imports, even from inside a function, a module that leads back to it: a
renderer that needs a service, or a service that needs a view, is a module doing two jobs.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("esafety", "incidents", "consents", "filtering", "devices")


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                parts = list(path.relative_to(ROOT).with_suffix("").parts)
                modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(name: str, path: Path, modules: dict) -> set[str]:
    """Our modules that `name` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from a import b`: b is a module (a.b) or a name in a.
            targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        found.update(target for target in targets if target in modules and target != name)
    return found


MODULES = _modules()
GRAPH = {name: _imports(name, path, MODULES) for name, path in MODULES.items()}


def _path_back(start: str) -> list[str] | None:
    """A chain of imports from `start` back to itself, if there is one."""
    seen, stack = set(), [(start, [start])]
    while stack:
        module, chain = stack.pop()
        for target in GRAPH[module]:
            if target == start:
                return [*chain, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*chain, target]))
    return None


@pytest.mark.parametrize("module", sorted(MODULES))
def test_the_module_is_in_no_import_cycle(module):
    chain = _path_back(module)
    assert chain is None, " → ".join(chain)
