"""Look-alike names (issue 19): one spelling per name, and an error for what looks alike.

`x`, `x` + U+FE0F, Cyrillic `х` and full-width `ｘ` were four inputs drawn the
same. Now full-width and other compatibility forms are the name they stand for
(NFKC, as in Python); invisible characters, names that mix scripts and two
names that differ only by look-alike letters are errors that point at the
character and name it.
"""

from __future__ import annotations

import unicodedata

import pytest

from app.errors import LabError
from app.lang import parse
from app.pipeline import run
from tests.helpers import assert_error
from tests.test_programs_property import NAMES

CYRILLIC_X = "\u0445"  # х
GREEK_OMICRON = "\u03bf"  # ο


def parse_error(source: str) -> LabError:
    with pytest.raises(LabError) as caught:
        parse(source)
    return caught.value


def where(err: LabError) -> tuple[str, str, int, int]:
    """(type, key, line, column): what a client reads off the envelope."""
    assert err.span is not None
    return err.type, err.key, err.span.line, err.span.column


def pointed_at(source: str, err: LabError) -> str:
    """The character of the source the error's line and column point at."""
    assert err.span is not None
    return source.split("\n")[err.span.line - 1][err.span.column - 1]


# -- NFKC: compatibility forms are the name they stand for ----------------------------

@pytest.mark.parametrize(("typed", "name"), [
    ("ｘ", "x"),          # full width, from an input method
    ("ｗｔ", "wt"),
    ("𝑥", "x"),           # MATHEMATICAL ITALIC SMALL X
    ("ﬁt", "fit"),        # the fi ligature
    ("ℌ", "H"),
])
def test_compatibility_forms_are_the_plain_name(typed: str, name: str) -> None:
    ev = run(f"f = {typed} * 2", {name: 3.0})
    assert set(ev.graph.input_ids) == {name}
    assert float(ev.value(ev.graph.output)) == 6.0


def test_full_width_and_ascii_spellings_are_one_input() -> None:
    ev = run("f = ｘ * x", {"x": 3.0})
    assert list(ev.graph.input_ids) == ["x"]
    assert float(ev.value(ev.graph.output)) == 9.0
    assert float(ev.grad(ev.graph.input_ids["x"])) == 6.0


@pytest.mark.parametrize("key", ["x", "ｘ"])
def test_a_value_binds_under_either_spelling(key: str) -> None:
    for source in ("f = ｘ + 1", "f = x + 1"):
        ev = run(source, {key: 2.0})
        assert float(ev.value(ev.graph.output)) == 3.0
        assert ev.warnings == []


def test_two_spellings_of_one_value_are_an_error() -> None:
    with pytest.raises(LabError) as caught:
        run("f = x + 1", {"x": 1.0, "ｘ": 2.0})
    assert caught.value.type == "value" and caught.value.key == "value_twice"
    assert caught.value.info == {"name": "x", "first": "x", "second": "ｘ"}


def test_a_normalised_name_can_be_a_keyword() -> None:
    err = parse_error("ｉｆ = 1\nf = ｉｆ")
    assert where(err) == ("syntax", "keyword", 1, 1)


# -- invisible characters ----------------------------------------------------------

INVISIBLE = ["\ufe0f", "\ufe00", "\U000e0100", "\u200b", "\u200c", "\u200d", "\u2060",
             "\ufeff", "\u00ad", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066",
             "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u180e", "\u034f", "\u3164",
             "\uffa0", "\U000e0041"]


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
def test_an_invisible_character_after_a_name_is_named(char: str) -> None:
    source = f"x = 1\nf = x{char} + x"
    err = parse_error(source)
    assert where(err) == ("syntax", "invisible_after", 2, 6)
    assert pointed_at(source, err) == char
    code = f"U+{ord(char):04X}"
    assert err.info == {"code": code, "char_name": unicodedata.name(char), "near": "x"}
    assert code in err.summary and unicodedata.name(char) in err.summary
    assert "'x'" in err.summary


