"""The first-party import graph has no circles (issue 20, "Done means: the structure has no circles").

The graph is grimp's (the library import-linter runs on) over the root packages of pyproject.toml's
``[tool.importlinter]``. What counts as an import, on purpose:

* every ``import``/``from … import`` statement in a module, wherever it sits: at the top, inside a function
  (a "lazy" import only postpones the circle to the first call), or under ``if TYPE_CHECKING:`` (a circle
  the type checker needs is still two modules that each need the other);
* ``from pkg import sub`` is an import of the module ``pkg.sub`` when ``sub`` is a submodule, of ``pkg``
  (its ``__init__``) otherwise.

What is not a circle: a package's ``__init__`` importing (re-exporting) its own submodules. The edge
``pkg -> pkg.sub`` stays in the graph, but on its own it closes no loop; it is part of a reported circle
only when something below it imports ``pkg`` back, which is a real load-order circle (``pkg`` is half
initialised when ``pkg.sub`` runs), e.g. ``pkg -> pkg.a -> other -> pkg``.

A circle is reported as its strongly connected component (the set of modules that all reach each other),
each with the import lines that tie it, so one test run lists every circle at once.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def _root_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["importlinter"]["root_packages"])


def _components(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def import_cycles() -> list[str]:
    """Each circle as text: its modules, then the import lines between them."""
    graph = grimp.build_graph(*_root_packages(), cache_dir=None)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    out = []
    for component in _components(edges):
        members = set(component)
        lines = ["circle among: " + ", ".join(component)]
        for importer in component:
            for imported in sorted(edges[importer] & members):
                for d in graph.get_import_details(importer=importer, imported=imported):
                    lines.append(f"    {importer}:{d['line_number']} -> {imported}: {d['line_contents']}")
        out.append("\n".join(lines))
    return out


def test_components_finds_a_circle_and_ignores_a_chain() -> None:
    # The detector itself: a -> b -> c -> a is one circle; d -> a and a package edge p -> p.x are not.
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "p": {"p.x"}, "p.x": set()}
    assert _components(edges) == [["a", "b", "c"]]


def test_first_party_imports_have_no_circles() -> None:
    cycles = import_cycles()
    assert not cycles, f"{len(cycles)} import circle(s):\n" + "\n".join(cycles)
