"""The house's shape, checked on the code: who may import whom inside ``opendal_lab``.

Read from the source with ``ast`` (nothing is imported), every import counts, also one inside
a function; only those under ``if TYPE_CHECKING:`` are left out, since they never run.

- core (types, the operator, the registry and the critical layers) imports nothing from
  the optional layers, the services or the faces;
- no module imports the top package ``opendal_lab`` (the facade is for users);
- the modules import one another without a cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "opendal_lab"
OUTSIDE_CORE = (
    "opendal_lab.layers",
    "opendal_lab.services",
    "opendal_lab.fsspec",
    "opendal_lab.datasource",
    "opendal_lab.widgets",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            for child in node.orelse:
                yield from _import_nodes(child)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _import_nodes(node)


def imports_of(module: str) -> set[str]:
    """The ``opendal_lab`` modules ``module`` imports (``from pkg import sub`` names ``sub``)."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            base = f"{anchor}.{base}" if base else anchor
        submodules = {f"{base}.{a.name}" for a in node.names} & MODULES.keys()
        found.update(submodules)
        if len(submodules) < len(node.names):  # some name is defined in the module itself
            found.add(base)
    return {name for name in found if name in MODULES}


GRAPH = {module: imports_of(module) for module in MODULES}


def test_the_graph_was_read() -> None:
    assert "opendal_lab.core.operator" in GRAPH
    assert "opendal_lab.core.layers.simulate" in GRAPH["opendal_lab.core.operator"]


def test_core_imports_no_layer_service_or_face() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.startswith("opendal_lab.core")
        for target in targets
        if target.startswith(OUTSIDE_CORE)
    ]
    assert not wrong, "\n".join(wrong)


def test_nothing_inside_imports_the_top_package() -> None:
    wrong = [m for m, targets in GRAPH.items() if m != "opendal_lab" and "opendal_lab" in targets]
    assert not wrong, f"these modules import the top package: {wrong}"


def test_no_import_cycle() -> None:
    # Tarjan's strongly connected components: any with two or more modules is a cycle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in GRAPH[node]:
                cycles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_checks_can_fail() -> None:
    """The cycle and layering checks see a planted violation (so a pass means something)."""
    planted = ast.parse("def f():\n    from opendal_lab.layers import retry\n")
    names = {n.module for n in _import_nodes(planted) if isinstance(n, ast.ImportFrom) and n.module}
    assert names == {"opendal_lab.layers"}
    typed = ast.parse("if TYPE_CHECKING:\n    import opendal_lab.widgets\n")
    assert list(_import_nodes(typed)) == []