def test_the_issue_example_message() -> None:
    err = parse_error("f = x\ufe0f * 2")
    assert err.summary == ("invisible character U+FE0F (VARIATION SELECTOR-16) after 'x': "
                           "delete it")


@pytest.mark.parametrize(("source", "key", "line", "column", "near"), [
    ("f = \u200bx", "invisible_before", 1, 5, "x"),
    ("f = a\u200db", "invisible_after", 1, 6, "a"),
    ("\u202ef = x", "invisible_before", 1, 1, "f"),
    ("\ufefff = x", "invisible_before", 1, 1, "f"),
    ("f = x +\u2066 1", "invisible_after", 1, 8, "+"),
    ("f = 3\u200b", "invisible_after", 1, 6, "3"),
    ("f = x + \u2060 1", "invisible_char", 1, 9, None),
    ("f = (x +\n  \u200b1)", "invisible_before", 2, 3, "1"),
    ("损失 = 1\n权重\u3164 = 损失", "invisible_after", 2, 3, "权重"),
])
def test_invisible_characters_anywhere_outside_comments(source: str, key: str, line: int,
                                                        column: int, near: str | None) -> None:
    err = parse_error(source)
    assert where(err) == ("syntax", key, line, column)
    assert err.span is not None and err.span.end_column == column + 1
    assert pointed_at(source, err) in "\u200b\u200d\u202e\ufeff\u2066\u2060\u3164"
    assert err.info.get("near") == near


def test_invisible_characters_in_comments_are_fine() -> None:
    ev = run("f = x * 2  # x\ufe0f \u200b \u202e 👩\u200d👩\u200d👧 \ufeff", {"x": 1.0})
    assert float(ev.value(ev.graph.output)) == 2.0


# -- mixed scripts -----------------------------------------------------------------

@pytest.mark.parametrize(("name", "char", "script", "other"), [
    ("x" + CYRILLIC_X, CYRILLIC_X, "Cyrillic", "Latin"),
    ("e" + CYRILLIC_X + "p", CYRILLIC_X, "Cyrillic", "Latin"),
    ("Пример" + "X", "X", "Latin", "Cyrillic"),
    ("p" + GREEK_OMICRON + "s", GREEK_OMICRON, "Greek", "Latin"),
    ("ρx", "ρ", "Greek", "Latin"),
    ("θа", "а", "Cyrillic", "Greek"),  # Greek theta, Cyrillic a
])
def test_a_name_that_mixes_scripts_is_refused(name: str, char: str, script: str,
                                              other: str) -> None:
    source = f"y = 1\nf = {name} + y"
    err = parse_error(source)
    assert err.type == "syntax" and err.key == "mixed_script"
    assert pointed_at(source, err) == char
    assert err.info["char"] == char and err.info["script"] == script
    assert err.info["other"] == other and err.info["name"] == name
    assert f"U+{ord(char):04X}" in err.summary and script in err.summary


def test_mixed_script_column_counts_what_was_typed() -> None:
    # ｆｉｔ is three full-width letters (normal form "fit"); the Cyrillic х is the 4th
    source = "f = ｆｉｔ" + CYRILLIC_X
    err = parse_error(source)
    assert where(err) == ("syntax", "mixed_script", 1, 8)
    assert err.info["name"] == "fit" + CYRILLIC_X


# -- names that differ only by look-alike letters ------------------------------------

@pytest.mark.parametrize(("first", "second"), [
    ("x", CYRILLIC_X),
    ("o", GREEK_OMICRON),
    ("pac", "\u0440\u0430\u0441"),       # Cyrillic рас: each letter drawn like p, a, c
    ("ON", "\u039f\u039d"),              # Greek capitals omicron and nu
    ("\u043e", GREEK_OMICRON),            # Cyrillic о and Greek ο
    ("x_1", CYRILLIC_X + "_1"),
])
def test_look_alike_names_name_both_names_and_lines(first: str, second: str) -> None:
    source = f"{first} = 1\ny = 2\nf = {second} * y"
    err = parse_error(source)
    assert where(err) == ("name", "confusable_names", 3, 5)
    assert err.info["name"] == second and err.info["line"] == 3
    assert err.info["other"] == first and err.info["other_line"] == 1
    assert f"'{first}'" in err.summary and f"'{second}'" in err.summary
    assert "(line 1)" in err.summary and "(line 3)" in err.summary


