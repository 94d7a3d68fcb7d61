"""Where the page's files are: `static/` and `templates/`, and the package's own scripts.

In the repository they live beside the package (`static/`, `templates/` next to `app/`);
a built wheel carries them inside it, as `app/static` and `app/templates`
(pyproject.toml maps them there), so an installed Backprop Lab never reads anything from
outside its package. Both are found from this file's own path: the copy inside the package
first, the checkout's otherwise (an editable install, or `python -m app` from the
repository).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    inside = PACKAGE / name
    if inside.is_dir():
        return inside
    beside = PACKAGE.parent / name
    if beside.is_dir():
        return beside
    raise FileNotFoundError(
        f"the page's {name}/ directory is neither in the package ({inside}) nor beside it "
        f"({beside}): reinstall Backprop Lab")


STATIC_DIR = _find("static")
TEMPLATES_DIR = _find("templates")
# The package's own ES modules: the notebook widget's and the lesson file's entry points,
# which import the page's modules (static/js) by their served path, /static/js/….
SCRIPTS_DIR = PACKAGE / "js"
