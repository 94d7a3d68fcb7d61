"""The README says what the code does: op table, error types and limits stay in step."""

from __future__ import annotations

import re
from pathlib import Path

from app.cli.main import build_parser, ops_table
from app.errors import ERROR_TYPES
from app.limits import DEFAULT_LIMITS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The limits table moved to its own page, linked from the README's Limits section.
LIMITS = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")


def test_readme_op_table_is_the_registry() -> None:
    assert ops_table() in README, "run `backprop-lab ops` and paste it into README.md"


def test_readme_names_every_error_type() -> None:
    missing = [t for t in ERROR_TYPES
               if t != "internal" and f"`{t}`" not in README + LIMITS]
    assert not missing


def test_readme_states_every_limit() -> None:
    for field in DEFAULT_LIMITS.__dataclass_fields__:
        value = getattr(DEFAULT_LIMITS, field)
        assert f"{value:,}" in LIMITS, field
    assert "(docs/limits.md)" in README


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```sh\n")[1:]
    commands = [b.split("```", 1)[0].strip() for b in blocks]
    assert len(commands) == 2
    assert commands[0].endswith("backprop-lab serve")
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    assert commands[1] in ci, ".ci/run must run the README's test command"


def test_quick_start_names_a_preset_and_options_that_exist(client) -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    titles = [e["title"]["en"] for e in client.get("/api/examples").json()["examples"]]
    named = section.split("pick *", 1)[1].split("*", 1)[0]
    assert named in titles
    serve = build_parser()._subparsers._group_actions[0].choices["serve"].format_help()
    for option in ("--port", "--host"):
        assert f"serve {option}" in section or f"`{option}" in section
        assert option in serve


def test_every_local_link_of_the_readme_and_docs_leads_somewhere() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    links = 0
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue  # http(s), mailto: not this machine's to check
            assert (page.parent / target).exists(), f"{page.name}: {target}"
            links += 1
    assert "(docs/performance.md)" in README and links > 10


def test_readme_shows_python_and_jupyter_with_the_notebook_that_runs() -> None:
    section = README.split("## Use it from Python and Jupyter", 1)[1].split("\n## ", 1)[0]
    assert "(docs/backprop-lab.ipynb)" in section  # tests/test_notebook.py runs that file
    for name in ("lab.circuit", "lab.trace", "circuit.show()", "compare_torch", "lesson"):
        assert name in section, name
