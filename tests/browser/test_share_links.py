"""Share links a stranger wrote: whatever a link carries, the page loads its program.

The URL state is read through one schema (static/js/state.js); nothing in it becomes a
regular expression (static/js/names.js finds names by comparing tokens).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

CS231N = "f = (x + y) * z"
QUICK = 5_000  # ms: the page answers well within this, or the test fails (no wall clock)
STATIC_JS = Path(__file__).resolve().parent.parent.parent / "static" / "js"


@pytest.fixture()
def page_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    return errors


def link(program: str, values: object = None, **extra: str) -> str:
    url = f"/#p={quote(program)}"
    if values is not None:
        url += "&v=" + quote(values if isinstance(values, str) else json.dumps(values))
    for key, text in extra.items():
        url += f"&{key}={quote(text)}"
    return url if "lang" in extra else url + "&lang=en"


def output_at_end(page: Page):
    """The output's value, with the timeline moved to its end (the whole forward pass)."""
    expect(page.locator("#circuit .output-edge")).to_be_attached(timeout=QUICK)
    page.locator("#timeline").press("End")
    return page.locator("#circuit .output-edge text.value")


def responsive(page: Page) -> None:
    """The tab's main thread is free: a script runs and answers."""
    page.set_default_timeout(QUICK)
    assert page.evaluate("1 + 1") == 2


def test_a_key_that_is_no_regular_expression_is_dropped(page: Page, page_errors) -> None:
    # z is missing, so the page lists the names it needs: a "(" among them threw on render
    page.goto(link(CS231N, {"(": 1, "[": 2, "x": -2, "y": 5}))
    expect(page.get_by_role("alert")).to_contain_text("no value for z", timeout=QUICK)
    expect(page.get_by_role("spinbutton", name="z")).to_be_visible(timeout=QUICK)
    fields = page.locator("#inputs .input-name").all_text_contents()
    assert fields == ["x", "y", "z"]
    page.get_by_role("spinbutton", name="z").fill("-4")
    expect(page.locator("#circuit .node")).to_have_count(5, timeout=QUICK)
    expect(output_at_end(page)).to_have_text("−12", timeout=QUICK)
    assert page_errors == []


def test_a_catastrophic_backtracking_key_does_not_freeze_the_tab(page: Page, page_errors,
                                                                 shot) -> None:
    # As a pattern, (a+)+$ against 30 a's and a "!" takes ~2^30 steps: the old page froze.
    program = "f = x * 2  # " + "a" * 30 + "!"
    page.goto(link(program, {"(a+)+$": 1, "(a|a)*$": 2, "x" * 65: 3}))
    expect(page.get_by_role("spinbutton", name="x")).to_be_visible(timeout=QUICK)
    responsive(page)
    assert page.locator("#inputs .input-name").all_text_contents() == ["x"]
    page.get_by_role("spinbutton", name="x").fill("4")
    expect(page.locator("#circuit .node")).to_have_count(3, timeout=QUICK)
    expect(output_at_end(page)).to_have_text("8", timeout=QUICK)
    shot("share-link-hostile-key")
    assert page_errors == []


def test_huge_deep_and_odd_values_are_dropped_and_the_defaults_stand(page: Page,
                                                                    page_errors) -> None:
    program = "x = 3\ny = 2\nw = 5\nf = x * y + w"
    values = json.dumps({
        "x": 0,  # nested 5,000 deep, below
        "y": [0] * 150_000,  # more numbers than a link may carry
        "w": True, "__proto__": {"polluted": 1}, "constructor": "x", "1a": 1, "a b": 2,
    }).replace('"x": 0', '"x": ' + "[" * 5_000 + "1" + "]" * 5_000)
    page.goto(link(program, values))
    expect(output_at_end(page)).to_have_text("11", timeout=QUICK)
    responsive(page)
    assert page.evaluate("({}).polluted") is None
    assert page_errors == []
    # not JSON at all, or JSON of the wrong kind: the program still loads
    for junk in ("{", "[1,2]", "null", '"x"', "1e999", '{"x": 1e999}'):
        page.goto("about:blank")
        page.goto(link(program, junk))
        expect(output_at_end(page)).to_have_text("11", timeout=QUICK)
    assert page_errors == []


def test_junk_step_expansion_and_language(page: Page, page_errors) -> None:
    program = "x = 2\nw = -1\nf = sigmoid(x * w)"
    for extra in ({"s": "-3", "x": "n1,<img src=x>,__proto__,1", "lang": "fr"},
                  {"s": "1e9", "x": "n" + "9" * 400, "lang": "<script>"},
                  {"s": "99999999999999999999999", "x": ",,,", "lang": "zh-CN"},
                  {"s": "4abc", "x": "n1," * 30_000, "lang": "EN"}):
        page.goto("about:blank")
        page.goto(link(program, None, **extra))
        expect(page.locator("#circuit .node").first).to_be_visible(timeout=QUICK)
        expect(page.locator("#position")).to_have_text(re.compile(r"^0 / "), timeout=QUICK)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        responsive(page)
    assert page_errors == []


