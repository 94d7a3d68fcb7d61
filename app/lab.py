"""Backprop Lab from Python: `from app import lab` (or `import backprop_lab`).

    >>> from app import lab
    >>> circuit = lab.circuit("f = (x + y) * z", x=-2, y=5, z=-4)
    >>> circuit.value
    -12.0
    >>> circuit["x"].grad, circuit.grads["z"]
    (-4.0, 3.0)

A `Circuit` is one answer of the pipeline the API and the command line share
(app/pipeline.py): `circuit.answer` is exactly the body `POST /api/graph` returns for
the same program and values, and everything else here reads it —

- `circuit[name]` (or `circuit["n3"]`, by node id) is a `Node`: its op, value and
  gradient (a float for a scalar, a numpy array for a tensor; `grad` is None for a
  constant), shape, inputs and the place in the program it came from;
- `circuit.values` and `circuit.grads`: every named node's value and gradient, by name;
- `circuit.steps`: the step trace, forward then backward, as the API writes it (each
  backward edge's upstream gradient, local derivative, product and running `+=` sum);
- `circuit.value`, `circuit.output`, `circuit.nodes`, `circuit.inputs`, `circuit.source`.

A mistake in the program or its values raises `LabError`, with the same `type`, `line`,
`column` (and `end_line`, `end_column`, `summary`, `key`, `args`) as the API's error
envelope; `err.envelope()` is that envelope.

In Jupyter a circuit draws itself (`_repr_html_`: an SVG of the circuit with every value
and gradient, and a table of the numbers; no JavaScript, so a static render of the
notebook shows it too), and `circuit.show()` is the page's stepper, explanation and
teaching tools as a live widget, computed in the kernel (app/notebook).

`lab.trace(fn, x=…, y=…)` runs a Python function on traced numbers and returns the
circuit of what it computed, with `circuit.source`, the program in the circuit
language (app/tracing.py). `lab.compare_torch(circuit)` runs the same circuit through
PyTorch's autograd, where PyTorch is installed (app/torch_compare.py).
`circuit.lesson("lesson.html")` writes the self-contained lesson file
(app/lesson.py).
"""

from __future__ import annotations

import builtins
import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.errors import LabError, Span
from app.pipeline import Options, graph_response
from app.tracing import FUNCTIONS, Var, trace_source

if TYPE_CHECKING:
    from app.notebook.widget import CircuitWidget
    from app.torch_compare import Comparison

# The op catalogue's functions (lab.exp, lab.sigmoid, lab.sum, …) come from the module's
# __getattr__ below; a star import takes those that do not shadow a Python builtin.
__all__ = ["Circuit", "LabError", "Node", "Var", "circuit", "compare_torch", "trace",
           *sorted(name for name in FUNCTIONS if not hasattr(builtins, name))]

NON_FINITE = {"NaN": float("nan"), "Infinity": float("inf"), "-Infinity": float("-inf")}


def decode(x: Any) -> Any:
    """A JSON value of the API as Python: a float, a numpy array, or None."""
    if x is None:
        return None
    if isinstance(x, str):
        return NON_FINITE[x]
    if isinstance(x, list):
        return np.array(_floats(x), dtype=float)
    return float(x)


def _floats(x: Any) -> Any:
    if isinstance(x, list):
        return [_floats(v) for v in x]
    return NON_FINITE[x] if isinstance(x, str) else x


