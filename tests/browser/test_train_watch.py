"""Training any program, watched (issue 16): Mazur's network one pass per click, the flight
recorder scrubbed and a pass stepped through, momentum and Adam in the update phase, your
own points clicked onto the plot and pasted as CSV, and what each neuron learned."""

from __future__ import annotations

import random
import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.drawing import measure, overlap, settle


def choose(page: Page, preset: str, lang: str = "en") -> None:
    page.goto(f"/?lang={lang}")
    expect(page.locator("#circuit .node").first).to_be_visible()
    page.get_by_role("combobox", name="Examples" if lang == "en" else "示例").select_option(preset)
    expect(page.locator("#train-panel")).to_be_visible()
    if preset == "seed004-train":  # its data set is in the circuit
        labels = page.get_by_role("textbox", name="y")
        expect(labels).to_have_value(re.compile(r"^\[(\d,){199}\d\]$"))


def set_range(page: Page, selector: str, value: int) -> None:
    page.locator(selector).fill(str(value))
    page.locator(selector).dispatch_event("input")


def go_to(page: Page, step: int) -> None:
    set_range(page, "#timeline", step)


def wire_value(page: Page, name: str):
    """The number on the wire out of the input `name` (its value in the circuit)."""
    node = page.locator(f'#circuit .node.input[aria-label="{name}"], '
                        f'#circuit .node.input[aria-label^="{name} "]')
    return page.locator(f'#circuit .edge[data-from="{node.get_attribute("data-id")}"] text.value')


