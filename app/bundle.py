"""The page's ES modules as one script, for places that cannot fetch a module by URL.

A lesson file opens from disk (`file://`, where a browser fetches no module), and a
notebook widget runs in a front end that knows nothing of our server: both need the
page's modules (static/js) in one piece of text. `bundle(entry)` writes an entry module
and every module it imports, in dependency order, into one ES module that exports
`load(ctx)`:

    export function load(ctx = {}) {
      const document = ctx.document || globalThis.document;
      const fetch = ctx.fetch || ((...a) => globalThis.fetch(...a));
      const __m = [];
      __m[0] = (() => { …format.js, its exports returned… })();
      …
      return __m[N];                      // the entry module's exports
    }

Each call of `load` makes fresh module instances (two widgets in one notebook share
nothing), and `ctx` may put another `document` (a shadow root's) or another `fetch` (the
kernel's, the lesson's stored answers) in front of every module.

This is no general bundler: it takes the subset of the module syntax the page is written
in, and refuses anything else with the file and line (tests/test_bundle.py bundles every
module of static/js, so a module written outside the subset fails there first):

- `import { a, b as c } from "./x.js";`, `import * as x from "./x.js";`,
  `import x from "./x.js";` (and a default with names), `import "./x.js";`;
- `export function|async function|class|const|let NAME`, `export default EXPRESSION`,
  `export { a, b as c };`.

A specifier is relative to its module, or `/static/…`, the page's served path (the
package's own entries import the page's modules that way, app/js). Imports are bound
once, when the module runs (the page has no import cycles and exports no binding it
reassigns: tests/test_js_modules.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from app.assets import STATIC_DIR

IMPORT = re.compile(
    r"""^import\s+(?:(?P<what>\{[^}]*\}|\*\s+as\s+[\w$]+|[\w$]+(?:\s*,\s*\{[^}]*\})?)\s+from\s+)?"""
    r"""["'](?P<spec>[^"']+)["']\s*;?[ \t]*$""", re.M)
EXPORT_DECLARATION = re.compile(
    r"^export\s+(?P<kind>async\s+function\s*\*?|function\s*\*?|class|const|let|var)\s+"
    r"(?P<name>[\w$]+)", re.M)
EXPORT_DEFAULT = re.compile(r"^export\s+default\s+", re.M)
EXPORT_LIST = re.compile(r"^export\s*\{(?P<names>[^}]*)\}\s*;?[ \t]*$", re.M)
ANY_EXPORT = re.compile(r"^export\b", re.M)
ANY_IMPORT = re.compile(r"^import\b", re.M)
DYNAMIC_IMPORT = re.compile(r"\bimport\s*\(")


class BundleError(Exception):
    """A module the bundler cannot take: its file, line and what it found."""


def _line(text: str, at: int) -> int:
    return text.count("\n", 0, at) + 1


def resolve(spec: str, importer: Path) -> Path:
    """A specifier as a file: relative to the importer, or /static/… in the page's files."""
    if spec.startswith("/static/"):
        return (STATIC_DIR / spec.removeprefix("/static/")).resolve()
    if spec.startswith(("./", "../")):
        return (importer.parent / spec).resolve()
    raise BundleError(f"{importer}: cannot resolve {spec!r} (relative, or /static/…)")


def _names(listed: str) -> list[tuple[str, str]]:
    """`a, b as c` as [(a, a), (b, c)]: (exported, local)."""
    out = []
    for part in listed.split(","):
        part = part.strip()
        if not part:
            continue
        words = part.split()
        if len(words) == 3 and words[1] == "as":
            out.append((words[0], words[2]))
        elif len(words) == 1:
            out.append((words[0], words[0]))
        else:
            raise BundleError(f"cannot read the import or export list item {part!r}")
    return out


