"""A lesson file: one self-contained HTML page that needs no server and no network.

`lesson_html(source, values)` writes the page of templates/index.html with everything
inside it: the page's ES modules bundled into one inline module (app/bundle.py, with the
start-up of app/js/lesson-host.js), its stylesheet and icon as data: URLs, and this
program's answers, computed now by the pipeline the API uses (app/pipeline.py). Opened
from disk (`file://`), the page steps through the forward and backward pass, explains each
step, switches between English and Chinese, and has the teaching tools whose answers are
stored: the gradient check, the staged code, the nudge plot of each scalar input, practice
and *Forgot the +=?*, and the circuit as written, with every composite gate expanded, or
with one expanded (up to MAX_SINGLE_EXPANSIONS composite gates). Editing is off, with a
note; the network builder, gradient descent and training, which need the server, are
hidden.

Its Content-Security-Policy (a meta element) allows the one inline script by its hash,
the stylesheet and pictures from data: and blob: URLs, and no connection at all.

`backprop-lab lesson PROGRAM -o lesson.html` and `POST /api/lesson` write it; so does
`circuit.lesson(path)` in Python.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.assets import SCRIPTS_DIR, STATIC_DIR, TEMPLATES_DIR
from app.bundle import bundle
from app.engine.sweep import sweep
from app.errors import LabError
from app.examples import EXAMPLES
from app.jsonify import deep
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY
from app.pipeline import Options, graph_response, run

VERSION = "0.1.0"
MAX_SINGLE_EXPANSIONS = 8  # composite gates, each stored expanded on its own, at most
CSP = ("default-src 'none'; script-src {script}; style-src data:; img-src data: blob:; "
       "font-src data:; connect-src 'none'; object-src 'none'; base-uri 'none'; "
       "form-action 'none'")


@cache
def script() -> str:
    """The page's modules and the lesson's start-up, as the text of one inline module."""
    text = bundle(SCRIPTS_DIR / "page.js") + "\n" + (SCRIPTS_DIR / "lesson-host.js").read_text(
        encoding="utf-8")
    # nothing in it may close the <script> element or open an HTML comment
    return text.replace("</script", "<\\/script").replace("<!--", "<\\!--")


def _data_url(path: str, mime: str) -> str:
    raw = (STATIC_DIR / path).read_bytes()
    return f"data:{mime};base64,{base64.b64encode(raw).decode('ascii')}"


@cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                      autoescape=select_autoescape(["html"]))
    urls = {"css/app.css": _data_url("css/app.css", "text/css"),
            "favicon.svg": _data_url("favicon.svg", "image/svg+xml")}

    def static_url(path: str) -> str:
        if path not in urls:
            raise KeyError(f"a lesson file has no {path}: the page asks for a static file "
                           "app/lesson.py does not inline")
        return urls[path]

    env.globals["static_url"] = static_url
    return env


def _json(value: Any) -> str:
    """JSON for inside an HTML element: no `<` that could end it."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).replace("<", "\\u003c")


def _variant(source: str, values: dict[str, Any], expand: bool | list[str],
             limits: Limits) -> dict[str, Any]:
    """One stored answer: the circuit with the gradient check, and its code (or the
    error that says why there is none)."""
    entry: dict[str, Any] = {}
    try:
        body = graph_response(source, values, options=Options(expand=expand, check=True,
                                                              code=True), limits=limits)
        entry["code"] = body.pop("code")
    except LabError as err:
        if not err.key.startswith("code_"):
            raise
        body = graph_response(source, values, options=Options(expand=expand, check=True),
                              limits=limits)
        entry["code_error"] = err.envelope()
    entry["body"] = body
    return entry


def lesson_data(source: str, values: dict[str, Any] | None = None, lang: str | None = None,
                limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """What a lesson file stores: the program, its values and every answer it can show.
    Raises LabError for a program with a mistake, as the API answers 400."""
    values = dict(values or {})
    plain = _variant(source, values, False, limits)
    answers = {"plain": plain}
    composites = [n["id"] for n in plain["body"]["nodes"] if n.get("composite")]
    if composites:
        answers["all"] = _variant(source, values, True, limits)
        if len(composites) <= MAX_SINGLE_EXPANSIONS:
            for node_id in composites:
                answers[node_id] = _variant(source, values, [node_id], limits)
    sweeps: dict[str, Any] = {}
    output = next(n for n in plain["body"]["nodes"] if n["id"] == plain["body"]["output"])
    if not output["shape"]:
        ev = run(source, values, limits=limits)
        for node in plain["body"]["nodes"]:
            if node["op"] == "input" and not node["shape"]:
                try:
                    sweeps[node["name"]] = deep(sweep(ev, node["name"]))
                except LabError:
                    pass  # an input the plot cannot slide (a class label): the page says so
    matching = [e for e in EXAMPLES if e["source"] == source and not e.get("train")]
    return {
        "program": source, "values": values, "lang": lang,
        "example": matching[0]["id"] if matching else "",
        "examples": matching[:1],
        "ops": [op.describe() for op in REGISTRY.values()],
        "answers": answers, "sweeps": sweeps,
    }


def lesson_html(source: str, values: dict[str, Any] | None = None, lang: str | None = None,
                title: str | None = None, limits: Limits = DEFAULT_LIMITS) -> str:
    """The lesson file of a program (see the module's docstring)."""
    if lang not in (None, "en", "zh"):
        raise ValueError(f"lang is 'en', 'zh' or None (the reader's browser), not {lang!r}")
    data = lesson_data(source, values, lang, limits)
    code = script()
    digest = base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode("ascii")
    first = next((line.strip() for line in source.splitlines()
                  if line.strip() and not line.strip().startswith("#")), "")
    template = _environment().get_template("lesson.html")
    # lesson: a file from disk has no server, so no link to the API's documentation
    return template.render(lesson=True, title=title or first[:80] or "A lesson", data=_json(data),
                           script=code, csp=CSP.format(script=f"'sha256-{digest}'"),
                           version=VERSION)
