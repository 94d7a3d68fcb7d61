"""The layers of `app/` and who imports whom, read from the source with `ast` (nothing imported).

A module imports only from its own layer or a layer below it, and the units (a package
such as `app.engine`, or a module such as `app.pipeline`) import each other without
cycles. tests/test_layers.py holds the code to this; this module also prints the graph:

  python -m tests.layers                 # this tree: each layer's units, their lines and imports
  python -m tests.layers --modules       # the same, module by module
  python -m tests.layers PATH            # another checkout (an older commit, say), by its root

An upward import is printed with `UPWARD` and its file and line.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (layer, its units, what it holds): lowest first. A module belongs to the unit that is the
# longest prefix of its dotted name; the package `app` itself (its empty __init__) is only
# `app`.
LAYERS: list[tuple[str, tuple[str, ...], str]] = [
    ("foundation", ("app", "app.errors", "app.limits", "app.assets"),
     "errors as values and the one error envelope; the request limits; where the page's "
     "files are"),
    ("ops", ("app.ops",), "the op registry: forward, vjp, formulas, expansions"),
    ("lang", ("app.lang",), "the circuit language: tokens, parser, names (its function "
     "whitelist is the registry's)"),
    ("graph", ("app.graph",), "the gate graph, built from statements; composite gates expanded"),
    ("engine", ("app.engine",), "values and gradients: analysis, passes, trace, checks"),
    ("layout", ("app.layout",), "positions of the gates (reads the graph and the shapes only)"),
    ("services", ("app.jsonify", "app.columns", "app.packed", "app.scalar_columns", "app.networks",
                  "app.micrograd_demo",
                  "app.training", "app.examples", "app.pipeline", "app.bundle", "app.lesson",
                  "app.drawing", "app.groups"),
     "what the API and the CLI both offer: JSON, networks, training, presets, the pipeline, "
     "lesson files (with the page's modules bundled), a circuit drawn as SVG"),
    ("api", ("app.api",), "HTTP: routes, schemas, middleware, serving settings, the page"),
    ("python", ("app.lab", "app.tracing", "app.notebook", "app.torch_compare"),
     "the Python API: circuits, traced Python functions, the Jupyter widget and its kernel "
     "side (which reads the API's request schemas), PyTorch side by side"),
    ("entry points", ("app.cli", "app.main", "app.__main__"),
     "the backprop-lab command and the ASGI app"),
]


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    imported: str  # dotted module name (a package where a name is not a submodule)
    path: Path
    line: int


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every module under root/app, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / "app").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(base: str, name: str, known: dict[str, Path]) -> str:
    """`from base import name`: the submodule base.name if there is one, else base."""
    full = f"{base}.{name}"
    return full if full in known else base


def imports(root: Path = ROOT) -> list[Import]:
    """Every import of an `app` module by an `app` module, wherever it is written (module
    level, inside a function, under TYPE_CHECKING)."""
    known = module_files(root)
    found: list[Import] = []
    for module, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [_resolve(base, alias.name, known) for alias in node.names]
            for target in targets:
                if target == "app" or target.startswith("app."):
                    found.append(Import(module, target, path, node.lineno))
    return found


def unit_of(module: str) -> str | None:
    best = None
    for _, units, _ in LAYERS:
        for unit in units:
            if module == unit or (unit != "app" and module.startswith(unit + ".")):
                if best is None or len(unit) > len(best):
                    best = unit
    return best


def layer_of(module: str) -> int | None:
    unit = unit_of(module)
    for rank, (_, units, _) in enumerate(LAYERS):
        if unit in units:
            return rank
    return None


def unplaced(root: Path = ROOT) -> list[str]:
    """Modules no layer holds: each new module needs a place in LAYERS."""
    return [m for m in module_files(root) if unit_of(m) is None]


def upward(root: Path = ROOT) -> list[str]:
    """Every import of a module from a higher layer, as `file:line importer (layer) imports
    imported (layer)`."""
    bad = []
    for imp in imports(root):
        low, high = layer_of(imp.importer), layer_of(imp.imported)
        if low is not None and high is not None and high > low:
            bad.append(f"{imp.path.relative_to(root)}:{imp.line}: {imp.importer} "
                       f"({LAYERS[low][0]}) imports {imp.imported} ({LAYERS[high][0]})")
    return list(dict.fromkeys(bad))


def unit_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Unit → the other units it imports."""
    graph: dict[str, set[str]] = {}
    for module in module_files(root):
        unit = unit_of(module)
        if unit is not None:
            graph.setdefault(unit, set())
    for imp in imports(root):
        a, b = unit_of(imp.importer), unit_of(imp.imported)
        if a is not None and b is not None and a != b:
            graph[a].add(b)
    return graph


def cycles(root: Path = ROOT) -> list[list[str]]:
    """Cycles among the units (each as the path that closes it)."""
    graph = unit_graph(root)
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        state[start] = 1
        stack = [iter(sorted(graph[start]))]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                found.append(path[path.index(nxt):] + [nxt])
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return found


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def report(root: Path = ROOT, by_module: bool = False) -> str:
    """Each layer, its units (or modules) with their line counts, and what each imports."""
    files = module_files(root)
    edges: dict[str, dict[str, list[Import]]] = {}
    for imp in imports(root):
        a = imp.importer if by_module else unit_of(imp.importer) or imp.importer
        b = imp.imported if by_module else unit_of(imp.imported) or imp.imported
        if a != b:
            edges.setdefault(a, {}).setdefault(b, []).append(imp)
    out = []
    total = 0
    for rank, (name, _, what) in enumerate(LAYERS):
        members = sorted({(m if by_module else unit_of(m)) for m in files
                          if layer_of(m) == rank} - {None})  # type: ignore[operator]
        if not members:
            continue
        out.append(f"{rank} {name}: {what}")
        for member in members:
            lines = sum(_lines(p) for m, p in files.items()
                        if (m if by_module else unit_of(m)) == member)
            total += lines
            out.append(f"    {member}  ({lines:,} lines)")
            for target in sorted(edges.get(member, {})):
                there = layer_of(target)
                mark = ""
                if there is not None and there > rank:
                    where = ", ".join(dict.fromkeys(f"{i.path.relative_to(root)}:{i.line}"
                                                    for i in edges[member][target]))
                    mark = f"   UPWARD to {LAYERS[there][0]} ({where})"
                out.append(f"        → {target}{mark}")
    stray = unplaced(root)
    if stray:
        out.append("in no layer: " + ", ".join(stray))
    out.append(f"{len(files)} modules, {total:,} lines; {len(upward(root))} upward imports; "
               f"{len(cycles(root))} cycles among units")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.layers",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("root", nargs="?", type=Path, default=ROOT,
                        help="a checkout's root (default: this one)")
    parser.add_argument("--modules", action="store_true", help="module by module")
    args = parser.parse_args(argv)
    print(report(args.root.resolve(), args.modules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
