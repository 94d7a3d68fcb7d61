"""Share links that ask for a huge answer, and tensors the trace sends by reference (issue 19).

A 4 KB link once made every visitor's tab wait 26 s and hold a 551 MB heap while
the server wrote 434 MB. Now the server refuses it before any work and the page
says why; a program with big tensors steps to its end with the tensors' numbers
taken from their nodes.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from playwright.sync_api import Page, expect

from app.limits import DEFAULT_LIMITS

A = [round(0.001 * k, 3) for k in range(316)]
AMPLIFIER = (f"a = {json.dumps(A)}\nW = reshape(a, 316, 1) * reshape(a, 1, 316)\nA1 = W * W\n"
             + "".join(f"A{k} = A{k - 1} * W\n" for k in range(2, 19)) + "f = sum(A18)")


def test_a_link_asking_for_a_huge_answer_is_refused_and_said_so(page: Page, shot) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    link = f"/#p={quote(AMPLIFIER)}&lang=en"
    assert len(link) < 6_000
    page.goto(link)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("the answer would hold", timeout=10_000)
    expect(alert).to_contain_text(f"over the limit of {DEFAULT_LIMITS.max_response_numbers:,}")
    heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
    assert heap < 100 * 2**20, f"{heap / 2**20:.0f} MiB of JavaScript heap"
    assert not errors, errors
    shot("answer-too-large")


def test_big_tensors_step_to_the_end_from_their_nodes(page: Page, shot) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    x = [[round((r * 10 + c) / 50 - 1, 2) for c in range(10)] for r in range(10)]
    program = "Y = tanh(X) * X\nf = sum(Y * Y)"
    page.goto(f"/#p={quote(program)}&v={quote(json.dumps({'X': x}))}&s=99&lang=en")
    view = page.locator('#circuit .tensor-view[data-id="n0"]')
    # X feeds two gates: its gradient comes complete with the last contribution
    expect(view.locator(".tensor-block.grad")).to_be_visible()
    expect(page.locator("#explain")).to_contain_text("∂f/∂X")
    assert not errors, errors
    shot("big-tensor-end")