def _plain(value: Any) -> Any:
    """A value given from Python, as the JSON the pipeline reads: numpy arrays and
    scalars become lists and floats; NaN and ±∞ become the API's strings."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return "NaN" if np.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


@dataclass(frozen=True)
class Node:
    """One node of a circuit: an input, a constant or a gate, with its value and gradient."""

    id: str
    op: str
    name: str | None
    label: str
    inputs: tuple[str, ...]
    value: Any  # a float for a scalar, a numpy array for a tensor
    grad: Any  # the same, or None where there is no gradient (a constant)
    shape: tuple[int, ...]
    span: Span | None

    @property
    def line(self) -> int | None:
        """The program line the node came from."""
        return self.span.line if self.span else None


class Circuit:
    """A program's circuit: every node's value and gradient, and the step trace."""

    def __init__(self, source: str, values: Mapping[str, Any] | None = None,
                 options: Options | None = None, seed: Any = None) -> None:
        self.source = source
        self.given = {name: _plain(v) for name, v in (values or {}).items()}
        self.options = options or Options()
        self.seed = _plain(seed)
        self.answer: dict[str, Any] = graph_response(source, self.given, self.seed,
                                                     options=self.options)
        self.nodes: list[Node] = [self._node(n) for n in self.answer["nodes"]]
        self._by_id = {n.id: n for n in self.nodes}
        self._by_name = {n.name: n for n in self.nodes if n.name}

    @staticmethod
    def _node(body: dict[str, Any]) -> Node:
        span = body.get("span")
        return Node(id=body["id"], op=body["op"], name=body["name"], label=body["label"],
                    inputs=tuple(body["inputs"]), value=decode(body["value"]),
                    grad=decode(body["grad"]), shape=tuple(body["shape"]),
                    span=Span(**span) if span else None)

    # -- reading it -------------------------------------------------------------------------
    def __getitem__(self, key: str) -> Node:
        """A node by name (`circuit["x"]`) or by id (`circuit["n3"]`)."""
        if key in self._by_name:
            return self._by_name[key]
        if key in self._by_id:
            return self._by_id[key]
        raise KeyError(f"no node named or numbered {key!r}; names: {sorted(self._by_name)}")

    def __contains__(self, key: object) -> bool:
        return key in self._by_name or key in self._by_id

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    @property
    def output(self) -> Node:
        return self._by_id[self.answer["output"]]

    @property
    def value(self) -> Any:
        """The output's value."""
        return self.output.value

    @property
    def inputs(self) -> dict[str, Any]:
        """Each input's value, by name, in the order the program first uses them."""
        return {name: self._by_id[key].value for name, key in self._input_ids().items()}

    def _input_ids(self) -> dict[str, str]:
        return {n.name: n.id for n in self.nodes if n.op == "input" and n.name}

    @property
    def values(self) -> dict[str, Any]:
        """Every named node's value (inputs, named intermediates, a named output)."""
        return {name: node.value for name, node in self._by_name.items()}

    @property
    def grads(self) -> dict[str, Any]:
        """Every named node's gradient of the output, where it has one."""
        return {name: node.grad for name, node in self._by_name.items()
                if node.grad is not None}

    @property
    def steps(self) -> list[dict[str, Any]]:
        """The step trace as the API writes it: one forward step per node, then one
        backward step per gate, each with its edges' upstream, local, product and sum."""
        steps: list[dict[str, Any]] = self.answer["steps"]
        return steps

    @property
    def warnings(self) -> list[str]:
        warnings: list[str] = self.answer["warnings"]
        return warnings

    # -- the teaching tools -----------------------------------------------------------------
    def _with(self, **changes: Any) -> Circuit:
        options = Options(**{**self.options.__dict__, **changes})
        return Circuit(self.source, self.given, options, self.seed)

    def expanded(self) -> Circuit:
        """The same circuit with every composite gate (sigmoid, softmax, …) drawn as the
        primitive gates it is made of: the inputs' gradients are the same."""
        return self._with(expand=True)

    def gradcheck(self) -> dict[str, Any]:
        """Each input's gradient against central differences, as the API's `gradcheck`."""
        check: dict[str, Any] = self._with(check=True).answer["gradcheck"]
        return check

    @property
    def code(self) -> str:
        """The staged Python program of the cs231n notes: forward stages, then the
        `d`-prefixed gradients in reverse."""
        code: str = self._with(code=True).answer["code"]["python"]
        return code

    # -- showing it -------------------------------------------------------------------------
    def __repr__(self) -> str:
        value = self.value
        shown = f"{value:.6g}" if isinstance(value, float) else f"array{list(self.output.shape)}"
        return (f"<Circuit {self.output.name or self.output.label} = {shown}: "
                f"{len(self.nodes)} nodes, inputs {', '.join(self._input_ids())}>")

    def _repr_html_(self) -> str:
        from app.drawing import circuit_html

        return circuit_html(self.answer, title=html.escape(self.source.strip()))

    def svg(self) -> str:
        """The circuit as one SVG document, every value and gradient on it."""
        from app.drawing import circuit_svg

        return circuit_svg(self.answer)

    def show(self, lang: str = "en") -> CircuitWidget:
        """The page's stepper, explanation and teaching tools in the notebook, as a live
        widget (anywidget); every request it makes is answered in this kernel."""
        from app.notebook.widget import CircuitWidget

        return CircuitWidget(self.source, self.given, lang=lang)

    def lesson(self, path: str | Path | None = None, lang: str | None = None) -> str:
        """The lesson file: one self-contained HTML page with this circuit, its stepper,
        explanation and both languages, which opens from disk with no server. Written to
        `path` when one is given; the HTML is returned either way. `lang` ("en", "zh") is
        the language it opens in; by default the reader's browser's."""
        from app.lesson import lesson_html

        text = lesson_html(self.source, self.given, lang=lang)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_json(self) -> dict[str, Any]:
        """The body `POST /api/graph` returns for this program and values."""
        return self.answer


def circuit(source: str, values: Mapping[str, Any] | None = None, /, **inputs: Any) -> Circuit:
    """The circuit of a program, with its inputs' values by keyword (`x=-2`) or in a dict
    (for names that are not Python identifiers or clash): numbers, nested lists or numpy
    arrays; NaN and ±∞ as floats. Raises LabError for a mistake, as the API answers 400."""
    given = dict(values or {})
    given.update(inputs)
    return Circuit(source, given)


def trace(fn: Any, /, **inputs: Any) -> Circuit:
    """Run `fn` on traced numbers and return the circuit of what it computed.

    Each keyword is an input: a number becomes one scalar input, a list (or tuple) of
    numbers a list of scalar inputs named `x1, x2, …` (micrograd's way: loop over it), a
    numpy array one tensor input. `fn` is called with them by keyword and may use `+ - * /
    **`, `@`, unary minus, `abs()`, `lab.exp`, `lab.sigmoid`, … (the op catalogue) and any
    Python control flow: a comparison of a traced scalar uses its value, so the branch
    taken at these numbers is what the circuit records. Your function is never read as text,
    parsed or evaluated: it runs once on traced values. What it recorded is written out as
    `circuit.source`, the program in the circuit language (single-use intermediates written
    inline, values used more than once named `t1, t2, …`; numbers written exactly), and the
    circuit is built from that program by the project's own parser, as every circuit is, so
    what the page opens is the same circuit."""
    source = trace_source(fn, inputs)
    return Circuit(source)


def compare_torch(circuit: Circuit) -> Comparison:
    """The same circuit through PyTorch's autograd (float64), its output and every input's
    gradient beside Backprop Lab's. Needs PyTorch (not a dependency): ImportError without."""
    from app.torch_compare import compare

    return compare(circuit)


def __getattr__(name: str) -> Any:
    """The op catalogue as functions of traced numbers: lab.exp, lab.sigmoid, lab.sum, …"""
    if name in FUNCTIONS:
        return FUNCTIONS[name]
    raise AttributeError(f"module 'app.lab' has no attribute {name!r}")
