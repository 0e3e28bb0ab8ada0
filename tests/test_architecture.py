"""The import graph of the package, computed from its source: layers without cycles, and no
package reaching into another's private names."""

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "workbench"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit(module: str) -> str:
    """The package (or top-level module) a module belongs to: ``workbench.fitting``."""
    return ".".join(module.split(".")[:2])


def imports() -> list[tuple[str, str, tuple[str, ...]]]:
    """(importing module, imported module, names imported) for every import of ``workbench``,
    at module level or inside functions."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        module = module_name(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("workbench"):
                found.append((module, node.module, tuple(alias.name for alias in node.names)))
            elif isinstance(node, ast.Import):
                found += [
                    (module, alias.name, ())
                    for alias in node.names
                    if alias.name.startswith("workbench")
                ]
    return found


def package_graph() -> dict[str, set[str]]:
    graph = defaultdict(set)
    for module, target, _ in imports():
        if unit(module) != unit(target):
            graph[unit(module)].add(unit(target))
    return graph


def cycles(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Edges that lie on a cycle: a -> b where a is reachable from b."""

    def reachable(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for after in graph.get(stack.pop(), ()):
                if after not in seen:
                    seen.add(after)
                    stack.append(after)
        return seen

    return sorted((a, b) for a in graph for b in graph[a] if a in reachable(b))


def test_the_graph_is_read_from_the_code():
    graph = package_graph()
    # Known layers, so that a broken reader cannot pass the tests below with an empty graph.
    assert "workbench.fitting" in graph["workbench.app"]
    assert "workbench.compute" in graph["workbench.runs"]
    assert {"workbench.fitting", "workbench.predict"} <= graph["workbench.backtesting"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
    ]


def test_no_package_imports_another_packages_private_names():
    private = [
        f"{module} imports {name} from {target}"
        for module, target, names in imports()
        if unit(module) != unit(target)
        for name in (*names, *target.split(".")[1:])
        if name.startswith("_")
    ]
    assert private == []


def test_packages_import_each_other_without_cycles():
    assert cycles(package_graph()) == []
