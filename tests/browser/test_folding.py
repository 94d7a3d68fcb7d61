"""Structure you can fold (issue 15): a big program opens folded into its statements.

micrograd's demo network (65,000 gates) opens as a picture of its layers, a layer
unfolds into its neurons and a statement into its gates, with the mouse and with + and −
on the keyboard; a folded statement shows its value and gradient and steps as one step,
and the explanation says what happened inside it. No text lands on another, at
1366×768 in English and at 390 px in Chinese.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from playwright.sync_api import Page, expect

from app.pipeline import run
from bench.programs import neuron_network
from tests.browser.drawing import collisions, measure, settle

NETWORK = neuron_network(400)  # about 80 sigmoid neurons, one statement each
LAYERS = ["the weights and biases", "the points", "layer 1: 16 relu neurons",
          "layer 2: 16 relu neurons", "the scores: the output neuron",
          "the margins: relu(1 − y·s)", "the loss: mean margin + L2"]


# The texts the progress line (#circuit-loading) shows, in order, from now on.
PROGRESS_SHOWN = """() => {
  window.progressShown = [];
  const line = document.getElementById("circuit-loading");
  new MutationObserver(() => {
    const text = line.textContent;
    if (!line.hidden && text !== window.progressShown[window.progressShown.length - 1]) {
      window.progressShown.push(text);
    }
  }).observe(line, { attributes: true, childList: true, characterData: true, subtree: true });
}"""


def box_titles(page: Page) -> list[str]:
    return page.locator("#circuit .node.group-box .group-title").all_text_contents()


def no_overlaps(page: Page, what: str) -> None:
    settle(page)
    drawn = measure(page)
    assert drawn["texts"], what
    found = collisions(drawn)
    assert not found, f"{what}: {found[:8]}"


def position(page: Page) -> tuple[int, int]:
    k, n = re.findall(r"\d+", page.locator("#position").inner_text())
    return int(k), int(n)


def statements(program: str) -> int:
    """The statements that make gates: one box each when folded."""
    graph = run(program).graph
    return sum(1 for n in graph.nodes if n.name and n.op not in ("input", "const"))


def test_the_demo_network_opens_as_its_layers_and_a_layer_unfolds_into_neurons(
        page: Page, shot) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(r.post_data_json)
            if r.url.endswith("/api/graph") and r.method == "POST" else None)
    page.goto("/?lang=en")
    options = page.locator("#examples option[value='micrograd-demo']")
    expect(options).to_have_count(1)
    expect(page.locator("#circuit .node").first).to_be_visible()
    page.evaluate(PROGRESS_SHOWN)
    page.select_option("#examples", "micrograd-demo")
    boxes = page.locator("#circuit .node.group-box")
    expect(boxes).to_have_count(len(LAYERS), timeout=120_000)
    assert box_titles(page) == LAYERS
    # asked for in the compact form, without the gradient check; its progress said
    demo = [body for body in sent if len(body["source"]) > 100_000]
    assert len(demo) == 1 and demo[0]["format"] == "columns" and demo[0]["check"] is False
    shown = page.evaluate("window.progressShown")
    assert shown[0] == "Working out the circuit on the server…", shown
    assert any(re.fullmatch(r"Receiving the answer: \d+\.\d MB…", text) for text in shown), shown
    assert shown[-2:] == ["Unpacking the answer…", "Drawing the circuit…"], shown
    expect(page.locator("#circuit-loading")).to_be_hidden()
    assert page.locator("#circuit .node.gate").count() == 0
    # a folded layer says what it holds; forward and back are one step each
    layer1 = boxes.filter(has_text="layer 1:")
    expect(layer1.locator(".group-stats")).to_have_text("8,000 gates")
    assert position(page) == (0, len(LAYERS) + 1 + 5)  # 7 forward, the seed, 5 with gates
    no_overlaps(page, "the demo network folded")
    shot("folded-demo-network")

    page.locator("#circuit .group-handle[aria-label='Unfold layer 1: 16 relu neurons']").click()
    expect(boxes).to_have_count(len(LAYERS) - 1 + 16)
    titles = box_titles(page)
    neurons = [t for t in titles if t.startswith("neuron")]
    assert neurons == [f"neuron {j} of layer 1" for j in range(1, 17)]
    frame = page.locator("#circuit .frame-title")
    expect(frame).to_have_text(["layer 1: 16 relu neurons"])
    # the view shows the unfolded layer from its top: its title in the upper part of the
    # circuit's box, then as many of its neurons as fit (a view centred on the title
    # showed an empty upper half and four neurons)
    settle(page)
    title_at, whole = page.evaluate("""() => {
      const box = document.getElementById('circuit').getBoundingClientRect();
      const title = document.querySelector('#circuit .frame-title').getBoundingClientRect();
      const inside = (r) => r.top >= box.top && r.bottom <= box.bottom
        && r.left >= box.left && r.right <= box.right;
      const neurons = [...document.querySelectorAll('#circuit .node.group-box')]
        .filter((g) => g.textContent.startsWith('neuron'))
        .filter((g) => inside(g.getBoundingClientRect()));
      return [(title.top - box.top) / box.height, neurons.length];
    }""")
    assert 0 <= title_at < 0.25, title_at
    assert whole >= 6, whole
    no_overlaps(page, "the demo network, layer 1 unfolded")
    shot("folded-demo-network-layer-unfolded")

    # − on a neuron folds the layer around it again, + on a box unfolds it
    boxes.filter(has_text="neuron 3 of layer 1").focus()
    page.keyboard.press("-")
    expect(boxes).to_have_count(len(LAYERS))
    expect(page.locator("#circuit .frame-title")).to_have_count(0)
    boxes.filter(has_text="layer 2:").focus()
    page.keyboard.press("+")
    expect(boxes).to_have_count(len(LAYERS) - 1 + 16)
    expect(page.locator("#circuit .frame-title")).to_have_text(["layer 2: 16 relu neurons"])

    # the gradient check, asked for when its tab opens: every input listed, the nudged
    # ones agreeing with backprop; the folds stay as they were
    page.locator("#tab-check").click()
    rows = page.locator("#check-rows tr")
    expect(rows).to_have_count(537, timeout=120_000)  # 337 weights and biases, 200 points
    assert sent[-1]["check"] is True and len(sent[-1]["source"]) > 100_000
    expect(rows.filter(has_text="✓ agrees").first).to_be_visible()
    assert rows.filter(has_text="✗ differs").count() == 0
    expect(boxes).to_have_count(len(LAYERS) - 1 + 16)


def test_a_folded_statement_steps_as_one_and_shows_its_value_and_gradient(page: Page, shot) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/#p={quote(NETWORK)}&lang=en")
    boxes = page.locator("#circuit .node.group-box")
    expect(boxes).to_have_count(statements(NETWORK), timeout=30_000)
    first = boxes.first
    expect(first.locator(".group-title")).to_have_text(re.compile(r"^h0_0 = sigmoid\("))
    expect(first.locator(".group-stats")).to_have_text("5 gates")
    inputs = page.locator("#circuit .node.input").count()
    assert inputs == 4
    for _ in range(inputs + 1):  # the inputs, then the first statement
        page.locator("#forward").click()
    explain = page.locator("#explain")
    expect(explain).to_contain_text("Forward through “h0_0 = sigmoid(")
    expect(explain).to_contain_text("as one step: its 5 gates compute h0_0 = ")
    expect(first.locator(".group-stats")).to_have_text(re.compile(r"^= [−-]?[0-9.]+$"))

    # the last backward step is the first statement's, all five gates at once
    page.locator("#timeline").press("End")
    expect(explain).to_contain_text("Backward through “h0_0 = sigmoid(")
    expect(explain).to_contain_text(
        "as one step: its 5 gates add their share of ∂f to 2 nodes outside it")
    stats = re.compile(r"^= [−-]?[0-9.]+\s+∂ [−-]?[0-9.e−-]+$")
    expect(first.locator(".group-stats")).to_have_text(stats)
    done, total = position(page)
    assert done == total
    no_overlaps(page, "the network folded, at the end of the pass")
    shot("folded-network-end")

    # unfolded, its gates step one by one: more steps, and still at the end
    first.focus()
    page.keyboard.press("+")
    gates = page.locator("#circuit .node.gate")
    expect(gates).to_have_count(5)
    assert page.locator("#circuit .node.gate .symbol").all_text_contents().count("σ") == 1
    done, more = position(page)
    assert more > total and done == more
    no_overlaps(page, "a statement unfolded into its gates")
    shot("folded-network-statement-unfolded")
    gates.first.focus()
    page.keyboard.press("-")
    expect(gates).to_have_count(0)
    assert position(page) == (total, total)


def test_folded_in_chinese_on_a_phone(page: Page, shot) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/#p={quote(NETWORK)}&lang=zh")
    boxes = page.locator("#circuit .node.group-box")
    expect(boxes).to_have_count(statements(NETWORK), timeout=30_000)
    expect(boxes.first.locator(".group-stats")).to_have_text("5 个门")
    handle = page.locator("#circuit .group-handle").first
    assert handle.get_attribute("aria-label").startswith("展开 h0_0 = sigmoid(")
    for _ in range(5):
        page.locator("#forward").click()
    expect(page.locator("#explain")).to_contain_text("前向一步走完“h0_0 = sigmoid(")
    no_overlaps(page, "folded, in Chinese at 390 px")
    # nothing of the page is wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot("folded-network-zh-390")


def test_the_switch_draws_a_big_program_whole(page: Page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/#p={quote(NETWORK)}&lang=en")
    boxes = page.locator("#circuit .node.group-box")
    expect(boxes).to_have_count(statements(NETWORK), timeout=30_000)
    page.locator("#fold-big").uncheck()
    expect(page.locator("#circuit .node")).to_have_count(len(run(NETWORK).graph), timeout=30_000)
    expect(page.locator("#circuit .node.group-box")).to_have_count(0)
    page.wait_for_url(lambda url: "f=0" in url)  # the link follows the switch


def test_a_folded_network_keeps_its_layers_level(page: Page, shot) -> None:
    """Each layer's neurons use the layer before; folded, each layer is a column of boxes.
    The columns stay level with one another, so the whole network is a band as tall as a
    layer or so, not a staircase stepping down the page (every column hung below the
    middle of the one before); Fit shows it at a scale that can be read."""
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"/#p={quote(NETWORK)}&lang=en")
    expect(page.locator("#circuit .node.group-box")).to_have_count(statements(NETWORK),
                                                                    timeout=30_000)
    columns, tallest, height = page.evaluate("""() => {
      const cols = new Map();  // a column's middle x -> its top and bottom
      for (const shape of document.querySelectorAll('#circuit .node.group-box .shape')) {
        const b = shape.getBBox();
        const x = Math.round(b.x + b.width / 2);
        const [top, bottom] = cols.get(x) || [Infinity, -Infinity];
        cols.set(x, [Math.min(top, b.y), Math.max(bottom, b.y + b.height)]);
      }
      const spans = [...cols.values()];
      return [spans.length, Math.max(...spans.map(([t, b]) => b - t)),
              Math.max(...spans.map(([, b]) => b)) - Math.min(...spans.map(([t]) => t))];
    }""")
    assert columns >= 10, columns
    assert height <= 2 * tallest, (height, tallest)  # a staircase was 2.9x (6.7x at 1,000 gates)
    page.locator("#fit").click()
    settle(page)
    shot("folded-network-fit")
