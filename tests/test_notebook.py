"""docs/backprop-lab.ipynb, executed by a real kernel (nbclient, ipykernel): every cell
runs, and its outputs are what the notebook's text says they are. (The widget it shows,
opened in a real JupyterLab in Chromium: tests/browser/test_jupyterlab.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tests.test_lab import svg_of

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "backprop-lab.ipynb"


def outputs_by_tag(notebook: nbformat.NotebookNode) -> dict[str, list]:
    found: dict[str, list] = {}
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for tag in cell.metadata.get("tags", []):
                found[tag] = cell.outputs
    return found


def text(outputs: list) -> str:
    parts = []
    for output in outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def test_the_notebook_runs_and_says_what_it_shows(tmp_path: Path) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, (cell.source, errors)
    out = outputs_by_tag(notebook)

    # the circuit displays itself: an SVG with the numbers, no script
    html = out["circuit"][0].data["text/html"]
    assert "<script" not in html
    svg = svg_of(html)
    for number in ("−12", "−4", "3", "−2", "5"):
        assert f">{number}<" in svg, number
    assert text(out["numbers"]) == "(-12.0, -4.0, {'x': -4.0, 'y': -4.0, 'z': 3.0, 'f': 1.0})"
    assert text(out["steps"]).count("'forward'") == 5 and "'backward'" in text(out["steps"])
    assert text(out["error"]).startswith("unknown_function 1 5\n")

    # the traced neuron: its program, unrolled, and micrograd's gradients
    traced = text(out["trace"])
    assert "neuron = tanh(b + w1 * x1 + w2 * x2)" in traced
    assert "tanh" in svg_of(out["trace"][-1].data["text/html"])
    assert text(out["trace-grads"]) == (
        "{'x1': -1.5, 'x2': 0.5, 'w1': 1.0, 'w2': 0.0, 'b': 0.5, 'neuron': 1.0}")

    # the widget: a live view of a model whose state the kernel holds
    view = out["widget"][0].data["application/vnd.jupyter.widget-view+json"]
    assert re.fullmatch(r"[0-9a-f]{32}", view["model_id"])
    assert text(out["widget-step"]) == "0"
    assert text(out["lesson"]) == "(True, True)"
    assert text(out["torch"]).strip() in ("True", "PyTorch is not installed here")


def test_the_stored_notebook_shows_the_circuit_without_a_kernel() -> None:
    """docs/backprop-lab.ipynb is kept with its outputs, so a notebook viewer (which runs
    nothing) shows the circuit and the numbers."""
    out = outputs_by_tag(nbformat.read(NOTEBOOK, as_version=4))
    assert ">−12<" in svg_of(out["circuit"][0].data["text/html"])
