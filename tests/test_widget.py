"""The widget's kernel side (app/notebook): its answers are the API's, for every path the
page's API client calls; its front end is the bundled page and its start-up; the page's
stylesheet is scoped to the widget. (The widget in a real JupyterLab:
tests/browser/test_jupyterlab.py.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.assets import STATIC_DIR
from app.notebook.kernel import ROUTES, answer
from app.notebook.widget import CircuitWidget, esm, page_css, page_html, shadow_css
from tests.helpers import check_envelope

# What a notebook has no use for: training (the server's worker processes) and its data.
# training needs the server's workers; a notebook writes a lesson file with circuit.lesson()
# (the widget hides Export lesson)
SERVER_ONLY = ("/api/train", "/api/datasets", "/api/points", "/api/lesson")


def ask(method: str, url: str, body: Any = None) -> dict[str, Any]:
    return answer({"id": 7, "method": method, "url": url,
                   "body": None if body is None else json.dumps(body)})


def test_the_kernel_answers_every_path_the_page_calls() -> None:
    text = (STATIC_DIR / "js" / "api.js").read_text(encoding="utf-8")
    paths = set(re.findall(r"""["`](/api/[\w/-]+)""", text))
    answered = {path for _, path in ROUTES}
    missing = {p for p in paths - answered if not p.startswith(SERVER_ONLY)}
    assert not missing, f"the widget's kernel does not answer {missing}: app/notebook/kernel.py"


@pytest.mark.parametrize(("method", "url", "body"), [
    ("POST", "/api/graph", {"source": "f = (x + y) * z", "values": {"x": -2, "y": 5, "z": -4},
                            "check": True, "code": True, "sweep": {"input": "x"}}),
    ("POST", "/api/graph", {"source": "f = sigmoid(x * w)", "values": {"x": 2, "w": -1},
                            "expand": True, "lr": 0.5}),
    ("POST", "/api/network", {"sizes": [2, 2, 2], "seed": 3}),
    ("GET", "/api/ops", None),
    ("GET", "/api/examples", None),
    ("GET", "/api/optimizers", None),
])
def test_the_kernel_answers_as_the_api(client: TestClient, method: str, url: str,
                                       body: Any) -> None:
    expected = client.request(method, url, json=body)
    assert expected.status_code == 200
    reply = ask(method, url, body)
    assert reply["id"] == 7 and reply["status"] == 200
    assert json.loads(json.dumps(reply["body"])) == expected.json()


@pytest.mark.parametrize(("body", "status"), [
    ({"source": "f = sigmod(x)", "values": {"x": 1}}, 400),
    ({"source": "f = (x", "values": {}}, 400),
    ({"sourc": "f = x"}, 422),
    ({"source": "f = x", "expand": "yes"}, 422),
])
def test_mistakes_get_the_apis_envelope(client: TestClient, body: Any, status: int) -> None:
    expected = client.post("/api/graph", json=body)
    reply = ask("POST", "/api/graph", body)
    assert reply["status"] == expected.status_code == status
    error = check_envelope(json.loads(json.dumps(reply["body"])), status)
    assert error["type"] == expected.json()["error"]["type"]
    if status == 400:
        assert reply["body"] == expected.json()


def test_what_a_notebook_does_not_answer() -> None:
    reply = ask("POST", "/api/train", {"source": "f = x"})
    assert reply["status"] == 404
    assert check_envelope(reply["body"], 404)["type"] == "not_found"
    lesson = ask("POST", "/api/lesson", {"source": "f = x * 2", "values": {"x": 1}})
    assert lesson["status"] == 200 and lesson["type"] == "text/html"
    assert lesson["text"].startswith("<!doctype html>")


def test_the_widget_carries_the_page() -> None:
    widget = CircuitWidget("f = (x + y) * z", {"x": -2, "y": 5, "z": -4}, lang="zh")
    assert (widget.program, widget.values, widget.lang, widget.step) == (
        "f = (x + y) * z", {"x": -2, "y": 5, "z": -4}, "zh", 0)
    front = esm()
    assert "export function load(ctx = {})" in front and "export default { render };" in front
    assert "// static/js/circuitpanel.js" in front or "circuitpanel.js" in front
    assert 'id="circuit"' in page_html() and 'id="forward"' in page_html()
    assert "<script" not in page_html()
    sent: list[Any] = []
    widget.send = sent.append  # type: ignore[method-assign]
    widget._request(widget, {"id": 1, "method": "GET", "url": "/api/ops", "body": None}, [])
    assert sent and sent[0]["status"] == 200 and sent[0]["body"]["ops"]
    with pytest.raises(ValueError):
        CircuitWidget("f = x", lang="fr")
    assert "at step 0" in repr(widget)


def test_the_stylesheet_is_scoped_to_the_widget() -> None:
    css = shadow_css(":root { --a: 1; }\nbody, html > p { margin: 0; }\n.body { x: 1; }\n"
                     "@media (max-width: 820px) { body { y: 2; } }\n#html-x { z: 3; }")
    assert css == (".bpl-page { --a: 1; }\n.bpl-page, .bpl-page > p { margin: 0; }\n"
                   ".body { x: 1; }\n@media (max-width: 820px) { .bpl-page { y: 2; } }\n"
                   "#html-x { z: 3; }")
    scoped = page_css()
    assert not re.search(r"(?m)^\s*(?::root|body|html)\b", scoped)
    assert ".bpl-page" in scoped