def test_a_valid_link_still_round_trips(page: Page, context, page_errors) -> None:
    program = "t = 1\nv = [1, 2]\n损失 = (y - t)^2\ng = 损失 * sum(v)"
    page.goto(link(program, {"y": 3, "v": [4, 4], "t": 0.5}, s="3"))
    expect(page.locator("#position")).to_have_text(re.compile(r"^3 / "), timeout=QUICK)
    expect(page.get_by_role("spinbutton", name="y", exact=True)).to_have_value("3")
    expect(page.get_by_role("textbox", name="Program")).to_have_value(program)
    expect(page).to_have_url(re.compile(r"s=3"))
    other = context.new_page()
    other.on("pageerror", lambda err: page_errors.append(str(err)))
    other.goto(page.url)
    expect(other.locator("#position")).to_have_text(re.compile(r"^3 / "), timeout=QUICK)
    expect(other.get_by_role("spinbutton", name="y", exact=True)).to_have_value("3")
    expect(other.get_by_role("spinbutton", name="t", exact=True)).to_have_value("0.5")
    expect(other.get_by_role("textbox", name="Program")).to_have_value(program)
    # 损失 = (3 - 0.5)^2 = 6.25, sum(v) = 8
    expect(output_at_end(other)).to_have_text("50")
    other.close()
    assert page_errors == []


def test_the_link_schema_unit(page: Page) -> None:
    """fromLink and the name scan, called directly in the page's own modules."""
    page.goto(link("f = 1"))
    expect(page.locator("#circuit .node").first).to_be_visible()
    result = page.evaluate("""async () => {
      const { fromLink, toLink, initialState } = await import("/static/js/state.js");
      const { firstUse, firstUses, isName, usesName } = await import("/static/js/names.js");
      const read = (hash) => fromLink({ hash, search: "" });
      const at = (hash) => { try { return read(hash); } catch (e) { return "threw: " + e; } };
      const state = { ...initialState(), program: "a = 1\\nf = a * b",
        values: { b: [[1, "NaN"], ["Infinity", "-Infinity"]], "β_2": -0.5, _: 0 },
        step: 7, lang: "zh", expanded: ["n3", "n12"] };
      const nest = (depth) => Array.from({ length: depth }).reduce((v) => [v], 1);
      const deep = JSON.stringify({ x: nest(33), y: nest(32), z: 1 });
      return {
        roundTrip: read(toLink(state)),
        expandAll: read(toLink({ ...state, expandAll: true })).expandAll,
        unfolded: read(toLink({ ...state, foldGroups: false })).foldGroups,
        opened: read(toLink({ ...state, opened: ["g3", "g17"] })).opened,
        badGroups: read("#p=1&g=g1,x,n3,g2%29").opened,
        closed: read(toLink({ ...state, closed: ["g0", "g12"] })).closed,
        closedUnfolded: read(toLink({ ...state, closed: ["g0"], foldGroups: false })).closed,
        badClosed: read("#p=1&c=g1,x,n3,g2%29,g4").closed,
        names: ["x", "_x1", "损失", "é", "e\\u0301", "x2", "1x", "a-b", "(a+)+$", "", "a b",
                "x".repeat(64), "x".repeat(65), "__proto__"].map(isName),
        junk: ["", "#", "#p", "#p=%", "#p=1&v=%7B", "#p=1&s=-1&x=1,2", "#p=1&v=[]&lang=de",
               "#p=1&v=" + encodeURIComponent(deep),
               "#p=" + "x".repeat(100001)].map(at),
        mixed: read("#p=f%3Dx&v=" + encodeURIComponent(JSON.stringify(
          { x: 2, "(": 1, y: [1, [2, true]], z: "nan", w: [[], [3]], u: "-Infinity",
            ["q".repeat(64)]: 1, ["q".repeat(65)]: 2, t: {}, s: null }))).values,
        query: fromLink({ hash: "", search: "?p=f%3D2&s=2" }),
        firstUse: [firstUse("b = a2 + a # a\\nc = a", "a"),
                   firstUse("损失a = 1\\n损失 = 2", "损失"),
                   firstUse("f = x # (a+)+$", "(a+)+$"), firstUse("xx = 1", "x")],
        uses: [usesName("f = sum(X) # y", "y"), usesName("f = sum(X)", "X")],
        firstUses: [...firstUses("w = 1 # q r\\nf = w * q2 + q")],
        depths: Object.keys(read("#p=1&v=" + encodeURIComponent(deep)).values),
      };
    }""")
    assert result["roundTrip"] == {
        "program": "a = 1\nf = a * b",
        "values": {"b": [[1, "NaN"], ["Infinity", "-Infinity"]], "β_2": -0.5, "_": 0},
        "step": 7, "lang": "zh", "expandAll": False, "expanded": ["n3", "n12"],
        "foldGroups": True, "opened": [], "closed": []}
    assert result["expandAll"] is True
    assert result["unfolded"] is False
    assert result["opened"] == ["g3", "g17"] and result["badGroups"] == ["g1"]
    assert result["closed"] == ["g0", "g12"] and result["badClosed"] == ["g1", "g4"]
    assert result["closedUnfolded"] == []  # nothing is collapsed with the groups off
    assert result["names"] == [True, True, True, True, True, True, False, False, False, False,
                               False, True, True, True]
    blank = {"step": 0, "expandAll": False, "expanded": [], "foldGroups": True, "opened": [],
             "closed": []}
    one = {**blank, "program": "1"}
    assert result["junk"] == [blank, blank, blank, {**blank, "program": "%"}, one, one, one,
                              {**one, "values": {"y": json.loads("[" * 32 + "1" + "]" * 32),
                                                 "z": 1}}, blank]
    assert result["depths"] == ["y", "z"]  # lists nested 32 deep are kept, 33 are not
    assert result["mixed"] == {"x": 2, "w": [[], [3]], "u": "-Infinity", "q" * 64: 1}
    assert result["query"] == {**blank, "program": "f=2", "step": 2}
    assert result["firstUse"] == [9, 8, -1, -1]
    assert result["uses"] == [False, True]
    assert result["firstUses"] == [["w", 0], ["1", 4], ["f", 12], ["q2", 20], ["q", 25]]


def test_no_regular_expression_is_built_at_run_time() -> None:
    for path in STATIC_JS.glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert "RegExp(" not in text, path.name