class _Module:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")
        self.imports: list[tuple[str | None, Path, int, int]] = []  # (what, file, start, end)
        for match in IMPORT.finditer(self.text):
            self.imports.append((match["what"], resolve(match["spec"], path), match.start(),
                                 match.end()))
        handled = {m.start() for m in IMPORT.finditer(self.text)}
        for match in ANY_IMPORT.finditer(self.text):
            if match.start() not in handled:
                raise BundleError(f"{path}:{_line(self.text, match.start())}: an import the "
                                  "bundler does not take (see app/bundle.py)")
        found = DYNAMIC_IMPORT.search(self.text)
        if found:
            raise BundleError(f"{path}:{_line(self.text, found.start())}: a dynamic import()")

    def body(self, index_of: dict[Path, int]) -> str:
        """The module's text with its imports bound from the modules before it, its
        export keywords dropped, and a `return` of its exports at the end."""
        text = self.text
        pieces: list[str] = []
        last = 0
        for what, file, start, end in self.imports:
            pieces.append(text[last:start])
            source = f"__m[{index_of[file]}]"
            line = ""
            if what is None:
                line = ""
            elif what.startswith("{"):
                line = f"const {_destructure(what)} = {source};"
            elif what.startswith("*"):
                line = f"const {what.split()[-1]} = {source};"
            else:
                default, _, rest = what.partition(",")
                line = f"const {default.strip()} = {source}.default;"
                if rest.strip():
                    line += f" const {_destructure(rest.strip())} = {source};"
            # keep the line count, so an error's line in the bundle maps back
            pieces.append(line + "\n" * text.count("\n", start, end))
            last = end
        pieces.append(text[last:])
        text = "".join(pieces)

        exports: list[tuple[str, str]] = []  # (exported, local)
        for match in EXPORT_DECLARATION.finditer(text):
            exports.append((match["name"], match["name"]))
        for match in EXPORT_LIST.finditer(text):  # `export { local as exported }`
            exports.extend((exported, local) for local, exported in _names(match["names"]))
        text = EXPORT_LIST.sub("", text)
        text = EXPORT_DECLARATION.sub(lambda m: f"{m['kind']} {m['name']}", text)
        if EXPORT_DEFAULT.search(text):
            text = EXPORT_DEFAULT.sub("const __default = ", text, count=1)
            exports.append(("default", "__default"))
        stray = ANY_EXPORT.search(text)
        if stray:
            raise BundleError(f"{self.path}:{_line(text, stray.start())}: an export the "
                              "bundler does not take (see app/bundle.py)")
        listed = ", ".join(f"{name}: {local}" if name != local else name
                           for name, local in exports)
        return f"{text.rstrip()}\nreturn Object.freeze({{ {listed} }});"


def _destructure(listed: str) -> str:
    pairs = _names(listed.strip()[1:-1])
    return "{ " + ", ".join(f"{a}: {b}" if a != b else a for a, b in pairs) + " }"


def modules(entry: Path) -> list[_Module]:
    """The entry and every module it imports, each after the modules it imports."""
    order: list[_Module] = []
    state: dict[Path, int] = {}  # 1: being visited, 2: done
    loaded: dict[Path, _Module] = {}
    stack: list[tuple[Path, int]] = [(entry.resolve(), 0)]
    while stack:
        path, k = stack.pop()
        if path not in loaded:
            if not path.is_file():
                raise BundleError(f"no module {path}")
            loaded[path] = _Module(path)
            state[path] = 1
        module = loaded[path]
        if k < len(module.imports):
            stack.append((path, k + 1))
            dep = module.imports[k][1]
            if state.get(dep) == 1:
                raise BundleError(f"an import cycle through {dep}")
            if dep not in state:
                stack.append((dep, 0))
            continue
        state[path] = 2
        order.append(module)
    return order


def bundle(entry: Path) -> str:
    """The entry module and its imports as one ES module exporting `load(ctx)`."""
    ordered = modules(entry)
    index_of = {m.path: i for i, m in enumerate(ordered)}
    root = STATIC_DIR.parent
    parts = [
        f"// Backprop Lab: {entry.name} and the page's modules it imports, bundled by "
        "app/bundle.py.",
        "export function load(ctx = {}) {",
        "  const document = ctx.document || globalThis.document;",
        "  const fetch = ctx.fetch || ((...args) => globalThis.fetch(...args));",
        "  const __m = [];",
    ]
    for i, module in enumerate(ordered):
        try:
            shown = module.path.relative_to(root).as_posix()
        except ValueError:
            shown = module.path.name
        parts.append(f"  // {shown}\n  __m[{i}] = (() => {{\n{module.body(index_of)}\n  }})();")
    parts.append(f"  return __m[{len(ordered) - 1}];\n}}\n")
    return "\n".join(parts)
