"""The layers hold: no module imports from a layer above its own (tests/layers.py has the
table), every module has a layer, and the units import each other without cycles. Read
with `ast`; nothing is imported."""

from __future__ import annotations

from pathlib import Path

from tests.layers import cycles, imports, layer_of, report, unplaced, upward


def test_every_module_has_a_layer() -> None:
    stray = unplaced()
    assert not stray, f"add these modules to LAYERS in tests/layers.py: {stray}"


def test_no_module_imports_from_a_layer_above() -> None:
    bad = upward()
    assert not bad, "imports from a layer above:\n" + "\n".join(bad)


def test_units_import_each_other_without_cycles() -> None:
    found = cycles()
    assert not found, "import cycles among units:\n" + "\n".join(" → ".join(c) for c in found)


def test_the_walk_sees_every_kind_of_import(tmp_path: Path) -> None:
    """The checker finds an upward import at module level, in a function, relative or
    absolute, and names its file and line."""
    for package in ("app", "app/engine", "app/api", "app/cli"):
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "app/api/routes.py").write_text("X = 1\n")
    (tmp_path / "app/engine/run.py").write_text(
        "import numpy\n"
        "from app.api.routes import X\n"
        "def f():\n"
        "    from ..api import routes\n"
        "    import app.cli\n")
    (tmp_path / "app/cli/main.py").write_text("from app.engine import run\n")
    assert {(i.importer, i.imported, i.line) for i in imports(tmp_path)} == {
        ("app.engine.run", "app.api.routes", 2), ("app.engine.run", "app.api.routes", 4),
        ("app.engine.run", "app.cli", 5), ("app.cli.main", "app.engine.run", 1)}
    bad = upward(tmp_path)
    assert len(bad) == 3 and all(b.startswith("app/engine/run.py:") for b in bad), bad
    assert "UPWARD" in report(tmp_path)
    assert cycles(tmp_path) == [["app.cli", "app.engine", "app.cli"]]


def test_the_layers_run_in_the_order_of_the_data_flow() -> None:
    order = ["app.errors", "app.ops", "app.lang", "app.graph", "app.engine", "app.layout",
             "app.pipeline", "app.api", "app.cli"]
    ranks = [layer_of(m) for m in order]
    assert ranks == sorted(ranks) and None not in ranks


def test_the_readme_names_every_module() -> None:
    """README's module map (How it works) names every module of app/: a package's modules
    by file name, a module of its own by its path."""
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("## How it works", 1)[1].split("\n## ", 1)[0]
    missing = []
    for path in sorted((root / "app").rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative == "app/__init__.py":
            continue
        if path.parent == root / "app":
            named = f"`{relative}`" in section
        else:
            package = path.parent.relative_to(root).as_posix()
            named = f"| `{package}` |" in section and (
                path.name == "__init__.py" or f"`{path.name}`" in section)
        if not named:
            missing.append(relative)
    assert not missing, f"README's How it works does not name: {missing}"
