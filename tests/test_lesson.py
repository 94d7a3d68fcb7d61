"""Lesson files (app/lesson.py), the bundle they and the widget carry (app/bundle.py), and
what writes them: `backprop-lab lesson`, POST /api/lesson, `circuit.lesson()`. Opened in
Chromium from disk with the network blocked: tests/browser/test_lesson_file.py."""

from __future__ import annotations

import base64
import hashlib
import html as html_module
import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app import lab
from app.assets import SCRIPTS_DIR, STATIC_DIR
from app.bundle import BundleError, bundle
from app.cli.main import main
from app.lesson import lesson_data, lesson_html
from tests.helpers import assert_error

CS231N = "f = (x + y) * z"
VALUES = {"x": -2, "y": 5, "z": -4}


def parts(html: str) -> tuple[str, dict, str]:
    """The file's CSP, its stored data and its one script."""
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    data = re.search(r'<script type="application/json" id="lesson-data">(.*?)</script>', html,
                     re.S)
    script = re.search(r'<script type="module">(.*?)</script>', html, re.S)
    assert csp and data and script
    return html_module.unescape(csp.group(1)), json.loads(data.group(1)), script.group(1)


def test_a_lesson_file_is_self_contained() -> None:
    html = lesson_html(CS231N, VALUES)
    csp, data, script = parts(html)
    # nothing from anywhere: no src or href but data: URLs, no connection allowed
    assert re.findall(r'(?:src|href)="(?!data:)([^"]*)"', html) == []
    assert "connect-src 'none'" in csp and "default-src 'none'" in csp
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp  # the one script, allowed by its hash
    assert html.count("<script") == 2  # the script and the inert JSON
    assert "</script" not in script
    assert data["program"] == CS231N and data["values"] == VALUES
    plain = data["answers"]["plain"]["body"]
    assert [n["grad"] for n in plain["nodes"] if n["op"] == "input"] == [-4, -4, 3]
    assert plain["gradcheck"]["x"]["ok"] and "dx" in data["answers"]["plain"]["code"]["python"]
    assert set(data["sweeps"]) == {"x", "y", "z"}
    assert {op["name"] for op in data["ops"]} >= {"add", "mul", "sigmoid"}


def test_composite_gates_are_stored_expanded() -> None:
    data = lesson_data("f = sigmoid(x * w)", {"x": 2, "w": -1})
    composite = [n["id"] for n in data["answers"]["plain"]["body"]["nodes"] if n.get("composite")]
    assert set(data["answers"]) == {"plain", "all", *composite}
    assert any(n.get("expanded_from") for n in data["answers"]["all"]["body"]["nodes"])


def test_user_text_cannot_end_the_data_element() -> None:
    html = lesson_html("# </script><script>alert(1)</script>\nf = x * 2", {"x": 1})
    _, data, _ = parts(html)
    assert data["program"].startswith("# </script>")
    assert html.count("<script") == 2


def test_a_preset_keeps_its_paragraph() -> None:
    data = lesson_data("x = -2\ny = 5\nz = -4\nq = x + y\nf = q * z\n")
    assert data["example"] == "cs231n-add-mul" and len(data["examples"]) == 1


def test_a_wrong_program_is_refused() -> None:
    with pytest.raises(lab.LabError) as caught:
        lesson_html("f = sigmod(x)", {"x": 1})
    assert (caught.value.type, caught.value.line, caught.value.column) == (
        "unknown_function", 1, 5)


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lesson.html"
    assert main(["lesson", CS231N, "x=-2", "y=5", "z=-4", "-o", str(out), "--lang",
                 "zh"]) == 0
    _, data, _ = parts(out.read_text(encoding="utf-8"))
    assert data["lang"] == "zh" and data["values"] == VALUES
    program = tmp_path / "p.txt"
    program.write_text("f = sigmoid(x)\n", encoding="utf-8")
    assert main(["lesson", "-f", str(program), "x=0", "-o", "-"]) == 0
    assert capsys.readouterr().out.startswith("<!doctype html>")
    assert main(["lesson", "f = sigmod(x)", "-o", str(tmp_path / "no.html")]) == 2
    assert "unknown_function" in capsys.readouterr().err
    assert not (tmp_path / "no.html").exists()


def test_the_api(client: TestClient) -> None:
    answer = client.post("/api/lesson", json={"source": CS231N, "values": VALUES,
                                              "lang": "en"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-disposition"] == 'attachment; filename="lesson.html"'
    _, data, _ = parts(answer.text)
    assert data["program"] == CS231N and data["lang"] == "en"
    error = assert_error(client.post("/api/lesson", json={"source": "f = (x"}), 400, "syntax")
    assert error["line"] == 1
    assert_error(client.post("/api/lesson", json={"source": CS231N, "lang": "fr"}), 422,
                 "request")
    big = "x = " + json.dumps([[1.0] * 300] * 300) + "\nf = sum(x * x)"
    assert_error(client.post("/api/lesson", json={"source": big}), 400, "too_large")


def test_circuit_lesson_writes_the_same_file(tmp_path: Path) -> None:
    circuit = lab.circuit(CS231N, **VALUES)
    text = circuit.lesson(tmp_path / "l.html")
    assert (tmp_path / "l.html").read_text(encoding="utf-8") == text == lesson_html(CS231N,
                                                                                    VALUES)


def test_every_page_module_bundles() -> None:
    """Each of static/js bundles (the subset of module syntax app/bundle.py takes): a page
    module written outside it fails here, naming its file and line."""
    for path in sorted((STATIC_DIR / "js").glob("*.js")):
        if path.name == "docs.js":  # Swagger UI's classic script, no module
            continue
        text = bundle(path)
        assert text.startswith("// Backprop Lab") and "export function load" in text


def test_the_bundle_refuses_what_it_cannot_take(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text('import { b } from "./b.js";\nexport const a = b;\n')
    (tmp_path / "b.js").write_text('import { a } from "./a.js";\nexport const b = 1;\n')
    with pytest.raises(BundleError, match="cycle"):
        bundle(tmp_path / "a.js")
    (tmp_path / "c.js").write_text('export * from "./b.js";\n')
    with pytest.raises(BundleError, match="c.js:1"):
        bundle(tmp_path / "c.js")
    (tmp_path / "d.js").write_text('const m = await import("./b.js");\n')
    with pytest.raises(BundleError, match="dynamic"):
        bundle(tmp_path / "d.js")
    (tmp_path / "f.js").write_text("export const b = 1;\nexport default 2;\n")
    (tmp_path / "e.js").write_text(
        'import zh, { b as bee } from "./f.js";\nimport * as B from "./f.js";\n'
        "function f() { return bee + B.b; }\nexport { f as g };\nexport default 3;\n")
    text = bundle(tmp_path / "e.js")
    assert "const zh = __m[0].default; const { b: bee } = __m[0];" in text
    assert "return Object.freeze({ g: f, default: __default });" in text


def main_js_mounts(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return set(re.findall(r"^\s*(?:const \w+ = )?(mount\w+|watch\w+)\(", text, re.M))


def test_the_page_without_a_server_mounts_what_the_page_mounts() -> None:
    """app/js/page.js (lesson files, the widget) mounts every panel main.js mounts but the
    URL (link.js) and training (training.js): a panel added to the page is added there."""
    page = main_js_mounts(STATIC_DIR / "js" / "main.js")
    ours = main_js_mounts(SCRIPTS_DIR / "page.js")
    assert page - ours == {"watchLink", "mountTraining"}, page - ours
    assert ours <= page