def element_shot(page: Page, selector: str, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(selector).evaluate("e => e.scrollIntoView({block: 'center'})")
    page.locator(selector).screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_mazur_one_pass_per_click_then_the_recorder(page: Page) -> None:
    choose(page, "mazur-train")
    expect(page.get_by_label("Data set")).to_have_value("none")
    assert page.get_by_label("Passes").input_value() == "10000"
    expect(page.locator("#train-params-summary")).to_have_text("Parameters: 8 of 14 inputs")
    expect(page.locator("#train-canvas-wrap")).to_be_hidden()  # no data set: no plane to draw
    set_range(page, "#train-pace", 0)
    expect(page.locator("#train-pace-text")).to_have_text("one pass per click")
    page.get_by_role("button", name="Train", exact=True).click()
    note = page.locator("#train-note")
    expect(note).to_have_text("Paused at pass 0 of 10,000: loss 0.298, accuracy —.")
    page.locator("#timeline").fill("1000")  # the stepper at the end: every number on show
    page.locator("#timeline").dispatch_event("input")
    expect(wire_value(page, "w5")).to_have_text("0.4")
    one = page.get_by_role("button", name="One pass")
    one.click()
    # Mazur's first pass: E = 0.291027774, w5 = 0.35891648 — in the note and in the circuit
    expect(note).to_have_text("Paused at pass 1 of 10,000: loss 0.291, accuracy —.")
    expect(wire_value(page, "w5")).to_have_text("0.359")
    expect(wire_value(page, "w1")).to_have_text("0.15")
    expect(page.locator('#circuit .node.input.live')).to_have_count(8)
    line = page.locator("#train-loss .loss-line")
    expect(line).to_have_attribute("d", re.compile(r"^M[^L]*L[^L]*$"))  # passes 0 and 1
    one.click()
    expect(note).to_contain_text("Paused at pass 2 of 10,000")
    one.click()
    expect(note).to_contain_text("Paused at pass 3 of 10,000")
    expect(line).to_have_attribute("d", re.compile(r"^M[^L]*(L[^L]*){3}$"))
    axes = page.locator("#train-loss .plot-axis-name")
    expect(axes).to_have_text(["pass", "loss"])
    assert page.locator("#train-loss .plot-tick").count() >= 4
    # the flight recorder: every watched pass, scrubbed back to pass 1
    recorder = page.locator("#train-recorder")
    expect(recorder).to_have_attribute("max", "3")
    set_range(page, "#train-recorder", 1)
    expect(page.locator("#train-recorder-text")).to_have_text("pass 1: loss 0.291")
    expect(page.locator("#train-loss .loss-marker")).to_have_count(1)
    expect(wire_value(page, "w5")).to_have_text("0.359")
    set_range(page, "#train-recorder", 0)
    expect(wire_value(page, "w5")).to_have_text("0.4")
    # as fast as it goes: Mazur's 10,000 passes
    set_range(page, "#train-pace", 7)
    expect(note).to_contain_text("Done: 10,000 passes", timeout=30_000)
    expect(note).to_contain_text("loss 3.51e-5")
    expect(page.locator("#train-recorder-text")).to_contain_text("pass 0: loss 0.298")
    # step through the recorder's first pass: its forward, backward and Mazur's update
    set_range(page, "#train-recorder", 0)
    page.get_by_role("button", name="Step through this pass").click()
    expect(page.get_by_label("Update: one step of gradient descent")).to_be_checked()
    expect(page.locator("#position")).to_have_text(re.compile(r"^0 / \d+$"))
    expect(page.get_by_role("spinbutton", name="w5")).to_have_value("0.4")
    forward = page.get_by_role("button", name="Step forward")
    math = page.locator("#explain-math")
    while "w5 ←" not in math.inner_text():
        forward.click()
    expect(math).to_have_text("w5 ← w5 − r · ∂E/∂w5 = 0.4 − 0.5 × 0.08217 = 0.3589")
    expect(page.locator("#param-summary")).to_have_text("Parameters it moves: 8 of 14 inputs")


def test_momentum_and_adam_in_the_update_phase(page: Page, shot) -> None:
    page.goto("/?lang=en")
    page.get_by_role("combobox", name="Examples").select_option("mazur-network")
    expect(page.locator("#circuit .node.input")).to_have_count(14)
    page.get_by_label("Update: one step of gradient descent").check()
    bar = page.locator(".descent-bar")
    bar.get_by_label("optimizer").select_option("momentum")
    expect(bar.get_by_label("μ (mu)")).to_have_value("0.9")
    math = page.locator("#explain-math")
    go_to(page, 1000)  # the last step: b2's update, once momentum's answer is in
    expect(math).to_contain_text("b2 ← b2 + v = 0.6 + (−0.0502) = 0.5498")
    go_to(page, 0)
    forward = page.get_by_role("button", name="Step forward")
    while "w5 ←" not in math.inner_text():
        forward.click()
    expect(math).to_have_text("v ← μ·v − r·∂E/∂w5 = 0.9 × 0 − 0.5 × 0.08217 = −0.04108\n"
                              "w5 ← w5 + v = 0.4 + (−0.04108) = 0.3589")
    expect(page.locator("#explain-note")).to_contain_text("Momentum: the velocity v")
    go_to(page, 1000)
    page.get_by_role("button", name="Apply the update").click()
    expect(page.get_by_role("spinbutton", name="w5")).not_to_have_value("0.4")
    # the next pass lands at its end: b2's velocity carried from the step before
    expect(math).to_contain_text("v ← μ·v − r·∂E/∂b2 = 0.9 × (−0.0502) − 0.5 × ")
    go_to(page, 0)
    while "w5 ←" not in math.inner_text():
        forward.click()
    # the second step carries the velocity of the first
    expect(math).to_contain_text("v ← μ·v − r·∂E/∂w5 = 0.9 × (−0.04108) − 0.5 × ")
    shot("update-momentum")
    bar.get_by_label("optimizer").select_option("adam")
    expect(bar.get_by_label("β₁ (beta1)")).to_have_value("0.9")
    go_to(page, 1000)
    expect(math).to_contain_text("b2 ← b2 − r·m̂ / (√v̂ + ε)")
    go_to(page, 0)
    while "w5 ←" not in math.inner_text():
        forward.click()
    text = math.inner_text()
    assert text.startswith("m ← β₁·m + (1 − β₁)·∂E/∂w5 = 0.9 × 0 + (1 − 0.9) × ")
    assert "m̂ ← m / (1 − β₁^t) = " in text and "(1 − 0.9^1)" in text
    assert "w5 ← w5 − r·m̂ / (√v̂ + ε) = " in text
    expect(page.locator("#explain-note")).to_contain_text("Adam: m is a running mean")


def draw_points(page: Page, count: int = 40) -> None:
    """A blob of the second class (shift-click) inside a ring of the first."""
    canvas = page.locator("#train-boundary")
    rnd = random.Random(4)
    for _ in range(count):
        x, y = rnd.uniform(15, 265), rnd.uniform(15, 265)
        inside = (x - 140) ** 2 + (y - 140) ** 2 < 65 ** 2
        canvas.click(position={"x": x, "y": y}, modifiers=["Shift"] if inside else [])


def test_your_own_points_and_what_each_neuron_learned(page: Page) -> None:
    page.set_viewport_size({"width": 1280, "height": 1500})  # room for the whole plot
    choose(page, "seed004-train")
    expect(page.locator("#train-canvas-wrap")).to_be_visible()
    page.get_by_role("button", name="Clear the points").click()
    expect(page.get_by_label("Data set")).to_have_value("own")
    draw_points(page)
    element_shot(page, "#train-boundary", "train-own-points-drawn")
    page.get_by_label("Passes").fill("3000")
    page.locator("#train-optimizer").select_option("adam")
    page.locator("#train-panel").get_by_label("learning rate").fill("0.02")
    page.get_by_role("button", name="Train", exact=True).click()
    note = page.locator("#train-note")
    expect(note).to_contain_text("Done: 3,000 passes", timeout=30_000)
    accuracy = float(re.search(r"accuracy ([\d.]+)%", note.inner_text()).group(1))
    assert accuracy >= 90
    # the circuit's X holds the 40 points, y their classes
    expect(page.get_by_role("textbox", name="y")).to_have_value(re.compile(r"^\[(\d,){39}\d\]$"))
    maps = page.locator("#train-neurons canvas")
    expect(maps).to_have_count(3)
    expect(page.locator("#train-neurons figcaption")).to_have_text(["h[0]", "h[1]", "h[2]"])
    assert maps.first.get_attribute("aria-label") == "h, unit 0: its output over the plane"
    element_shot(page, "#train-boundary", "train-own-points-trained")
    element_shot(page, "#train-neurons-wrap", "train-neurons")


def test_pasted_csv_and_its_mistakes(page: Page) -> None:
    choose(page, "seed004-train", "zh")
    page.locator(".train-csv summary").click()
    csv = page.locator("#train-csv-text")
    csv.fill("x0, x1, label\n0.5, -1, 0\n1.5, zwei, 1\n")
    page.locator("#train-csv-use").click()
    expect(page.locator("#train-note")).to_have_text("'zwei' 不是数字")
    page.goto("/?lang=en")
    choose(page, "seed004-train")
    page.locator(".train-csv summary").click()
    csv = page.locator("#train-csv-text")
    csv.fill("x0, x1, label\n0.5, -1, 0\n1.5, 0.2, 1\n-0.3, 0.8, 1\n-1.2, -0.6, 0\n1, 1, 12")
    page.locator("#train-csv-use").click()
    expect(page.locator("#train-note")).to_have_text("a class label is a whole number from 0 to "
                                                     "9, not 12")
    csv.fill("x0, x1, label\n0.5, -1, 0\n1.5, 0.2, 1\n-0.3, 0.8, 1\n-1.2, -0.6, 0")
    page.locator("#train-csv-use").click()
    expect(page.get_by_label("Data set")).to_have_value("own")
    expect(page.get_by_role("textbox", name="y")).to_have_value("[0,1,1,0]")
    page.get_by_label("Passes").fill("200")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#train-note")).to_contain_text("Done: 200 passes", timeout=30_000)


BOUND_PROGRAM = "\n".join([
    "A = [[0, 0]]",
    "L = [0]",
    "W = [[0.1, -0.2], [0.3, 0.1]]",
    "b = [[0, 0]]",
    "loss = cross_entropy(A @ W + b, L)",
])


def test_a_data_set_goes_to_the_inputs_you_name(page: Page) -> None:
    """A program that reads its points as A and its classes as L (not X and y): the Train
    tab binds the moons to them, the circuit shows them there, and the run learns."""
    page.goto("/?lang=en")
    program = page.locator("#program")
    program.fill(BOUND_PROGRAM)
    expect(page.locator("#circuit .node.input")).to_have_count(4)
    page.get_by_role("tab", name="Train").click()
    points_to, labels_to = page.get_by_label("Points go to"), page.get_by_label("Labels go to")
    expect(points_to).to_be_disabled()  # no data set yet: nothing to bind
    page.get_by_label("Data set").select_option("moons")
    expect(points_to).to_be_enabled()
    expect(points_to).to_have_value("")  # the program has no X
    points_to.select_option("A")
    labels_to.select_option("L")
    # the moons are in the circuit, as A and L
    expect(page.get_by_role("textbox", name="A", exact=True)).to_have_value(
        re.compile(r"^\[\[-?[\d.]+(e-?\d+)?,"), timeout=10_000)
    expect(page.get_by_role("textbox", name="L", exact=True)).to_have_value(
        re.compile(r"^\[(\d,){199}\d\]$"))
    page.get_by_label("Passes").fill("200")
    page.get_by_role("button", name="Train", exact=True).click()
    note = page.locator("#train-note")
    expect(note).to_contain_text("Done: 200 passes", timeout=30_000)
    accuracy = float(re.search(r"accuracy ([\d.]+)%", note.inner_text())[1])
    assert accuracy > 70, note.inner_text()  # a linear boundary on the moons: most points
    expect(page.locator("#train-params-summary")).to_contain_text("Parameters")
    expect(page.locator("#error")).to_be_hidden()


MAP_BOXES = """() => {
  const root = document.querySelector("#circuit .viewport");
  const toRoot = root.getScreenCTM().inverse();
  return [...root.querySelectorAll(".neuron-map")].map((g) => {
    const b = g.getBBox();
    const m = toRoot.multiply(g.getScreenCTM());
    return [m.a * b.x + m.e, m.d * b.y + m.f,
            m.a * (b.x + b.width) + m.e, m.d * (b.y + b.height) + m.f];
  });
}"""


def tensor_numbers(page: Page, name: str) -> list[str]:
    node_id = page.locator(f'#circuit .node.input[aria-label="{name}"], '
                           f'#circuit .node.input[aria-label^="{name} "]').get_attribute("data-id")
    view = page.locator(f'#circuit .tensor-view[data-id="{node_id}"]')
    return view.locator(".tensor-block.value .tensor-num").all_text_contents()


def to_end(page: Page) -> None:
    """The stepper at the end of the pass, once the circuit's answer is in."""
    at_end = re.compile(r"^(\d+) / \1$")
    for _ in range(20):  # an answer still coming puts it back to the start
        settle(page)
        go_to(page, 1000)
        settle(page)
        if at_end.match(page.locator("#position").inner_text()):
            return
    raise AssertionError(page.locator("#position").inner_text())


def test_the_neuron_maps_beside_their_node_and_the_trained_numbers(page: Page, shot) -> None:
    """Each hidden unit's map in the circuit, in a column beside `h`, covering nothing and
    following the flight recorder; and once the run is done, the circuit shows the trained
    parameters (not the program's zeros)."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    choose(page, "seed004-train")
    to_end(page)  # the stepper at the end: every number on show
    w1 = tensor_numbers(page, "W1")
    assert w1 and set(w1) == {"0"}, w1  # the program writes its parameters as zeros
    page.get_by_label("Passes").fill("400")
    page.get_by_role("button", name="Train", exact=True).click()
    expect(page.locator("#train-note")).to_contain_text("Done: 400 passes", timeout=30_000)
    maps = page.locator("#circuit .neuron-map")
    expect(maps).to_have_count(3)
    node_id = page.locator("#circuit .neuron-column").get_attribute("data-node")
    expect(page.locator(f'#circuit .node[data-id="{node_id}"] .node-name')).to_have_text("h")
    assert maps.first.get_attribute("aria-label") == "h, unit 0: its output over the plane"
    expect(maps.first.locator("title")).to_have_text("h, unit 0: its output over the plane")
    # the trained numbers in the circuit, the stepper at the end of the pass
    to_end(page)
    trained = tensor_numbers(page, "W1")
    assert len(trained) == 6 and set(trained) != {"0"}, trained
    assert page.locator("#circuit .node.input.live").count() == 0  # a result, not a run going
    drawn = measure(page)
    boxes = page.evaluate(MAP_BOXES)
    h = next(s["box"] for s in drawn["shapes"] if s["owner"] == node_id and s["kind"] == "circle")
    hx, hy = (h[0] + h[2]) / 2, (h[1] + h[3]) / 2
    for box in boxes:
        assert 26 <= box[2] - box[0] <= 38 and 26 <= box[3] - box[1] <= 38, box
        near = max(abs((box[0] + box[2]) / 2 - hx), abs((box[1] + box[3]) / 2 - hy))
        assert near < 160, (box, h)  # beside its node
        for s in drawn["shapes"]:
            assert not overlap(s["box"], box), (s, box)
        for t in drawn["texts"]:
            assert not overlap(t["box"], box), (t, box)
    column = [round(b[0]) for b in boxes]
    # stacked in one column, in the units' order
    assert len(set(column)) == 1 and boxes[0][3] <= boxes[1][1] <= boxes[1][3] <= boxes[2][1]
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#circuit").screenshot(path=str(ARTIFACTS / "train-neurons-circuit.png"))
    # the flight recorder: at pass 0 the maps are those of the starting parameters
    first = maps.first.locator("image").get_attribute("href")
    assert first.startswith("data:image/png;base64,")
    set_range(page, "#train-recorder", 0)
    expect(page.locator("#train-recorder-text")).to_contain_text("pass 0:")
    expect(maps.first.locator("image")).not_to_have_attribute("href", first, timeout=10_000)
    expect(maps).to_have_count(3)
    expect(page.locator("#circuit .neuron-map image").first).to_have_attribute(
        "href", re.compile(r"^data:image/png;base64,"))
    settle(page)
    to_end(page)
    assert tensor_numbers(page, "W1") != trained  # the starting parameters, at pass 0
    page.locator("#circuit").screenshot(path=str(ARTIFACTS / "train-neurons-circuit-pass0.png"))
    # back to the end of the run: its maps and its numbers again
    last = int(page.locator("#train-recorder").get_attribute("max"))
    set_range(page, "#train-recorder", last)
    expect(maps.first.locator("image")).to_have_attribute("href", first, timeout=10_000)


# ---------------------------------------------------------------- pause, the boundary, the maps

PICTURE = "c => c.toDataURL()"
SHADED = "c => c.getContext('2d').getImageData(1, 1, 1, 1).data[3]"  # a corner: no point there


def passes_shown(page: Page) -> int:
    """The pass the progress bar stands at."""
    return int(page.locator("#train-progress").evaluate("p => p.value"))


def maps_shown(page: Page) -> list[str]:
    return [c.evaluate(PICTURE) for c in page.locator("#train-neurons canvas").all()]


def test_pause_holds_the_run_and_resume_takes_it_on(page: Page) -> None:
    """Pause at 30 passes a second: the button reads Resume, the note says paused, and the
    pass counter and the progress bar stand still (One pass still goes one); Resume takes
    the run on from there to its end."""
    choose(page, "seed004-train")
    page.get_by_label("Passes").fill("3000")
    set_range(page, "#train-pace", 5)
    expect(page.locator("#train-pace-text")).to_have_text("30 passes a second")
    pause = page.locator("#train-pause")
    note = page.locator("#train-note")
    expect(pause).to_be_disabled()  # no run yet
    page.get_by_role("button", name="Train", exact=True).click()
    expect(pause).to_be_enabled()
    expect(pause).to_have_text("Pause")
    expect(note).to_have_text(re.compile(r"^Pass [1-9][\d,]* of 3,000: loss "))  # going
    pause.click()
    expect(pause).to_have_text("Resume")
    expect(note).to_have_text(re.compile(r"^Paused at pass [\d,]+ of 3,000: loss "))
    one = page.get_by_role("button", name="One pass")
    expect(one).to_be_enabled()
    page.wait_for_timeout(500)  # a pass already on its way may still land
    held, said = passes_shown(page), note.inner_text()
    assert 0 < held < 3000, held
    page.wait_for_timeout(1500)  # 45 passes at this pace, were the run going
    assert (passes_shown(page), note.inner_text()) == (held, said)
    one.click()  # paused, it still goes one pass at a time
    expect(note).to_contain_text(f"Paused at pass {held + 1:,} of 3,000")
    assert passes_shown(page) == held + 1
    pause.click()
    expect(pause).to_have_text("Pause")
    expect(one).to_be_disabled()
    expect(note).to_have_text(re.compile(r"^Pass [\d,]+ of 3,000: loss "))
    page.wait_for_function(f"() => document.querySelector('#train-progress').value > {held + 1}")
    set_range(page, "#train-pace", 7)  # as fast as it goes, to the end
    expect(note).to_contain_text("Done: 3,000 passes", timeout=30_000)
    assert passes_shown(page) == 3000
    expect(pause).to_be_disabled()
    expect(pause).to_have_text("Pause")


def test_the_boundary_and_the_maps_move_with_each_pass_and_with_the_recorder(page: Page) -> None:
    """One pass per click on the moons: each pass changes the loss, the decision boundary
    and what each neuron learned. At the end the boundary is another; scrubbed back to pass
    0 it is pass 0's again, pixel for pixel, and so are the maps; back at the end, the
    end's."""
    page.set_viewport_size({"width": 1280, "height": 1500})
    choose(page, "seed004-train")
    page.get_by_label("Passes").fill("400")
    set_range(page, "#train-pace", 0)
    page.get_by_role("button", name="Train", exact=True).click()
    note = page.locator("#train-note")
    canvas = page.locator("#train-boundary")
    expect(note).to_have_text(re.compile(r"^Paused at pass 0 of 400: loss "))
    expect(page.locator("#train-neurons canvas")).to_have_count(3)
    assert canvas.evaluate(SHADED) == 255  # the boundary covers the plot
    seen = [(note.inner_text(), canvas.evaluate(PICTURE), maps_shown(page))]
    one = page.get_by_role("button", name="One pass")
    for k in (1, 2, 3):
        one.click()
        expect(note).to_have_text(re.compile(rf"^Paused at pass {k} of 400: loss "))
        seen.append((note.inner_text(), canvas.evaluate(PICTURE), maps_shown(page)))
    for (note_a, boundary_a, maps_a), (note_b, boundary_b, maps_b) in zip(seen, seen[1:],
                                                                          strict=False):
        assert note_a.split("loss ")[1] != note_b.split("loss ")[1], (note_a, note_b)
        assert boundary_a != boundary_b, note_b
        assert maps_a != maps_b, note_b
    start_boundary, start_maps = seen[0][1], seen[0][2]
    set_range(page, "#train-pace", 7)
    expect(note).to_contain_text("Done: 400 passes", timeout=30_000)
    end_boundary, end_maps = canvas.evaluate(PICTURE), maps_shown(page)
    assert end_boundary != start_boundary and end_maps != start_maps
    text = page.locator("#train-recorder-text")
    last = int(page.locator("#train-recorder").get_attribute("max"))

    def scrubbed_to(index: int, pass_text: str) -> tuple[str, list[str]]:
        set_range(page, "#train-recorder", index)
        expect(text).to_contain_text(pass_text)
        # the pictures of a scrubbed pass come from the server: drawn once they are in
        expect(page.locator("#train-neurons canvas")).to_have_count(3, timeout=10_000)
        page.wait_for_function("() => document.querySelector('#train-boundary').getContext('2d')"
                               ".getImageData(1, 1, 1, 1).data[3] === 255")
        return canvas.evaluate(PICTURE), maps_shown(page)

    start_loss = seen[0][0].split("loss ")[1].split(",")[0]
    assert scrubbed_to(0, f"pass 0: loss {start_loss}") == (start_boundary, start_maps)
    assert scrubbed_to(last, "pass 400:") == (end_boundary, end_maps)
    assert scrubbed_to(0, "pass 0:") == (start_boundary, start_maps)
