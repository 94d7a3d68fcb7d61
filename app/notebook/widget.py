"""`circuit.show()`: the page as a live Jupyter widget (anywidget), computed in the kernel.

The widget's front end is one ES module (`ESM`): the page's own modules bundled with
app/js/page.js (app/bundle.py), then app/js/widget-host.js, which mounts them inside a
shadow root (so the page's stylesheet and element ids touch nothing of the notebook) and
hands them a `fetch` that sends each request to the kernel. `CircuitWidget` answers it by
calling the pipeline (app/notebook/kernel.py): no server, no network, the same numbers,
stepper, explanation and teaching tools as the page. `step` follows the stepper both
ways; `program`, `values` and `lang` set what it shows.

anywidget is an optional dependency: `pip install 'backprop-lab[notebook]'`.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.assets import SCRIPTS_DIR, STATIC_DIR, TEMPLATES_DIR
from app.bundle import bundle
from app.notebook.kernel import answer

try:
    import anywidget
    import traitlets
except ImportError as err:  # pragma: no cover - the message is the point
    raise ImportError("circuit.show() needs anywidget: pip install 'backprop-lab[notebook]' "
                      "(or pip install anywidget)") from err

# The page's document-level selectors, which in a shadow root name its wrapper instead.
DOCUMENT_SELECTOR = re.compile(r"(?<![\w.#-])(?:html|body|:root)(?![\w-])")


@cache
def esm() -> str:
    """The widget's front end: the bundled page, then the widget's start-up."""
    return bundle(SCRIPTS_DIR / "page.js") + "\n" + (SCRIPTS_DIR / "widget-host.js").read_text(
        encoding="utf-8")


def shadow_css(css: str) -> str:
    """The page's stylesheet for a shadow root: `:root`, `html` and `body` become the
    `.bpl-page` wrapper the page is mounted in."""
    out = []
    # innermost blocks are declarations; between them are only preludes and braces
    for part in re.split(r"(\{[^{}]*\})", css):
        if part.startswith("{"):
            out.append(part)
            continue
        for piece in re.split(r"([{}])", part):
            at_rule = piece.lstrip().startswith("@")
            out.append(piece if at_rule else DOCUMENT_SELECTOR.sub(".bpl-page", piece))
    return "".join(out)


@cache
def page_css() -> str:
    return shadow_css((STATIC_DIR / "css" / "app.css").read_text(encoding="utf-8"))


@cache
def page_html() -> str:
    """The page's body (templates/index.html's `body` block): its elements, by id."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)),
                      autoescape=select_autoescape(["html"]))

    def no_static(path: str) -> str:
        raise KeyError(f"the page's body names the static file {path}: the widget has none")

    env.globals["static_url"] = no_static
    template = env.get_template("index.html")
    context = template.new_context({})
    return "".join(template.blocks["body"](context))


class CircuitWidget(anywidget.AnyWidget):
    """The page's stepper, explanation and teaching tools for one program, in a notebook."""

    _esm = traitlets.Unicode().tag(sync=True)
    _page_html = traitlets.Unicode().tag(sync=True)
    _page_css = traitlets.Unicode().tag(sync=True)
    program = traitlets.Unicode().tag(sync=True)
    values = traitlets.Dict().tag(sync=True)
    lang = traitlets.Unicode("en").tag(sync=True)
    step = traitlets.Int(0).tag(sync=True)

    def __init__(self, program: str, values: dict[str, Any] | None = None, lang: str = "en",
                 step: int = 0, **kwargs: Any) -> None:
        if lang not in ("en", "zh"):
            raise ValueError(f"lang is 'en' or 'zh', not {lang!r}")
        super().__init__(_esm=esm(), _page_html=page_html(), _page_css=page_css(),
                         program=program, values=dict(values or {}), lang=lang, step=step,
                         **kwargs)
        self.on_msg(self._request)

    def __repr__(self) -> str:
        first = self.program.strip().splitlines()[-1] if self.program.strip() else ""
        return f"<CircuitWidget {first!r} at step {self.step}>"

    def _request(self, widget: Any, content: Any, buffers: Any) -> None:
        if isinstance(content, dict) and "url" in content:
            self.send(answer(content))
