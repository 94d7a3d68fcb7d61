"""Long programs on the page (issue 15): asked for in the compact answer and read back
exactly, the gradient check asked for only while its tab is open, and an editor that
keeps its line highlights and numbers in step with the text while a long program is
edited a line at a time.
"""

from __future__ import annotations

from urllib.parse import quote

from playwright.sync_api import Page, expect

from app.api.pages import STATIC_PREFIX
from app.examples import EXAMPLES
from bench.programs import neuron_network

LONG = neuron_network(2_200)  # 23,000 characters: over requests.js's LONG_PROGRAM

# Both forms of each request fetched by the page, the compact one read back by columns.js:
# the names of those whose two bodies differ (keys in any order), and the sizes.
SAME = """async ([prefix, requests]) => {
  const { fromColumns } = await import(`${prefix}/js/columns.js`);
  const canon = (x) => JSON.stringify(x, (k, v) => (v && typeof v === "object" && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
  const ask = async (body) => {
    const response = await fetch("/api/graph", { method: "POST", body: JSON.stringify(body),
                                                 headers: { "content-type": "application/json" } });
    if (!response.ok) throw new Error(await response.text());
    return response.text();
  };
  const differ = [];
  let bytes = 0, compact = 0;
  for (const [name, body] of requests) {
    const plain = await ask(body);
    const columns = await ask({ ...body, format: "columns" });
    bytes += plain.length;
    compact += columns.length;
    const back = await fromColumns(JSON.parse(columns));
    if (canon(back) !== canon(JSON.parse(plain))) differ.push(name);
  }
  return { differ, bytes, compact };
}"""


def test_the_compact_answer_reads_back_as_the_default_one(page: Page) -> None:
    page.goto("/?lang=en")
    expect(page.locator("#circuit .node").first).to_be_visible()
    requests = [(e["id"], {"source": e["source"], "values": e.get("values", {}), "check": True})
                for e in EXAMPLES]
    cs231n = "q = x + y\nf = q * z"
    requests += [
        ("folded", {"source": neuron_network(400), "values": {}, "groups": True}),
        ("laid-out", {"source": neuron_network(1_200), "values": {}, "groups": True,
                      "check": True}),
        ("expanded", {"source": "f = sigmoid(x * w) + tanh(x)", "values": {"x": 1, "w": 2},
                      "expand": True}),
        ("tools", {"source": cs231n, "values": {"x": -2, "y": 5, "z": -4}, "check": True,
                   "code": True, "sweep": {"input": "x"}, "lr": 0.1}),
        ("not-finite", {"source": "f = log(x) * y + 1 / z", "values": {"x": 0, "y": 2, "z": 0}}),
        ("tensors", {"source": "W = [[1, -2], [3, 4]]\nx = [[0.5], [-1]]\nf = sum(relu(W @ x))",
                     "values": {}, "check": True}),
    ]
    found = page.evaluate(SAME, [STATIC_PREFIX, requests])
    assert found["differ"] == []
    assert found["compact"] < found["bytes"] / 2


def graph_requests(page: Page) -> list[dict]:
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(r.post_data_json)
            if r.url.endswith("/api/graph") and r.method == "POST" else None)
    return sent


def test_a_long_program_is_checked_only_while_the_check_tab_is_open(page: Page) -> None:
    sent = graph_requests(page)
    page.goto(f"/#p={quote(LONG)}&lang=en")
    expect(page.locator("#circuit .node.group-box").first).to_be_visible(timeout=30_000)
    assert len(sent) == 1
    assert sent[0]["format"] == "columns" and sent[0]["check"] is False
    rows = page.locator("#check-rows tr")
    page.locator("#tab-check").click()
    expect(rows.first).to_be_visible(timeout=30_000)
    assert len(sent) == 2 and sent[1]["check"] is True
    assert rows.count() > 2
    expect(page.locator("#check-rows")).to_contain_text("✓ agrees")
    # the answer with the check answers the request without it: closing the tab sends none
    page.locator("#tab-explain").click()
    page.wait_for_timeout(800)
    assert len(sent) == 2
    expect(rows.first).to_be_attached()  # the check stays until the numbers change
    expect(page.locator("#circuit-loading")).to_be_hidden()


def lines_in_step(page: Page) -> dict:
    return page.evaluate("""() => {
      const text = document.getElementById("program").value.split("\\n");
      const shown = [...document.querySelectorAll("#backdrop .line")]
        .map((div) => div.textContent.replace(/\\n$/, ""));
      const numbers = [...document.querySelectorAll("#gutter .lines > div")]
        .map((d) => d.textContent);
      const same = shown.length === text.length && shown.every((l, i) => l === text[i]);
      return { lines: text.length, same, numbers: numbers.length,
               last: numbers[numbers.length - 1] };
    }""")


def test_editing_a_long_program_keeps_the_lines_and_numbers_in_step(page: Page) -> None:
    page.goto(f"/#p={quote(LONG)}&lang=en")
    expect(page.locator("#circuit .node").first).to_be_visible(timeout=30_000)
    area = page.locator("#program")
    count = LONG.count("\n") + 1
    assert lines_in_step(page) == {"lines": count, "same": True, "numbers": count,
                                   "last": str(count)}
    # the lines come in blocks laid out only near the view
    assert page.evaluate("getComputedStyle(document.querySelector('#backdrop .lines'))"
                         ".contentVisibility") == "auto"
    middle = len(LONG) // 2
    area.focus()
    # the line divs before the edit are kept as they are, not made again
    page.evaluate("document.querySelectorAll('#backdrop .line')[3].dataset.kept = 'yes'")
    # a line added in the middle, a character typed, two lines joined near the top
    page.evaluate(f"document.getElementById('program').setSelectionRange({middle}, {middle})")
    page.keyboard.press("Enter")
    page.keyboard.type("# a note")
    assert lines_in_step(page) == {"lines": count + 1, "same": True, "numbers": count + 1,
                                   "last": str(count + 1)}
    assert page.evaluate("document.querySelectorAll('#backdrop .line')[3].dataset.kept") == "yes"
    first = LONG.index("\n", 40)
    page.evaluate(f"document.getElementById('program').setSelectionRange({first + 1}, {first + 1})")
    page.keyboard.press("Backspace")
    page.keyboard.type("  ")
    assert lines_in_step(page) == {"lines": count, "same": True, "numbers": count,
                                   "last": str(count)}
    # the end of the program: its last lines shown and numbered as the view scrolls there
    page.keyboard.press("Control+End")
    page.keyboard.type("\ng = 1")
    assert lines_in_step(page) == {"lines": count + 1, "same": True, "numbers": count + 1,
                                   "last": str(count + 1)}
    # the gutter's last number is in view beside the textarea's last line
    last = page.locator("#gutter .lines > div").last
    expect(last).to_be_in_viewport()