def test_the_issue_four_xs() -> None:
    """x, x + U+FE0F, Cyrillic х and ｘ: one name, one error, one error, one name."""
    assert list(run("f = x * ｘ", {"x": 2.0}).graph.input_ids) == ["x"]
    assert parse_error("f = x * x\ufe0f").key == "invisible_after"
    assert parse_error(f"f = x * {CYRILLIC_X}").key == "confusable_names"


def test_look_alike_of_a_function_says_which_was_meant() -> None:
    source = "f = \u0435\u0445\u0440(x)"  # Cyrillic е, х, р: drawn like exp
    err = parse_error(source)
    assert where(err) == ("unknown_function", "confusable_function", 1, 5)
    assert err.info["meant"] == "exp" and err.info["code"] == "U+0435"


# -- what stays a name --------------------------------------------------------------

@pytest.mark.parametrize("name", [*NAMES, "损失", "权重", "θ", "Δt", "résumé", "x_2", "σ_x",
                                  "θ_0", "αβ_1", "Δx", "Пример", "λογος", "ΔT", "ñ", "ص",
                                  "x\u0301", "变量x", "日本語"])
def test_legitimate_names_stay_names(name: str) -> None:
    ev = run(f"f = {name} * 2", {name: 1.5})
    assert list(ev.graph.input_ids) == [unicodedata.normalize("NFKC", name)]
    assert float(ev.value(ev.graph.output)) == 3.0


def test_a_greek_name_and_a_latin_name_that_do_not_look_alike() -> None:
    ev = run("f = θ * t + ν * u", {"θ": 1.0, "t": 2.0, "ν": 3.0, "u": 4.0})
    assert float(ev.value(ev.graph.output)) == 14.0


# -- through the API ---------------------------------------------------------------

@pytest.mark.parametrize(("source", "type_", "key", "line", "column"), [
    ("x = 1\nf = x\ufe0f * 2", "syntax", "invisible_after", 2, 6),
    ("x = 1\nf = x\u200b * 2", "syntax", "invisible_after", 2, 6),
    ("f = y\n  + x" + CYRILLIC_X, "syntax", "mixed_script", 2, 6),
    ("x = 1\nf = " + CYRILLIC_X + " * x", "name", "confusable_names", 2, 5),
])
def test_the_api_answers_400_with_line_and_column(client, source: str, type_: str, key: str,
                                                  line: int, column: int) -> None:
    response = client.post("/api/graph", json={"source": source, "values": {"y": 1}})
    error = assert_error(response, 400, type_)
    assert (error["key"], error["line"], error["column"]) == (key, line, column)
    assert error["end_column"] == column + 1
    assert error["args"]["code"].startswith("U+")


def test_the_api_reports_the_normal_form_of_a_name(client) -> None:
    response = client.post("/api/graph", json={"source": "ｆ = ｘ * ｘ", "values": {"ｘ": 3}})
    assert response.status_code == 200, response.text
    body = response.json()
    names = {node["name"] for node in body["nodes"] if node["name"]}
    assert names == {"x", "f"}
    x = next(node for node in body["nodes"] if node["name"] == "x")
    assert x["value"] == 3.0 and x["grad"] == 6.0
    assert body["warnings"] == []


def test_two_spellings_of_one_name_are_one_name_when_assigned() -> None:
    """`ﬁ` is `fi` (as in Python), so assigning both is assigning one name twice."""
    with pytest.raises(LabError) as caught:
        run("ﬁ = 1\nfi = 2\nf = fi")
    assert caught.value.key == "assigned_twice" and caught.value.info["name"] == "fi"
