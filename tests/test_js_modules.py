"""The page's ES modules (static/js): no import cycle, none over 400 lines, every import a
sibling file (so the versioned prefix of app/api/pages.py carries to it), and no
knowledge of single ops beyond what the op catalogue says.

Print the import graph of the modules in a directory (static/js by default):

    .venv/bin/python tests/test_js_modules.py [DIR]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC_JS = ROOT / "static" / "js"
MAX_LINES = 400
# Classic scripts, not modules: Swagger UI's start-up for /docs.
SCRIPTS = {"docs.js"}

COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
IMPORT = re.compile(r"""\bfrom\s+["']([^"']+)["']|\bimport\s*\(?\s*["']([^"']+)["']""")


def imports(path: Path) -> list[str]:
    """The module specifiers a file imports, in order (static, re-exported and dynamic)."""
    text = COMMENT.sub("", path.read_text(encoding="utf-8"))
    return [a or b for a, b in IMPORT.findall(text)]


def graph(directory: Path = STATIC_JS) -> dict[str, list[str]]:
    """Module file name -> the sibling modules it imports."""
    return {path.name: [spec.removeprefix("./") for spec in imports(path)]
            for path in sorted(directory.glob("*.js")) if path.name not in SCRIPTS}


def find_cycle(edges: dict[str, list[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    done: set[str] = set()
    for start in edges:
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack = [(start, iter(edges.get(start, ())))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                return path[path.index(child):] + [child]
            elif child not in done:
                stack.append((child, iter(edges.get(child, ()))))
                path.append(child)
                on_path.add(child)
    return None


def test_the_graph_reader_sees_imports_and_cycles(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text('import { b } from "./b.js";\n// import "./c.js"\n')
    (tmp_path / "b.js").write_text('import {\n  c,\n} from "./c.js";\nexport * from "./d.js";\n')
    (tmp_path / "c.js").write_text('const m = await import("./a.js");\n')
    (tmp_path / "d.js").write_text("export const d = 1;\n")
    edges = graph(tmp_path)
    assert edges == {"a.js": ["b.js"], "b.js": ["c.js", "d.js"], "c.js": ["a.js"], "d.js": []}
    assert find_cycle(edges) == ["a.js", "b.js", "c.js", "a.js"]
    assert find_cycle({**edges, "c.js": []}) is None


def test_no_import_cycle() -> None:
    assert find_cycle(graph()) is None


def test_no_module_over_400_lines() -> None:
    long = {path.name: n for path in STATIC_JS.glob("*.js")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these modules: {long}"


def test_every_import_is_a_sibling_module() -> None:
    """`./name.js` only: it resolves under the page's versioned prefix, and exists."""
    for name, targets in graph().items():
        for spec in imports(STATIC_JS / name):
            assert re.fullmatch(r"\./[\w-]+\.js", spec), f"{name} imports {spec!r}"
        for target in targets:
            assert (STATIC_JS / target).is_file(), f"{name} imports a missing {target}"


def test_main_reaches_every_module() -> None:
    edges = graph()
    seen, todo = set(), ["main.js"]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(edges[name])
    assert seen == set(edges), f"modules nothing imports: {set(edges) - seen}"


def op_tables(text: str, names: set[str]) -> list[list[str]]:
    """Object literals keyed by two or more op names (a per-op table), as their keys."""
    tables = []
    for group in re.findall(r"\{[^{}]*\}", COMMENT.sub("", text)):
        keys = re.findall(r"(?:^|[{,])\s*[\"']?(\w+)[\"']?\s*(?::|(?=[,}]))", group)
        if len(hit := [k for k in keys if k in names]) >= 2:
            tables.append(hit)
    return tables


def test_the_page_knows_ops_only_from_the_catalogue() -> None:
    """A new op needs no JS: the page compares a node's op only with the node kinds
    "input" and "const", and keeps no table keyed by op names (explain.js and lessons.js
    once did: the catalogue's notation, pattern and backward_note replace them)."""
    from app.ops import REGISTRY

    assert op_tables('const T = { add: "+", mul: "·" }; f({ matmul, max_pool: g })',
                     set(REGISTRY)) == [["add", "mul"], ["matmul", "max_pool"]]
    for path in STATIC_JS.glob("*.js"):
        text = COMMENT.sub("", path.read_text(encoding="utf-8"))
        compared = set(re.findall(r"\.op\s*[!=]==?\s*\"(\w+)\"", text))
        assert compared <= {"input", "const"}, (path.name, compared)
        assert not op_tables(text, set(REGISTRY)), path.name


def test_every_pattern_and_note_of_the_catalogue_has_its_text() -> None:
    """What the registry names for the explanation, the page can say, in both languages."""
    from app.ops import REGISTRY

    strings = {lang: (STATIC_JS / f"strings-{lang}.js").read_text(encoding="utf-8")
               for lang in ("en", "zh")}
    notes = (STATIC_JS / "tensorsteps.js").read_text(encoding="utf-8")
    renderers = set(re.findall(r"(\w+):", re.search(r"const NOTES = \{(.*?)\};", notes).group(1)))
    for op in REGISTRY.values():
        if op.pattern:
            for lang, text in strings.items():
                assert f'"pattern.{op.pattern}":' in text, (op.name, lang)
        if op.backward_note:
            assert op.backward_note in renderers, op.name


def test_the_catalogue_serves_the_explanations_fields(client) -> None:
    ops = {op["name"]: op for op in client.get("/api/ops").json()["ops"]}
    for op in ops.values():
        assert {"notation", "pattern", "backward_note"} <= set(op)
    assert ops["mul"]["notation"] == "{a} · {b}" and ops["mul"]["pattern"] == "swaps"
    assert ops["neg"]["notation"] == "−{a}" and ops["sigmoid"]["notation"] is None
    assert ops["max"]["pattern"] == "routes_larger" and ops["sub"]["pattern"] == "distributes"
    assert ops["matmul"]["backward_note"] == "dimensions"


if __name__ == "__main__":
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else STATIC_JS
    edges = graph(directory)
    for name, targets in edges.items():
        lines = len((directory / name).read_text(encoding="utf-8").splitlines())
        print(f"{name} ({lines}) -> {', '.join(targets) or '·'}")
    cycle = find_cycle(edges)
    print("cycle: " + " -> ".join(cycle) if cycle else "no import cycle")
