"""The README says what the code does: op table, error types and limits stay in step."""

from __future__ import annotations

from pathlib import Path

from app.cli.main import ops_table
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
