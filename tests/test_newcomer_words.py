"""Words a learner reads (issue 14): the course notes are named by their sources (cs231n,
Mazur's example, Hung-yi Lee, the numpy moons network), never by an internal number such as
"seed 004"; and the README's training numbers are what the command prints."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from app.cli.main import build_parser, main

ROOT = Path(__file__).resolve().parent.parent
INTERNAL = re.compile(r"seeds? ?0\d\d", re.IGNORECASE)
# 随机种子 ("random seed") is the one 种子 a Chinese reader should meet.
SEED_ZH = re.compile(r"(?<!随机)种子")
# Values of the API's contract that users type as they are: the preset id and the training
# mode and init value, written as code (quoted, backquoted or in argparse's {a,b}).
CONTRACT = re.compile(r"""[`"'{,]seed004(?:-train)?[`"'},]""")


def offending(text: str) -> list[str]:
    text = CONTRACT.sub("", text)
    return INTERNAL.findall(text) + SEED_ZH.findall(text)


def prose(markdown: str) -> str:
    """A Markdown file without its code: fenced blocks and `spans` hold the contract's values."""
    return re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", markdown, flags=re.DOTALL))


@pytest.mark.parametrize("path", ["templates/index.html", "static/js/strings-en.js",
                                  "static/js/strings-zh.js", "app/training/example.py"])
def test_page_text_names_sources_not_seed_numbers(path: str) -> None:
    assert offending((ROOT / path).read_text(encoding="utf-8")) == []


def test_presets_name_their_sources(client) -> None:
    body = client.get("/api/examples").text
    assert offending(body) == []
    titles = " ".join(e["title"]["en"] for e in client.get("/api/examples").json()["examples"])
    assert "numpy moons network" in titles
    assert "seed004-train" in body  # the id stays: share links and the API hold it


def test_api_descriptions_name_sources(client) -> None:
    schema = client.get("/openapi.json").json()
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            texts.extend(str(node[k]) for k in ("description", "title", "summary") if k in node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert offending("\n".join(texts)) == []


@pytest.mark.parametrize("path", ["README.md", "SECURITY.md",
                                  *sorted(p.relative_to(ROOT).as_posix()
                                          for p in (ROOT / "docs").glob("*.md"))])
def test_readme_and_docs_prose_names_sources(path: str) -> None:
    assert offending(prose((ROOT / path).read_text(encoding="utf-8"))) == []


def test_the_pattern_sees_plural_and_spaced_forms() -> None:
    assert offending("Seeds 001, 002 and 004 go further; seed004 and Seed 002 too") == [
        "Seeds 001", "seed004", "Seed 002"]


def test_cli_help_names_sources() -> None:
    parser = build_parser()
    helps = [parser.format_help()]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps.extend(sub.format_help() for sub in action.choices.values())
    assert len(helps) > 4
    assert offending("\n".join(helps)) == []


def test_readme_quotes_what_backprop_lab_train_prints(capsys) -> None:
    assert main(["train"]) == 0
    printed = capsys.readouterr().out.splitlines()
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    for line in (printed[0], printed[1]):
        assert f"`{line}`" in readme, line
    # past the edge of stability the loss alternates between two values, and which one a
    # line shows depends on the machine's last bits: the README names the pair
    last = [line for line in printed if line.startswith("Loss after iteration")][-1]
    assert last.startswith("Loss after iteration 19000: ")
    final = re.fullmatch(r"after 20,000 passes: loss (\S+), accuracy 0\.975", printed[-1])
    assert final, printed[-1]
    pair = re.search(r"alternates from pass to pass between (\S+) and (\S+),", readme)
    assert pair, "the README names the two values the loss alternates between"
    assert {last.rsplit(" ", 1)[1], final.group(1)} == {pair.group(1), pair.group(2)}
    assert "`Loss after iteration 19000: …`" in readme
    assert "`after 20,000 passes: loss …, accuracy 0.975`" in readme
