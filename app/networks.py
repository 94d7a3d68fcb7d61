"""The network builder: one small fully-connected network written as a program twice.

A learner meets backprop on networks at two granularities. Seed 004's numpy MLP
computes a whole layer at once (`z1 = X.dot(W1) + b1`); its figure of Mazur's
2-2-2 network draws every weight as its own wire (`net_h1 = w1*i1 + w2*i2 + b1`).
The gradients are the same numbers either way, and seeing that is the lesson.
`network()` writes both programs in the circuit language, plus the map that says
which scalar of one is which tensor element of the other, so a client can put
their gradients side by side.

The tensor form, one line per layer. A weight matrix has shape (inputs, outputs)
as in seed 004, so a batch is the rows of X and a bias broadcasts over them:

    X = [[0.05, 0.1]]
    W1 = [[0.15, 0.25], [0.2, 0.3]]
    b1 = 0.35
    ...
    H1 = sigmoid(X @ W1 + b1)
    O = sigmoid(H1 @ W2 + b2)
    E = sum(0.5*(T - O)^2)

The neuron form (a batch of one row, at most NEURON_MAX_WEIGHTS weights), named
as in seed 004 and Mazur: inputs i1, i2, …; weights w1, w2, … numbered layer by
layer, within a layer neuron by neuron and within a neuron input by input
(w1 = i1→h1, w2 = i2→h1, w3 = i1→h2, …), so weight wₖ of neuron j from input i
is the tensor element W[i, j]; biases b1, b2, … one per neuron, or one per layer
with `shared_bias` (Mazur's network); targets t1, t2, …; hidden outputs h1, h2, …
numbered across all hidden layers; outputs o1, o2, …:

    h1 = sigmoid(w1*i1 + w2*i2 + b1)
    ...
    E = 0.5*(t1 - o1)^2 + 0.5*(t2 - o2)^2

Losses, the same function in both forms:

- `half_sse`: E = Σ ½(t − o)², summed over every output of every row — Mazur's
  E_total (a sum, not a mean), named `E`: `sum(0.5*(T - O)^2)`;
- `mse`: the mean of (o − t)² over every output of every row, named `loss`:
  the registry's `mse(O, T)` gate;
- `cross_entropy`: the mean over rows of −log softmax(o)[label], the outputs
  being logits and the targets one integer class label per row (seed 004's
  softmax loss), named `loss`: `cross_entropy(O, y)` with the labels `y`. The
  neuron form writes it with primitives, log(exp(o1) + exp(o2)) − o_label,
  without the max-shift the gate uses: it is for reading.

Weights and biases not given are drawn from `numpy.random.default_rng` with the
request's `seed` (a separate stream each for weights, biases, inputs and
targets, so giving one never changes the others) and rounded to 2 decimals so
the program stays readable: weights ~ N(0, 1/fan_in) as in seed 004, biases
uniform in [−0.5, 0.5], inputs uniform in [−1, 1], targets uniform in [0, 1]
(or uniform class labels). Numbers are written with Python's shortest
round-trip repr, so both programs hold exactly the same floats.

Everything here is pure: a spec in, strings and dicts out, LabError for a spec
a user can fix (the API answers it as a 400; the request schema turns away
most of them earlier as a 422).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from app.errors import LabError

ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUTS = ("sigmoid", "none")
LOSSES = ("mse", "half_sse", "cross_entropy")

MAX_WIDTH = 8  # neurons in a layer (inputs and outputs included)
MAX_LAYERS = 5  # entries of `sizes`: the input layer and up to four layers of weights
MAX_ROWS = 64  # rows of X
NEURON_MAX_WEIGHTS = 64  # beyond this the neuron form is not written

# Seeds of the independent random streams (numpy SeedSequence entropy [stream, seed]).
_WEIGHTS, _BIASES, _INPUTS, _TARGETS = range(4)

Matrix = list[list[float]]


@dataclass(frozen=True)
class NetworkSpec:
    """A network with every number filled in: what `network()` writes, and echoes back.

    `weights[l]` has shape (sizes[l], sizes[l+1]); `biases[l]` is a number when
    `shared_bias`, else a list of sizes[l+1] numbers; `targets` is rows of
    sizes[-1] numbers, or one integer label per row for cross_entropy.
    """

    sizes: tuple[int, ...]
    activation: str
    output: str
    loss: str
    x: Matrix
    targets: Matrix | list[int]
    weights: list[Matrix]
    biases: list[float] | list[list[float]]
    seed: int
    shared_bias: bool

    @property
    def loss_name(self) -> str:
        """`E` for Mazur's half sum of squares, `loss` otherwise (the same in both forms)."""
        return "E" if self.loss == "half_sse" else "loss"

    def to_json(self) -> dict[str, Any]:
        return {"sizes": list(self.sizes), "activation": self.activation,
                "output": self.output, "loss": self.loss, "X": self.x,
                "targets": self.targets, "weights": self.weights, "biases": self.biases,
                "seed": self.seed, "shared_bias": self.shared_bias}


@dataclass(frozen=True)
class Network:
    """Both programs of one network and the map between them."""

    spec: NetworkSpec
    tensor: str
    neuron: str | None
    neuron_reason: str | None
    params: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """The body of POST /api/network."""
        return {"tensor": self.tensor, "neuron": self.neuron,
                "neuron_reason": self.neuron_reason, "params": self.params,
                "spec": self.spec.to_json()}


# A spec that reproduces Mazur's worked example (E = 0.298371109, ∂E/∂w5 = 0.082167041).
MAZUR: dict[str, Any] = {
    "sizes": [2, 2, 2], "activation": "sigmoid", "output": "sigmoid", "loss": "half_sse",
    "x": [[0.05, 0.10]], "targets": [[0.01, 0.99]],
    "weights": [[[0.15, 0.25], [0.20, 0.30]], [[0.40, 0.50], [0.45, 0.55]]],
    "biases": [0.35, 0.60], "shared_bias": True,
}


def network(sizes: Sequence[int], *, activation: str = "sigmoid", output: str | None = None,
            loss: str = "mse", x: Sequence[Sequence[float]] | None = None,
            targets: Sequence[Any] | None = None,
            weights: Sequence[Sequence[Sequence[float]]] | None = None,
            biases: Sequence[Any] | None = None, seed: int = 0,
            shared_bias: bool = False) -> Network:
    """Write the network as a tensor-form and (when small) a neuron-form program.

    `sizes` lists the layer widths, input first ([2, 2, 2] is Mazur's network);
    `activation` is the hidden layers' (sigmoid, tanh or relu), `output` the
    output layer's (sigmoid or none; by default sigmoid, or none for
    cross_entropy, whose outputs are logits). Whatever is not given is drawn
    from `seed` (see the module's docstring). Raises LabError (type value,
    shape or too_large) for a spec that does not describe a network.
    """
    spec = normalise(sizes, activation=activation, output=output, loss=loss, x=x,
                     targets=targets, weights=weights, biases=biases, seed=seed,
                     shared_bias=shared_bias)
    tensor = tensor_program(spec)
    reason = neuron_unavailable(spec)
    if reason is not None:
        return Network(spec, tensor, None, reason, {})
    neuron, params = neuron_program(spec)
    return Network(spec, tensor, neuron, None, params)


# ---------------------------------------------------------------- validation

def _fail(type_: str, key: str, summary: str, **info: Any) -> LabError:
    return LabError(type_, summary, key=key, info=info)


def _is_int(v: Any) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def _number(v: Any, what: str) -> float:
    """A finite float, or a LabError that says which number is wrong."""
    if isinstance(v, bool) or not isinstance(v, Real):
        raise _fail("value", "network_number", f"{what} must be a number, not {v!r:.40}",
                    where=what)
    try:
        f = float(v)
    except OverflowError:
        f = math.inf
    if not math.isfinite(f):
        raise _fail("value", "network_number", f"{what} must be a finite number", where=what)
    return f + 0.0  # -0.0 becomes 0.0: no "w1 = -0.0" in a program


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _is_list(v: Any) -> bool:
    return isinstance(v, Sequence) and not isinstance(v, str)


def _row(v: Any, n: int, what: str) -> list[float]:
    if not _is_list(v):
        raise _fail("shape", "network_shape", f"{what} must be a list of "
                    f"{_plural(n, 'number')}", where=what, expected=[n])
    if len(v) != n:
        raise _fail("shape", "network_shape",
                    f"{what} has {_plural(len(v), 'number')}; this network needs {n}",
                    where=what, expected=[n], got=[len(v)])
    return [_number(e, f"{what}[{i}]") for i, e in enumerate(v)]


def _matrix(v: Any, rows: int, cols: int, what: str) -> Matrix:
    """A list of `rows` lists of `cols` finite numbers (a flat list is refused by name)."""
    expected = f"{_plural(rows, 'row')} of {_plural(cols, 'number')}"
    if not _is_list(v) or not all(_is_list(r) for r in v):
        raise _fail("shape", "network_shape", f"{what} must be a list of rows (lists of "
                    f"numbers): {expected}", where=what, expected=[rows, cols])
    if len(v) != rows:
        raise _fail("shape", "network_shape", f"{what} has {_plural(len(v), 'row')}; this "
                    f"network needs {expected}", where=what, expected=[rows, cols],
                    got=[len(v)])
    return [_row(r, cols, f"{what}[{i}]") for i, r in enumerate(v)]


def _choice(value: Any, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise _fail("value", "network_choice",
                    f"{what} must be one of {', '.join(choices)}, not {value!r:.40}",
                    where=what, choices=list(choices))
    return str(value)


def _rounded(a: np.ndarray) -> Any:
    return (np.round(a, 2) + 0.0).tolist()


def normalise(sizes: Sequence[int], *, activation: str = "sigmoid",
              output: str | None = None, loss: str = "mse",
              x: Sequence[Sequence[float]] | None = None, targets: Sequence[Any] | None = None,
              weights: Sequence[Sequence[Sequence[float]]] | None = None,
              biases: Sequence[Any] | None = None, seed: int = 0,
              shared_bias: bool = False) -> NetworkSpec:
    """Check a spec and fill in what it leaves out; see `network()` for the arguments.

    Every check names the offending field (`args.where`), so the API's 400 and
    the CLI's message say exactly which number or list to fix.
    """
    if not _is_list(sizes) or not all(
            _is_int(s) for s in sizes):
        raise _fail("value", "network_sizes", "sizes must be a list of whole numbers",
                    where="sizes")
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 2:
        raise _fail("value", "network_sizes", "sizes needs at least two layers: the inputs "
                    "and the outputs", where="sizes")
    if len(sizes) > MAX_LAYERS:
        raise _fail("too_large", "network_layers", f"at most {MAX_LAYERS} layers (inputs "
                    f"included); sizes has {len(sizes)}", where="sizes", limit=MAX_LAYERS)
    for i, s in enumerate(sizes):
        if not 1 <= s <= MAX_WIDTH:
            raise _fail("too_large" if s > MAX_WIDTH else "value", "network_width",
                        f"every layer has 1 to {MAX_WIDTH} neurons; sizes[{i}] is {s}",
                        where=f"sizes[{i}]", limit=MAX_WIDTH)
    activation = _choice(activation, ACTIVATIONS, "activation")
    loss = _choice(loss, LOSSES, "loss")
    if output is None:
        output = "none" if loss == "cross_entropy" else "sigmoid"
    output = _choice(output, OUTPUTS, "output")
    if not _is_int(seed) or seed < 0:
        raise _fail("value", "network_seed", "seed must be a whole number ≥ 0", where="seed")
    seed = int(seed)
    if not isinstance(shared_bias, bool):
        raise _fail("value", "network_shared_bias", "shared_bias must be true or false",
                    where="shared_bias")
    n_in, n_out = sizes[0], sizes[-1]
    if loss == "cross_entropy" and n_out < 2:
        raise _fail("value", "network_classes", "cross_entropy needs at least 2 outputs "
                    "(one logit per class)", where="sizes")

    def rng(stream: int) -> np.random.Generator:
        return np.random.default_rng([stream, seed])

    if x is None:
        xs = _rounded(rng(_INPUTS).uniform(-1, 1, (1, n_in)))
    else:
        if not _is_list(x) or not 1 <= len(x) <= MAX_ROWS:
            raise _fail("too_large" if _is_list(x) and len(x) > MAX_ROWS
                        else "value", "network_rows",
                        f"X must be a list of 1 to {MAX_ROWS} rows (one per example)",
                        where="X", limit=MAX_ROWS)
        xs = _matrix(x, len(x), n_in, "X")
    rows = len(xs)

    ts: Matrix | list[int]
    if targets is None:
        if loss == "cross_entropy":
            ts = rng(_TARGETS).integers(0, n_out, rows).tolist()
        else:
            ts = _rounded(rng(_TARGETS).uniform(0, 1, (rows, n_out)))
    elif loss == "cross_entropy":
        if not _is_list(targets) or not all(_is_int(t) for t in targets):
            raise _fail("value", "network_labels", "cross_entropy's targets are one whole "
                        "number (a class label) per row of X", where="targets")
        if len(targets) != rows:
            raise _fail("shape", "network_shape", f"targets has "
                        f"{_plural(len(targets), 'label')}; X has {_plural(rows, 'row')}",
                        where="targets", expected=[rows], got=[len(targets)])
        for i, t in enumerate(targets):
            if not 0 <= t < n_out:
                raise _fail("value", "network_labels", f"targets[{i}] is {t}: a class label "
                            f"must be 0 to {n_out - 1}", where=f"targets[{i}]")
        ts = [int(t) for t in targets]
    else:
        ts = _matrix(targets, rows, n_out, "targets")

    layers = list(zip(sizes, sizes[1:], strict=False))
    if weights is None:
        draw = rng(_WEIGHTS)
        ws = [_rounded(draw.normal(0, 1 / math.sqrt(a), (a, b))) for a, b in layers]
    else:
        if not _is_list(weights) or len(weights) != len(layers):
            raise _fail("shape", "network_shape", "weights must be a list of matrices, one "
                        f"per layer of weights: {len(layers)} for sizes {list(sizes)}",
                        where="weights", expected=[len(layers)])
        ws = [_matrix(w, a, b, f"weights[{i}]")
              for i, (w, (a, b)) in enumerate(zip(weights, layers, strict=True))]

    bs: list[Any]
    if biases is None:
        draw = rng(_BIASES)
        bs = [_rounded(draw.uniform(-0.5, 0.5, () if shared_bias else (b,)))
              for _, b in layers]
    else:
        if not _is_list(biases) or len(biases) != len(layers):
            raise _fail("shape", "network_shape", "biases must be a list with one entry per "
                        f"layer of weights: {len(layers)} for sizes {list(sizes)}",
                        where="biases", expected=[len(layers)])
        if shared_bias:
            bs = [_number(v, f"biases[{i}]") for i, v in enumerate(biases)]
        else:
            for i, v in enumerate(biases):
                if not _is_list(v):
                    raise _fail("shape", "network_shape", f"biases[{i}] must be a list, one "
                                "number per neuron (a single number per layer needs "
                                "shared_bias)", where=f"biases[{i}]")
            bs = [_row(v, b, f"biases[{i}]")
                  for i, (v, (_, b)) in enumerate(zip(biases, layers, strict=True))]
    return NetworkSpec(sizes, activation, output, loss, xs, ts, ws, bs, seed, shared_bias)


# ---------------------------------------------------------------- writing

def _num(v: float) -> str:
    """A number as the program writes it: integers bare, floats in shortest round-trip form."""
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _list(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_list(e) for e in v) + "]"
    return _num(float(v))


def _apply(fn: str, expr: str) -> str:
    return expr if fn == "none" else f"{fn}({expr})"


def tensor_program(spec: NetworkSpec) -> str:
    """The tensor form: X, the weights and biases, the targets, then one line per layer."""
    n = len(spec.weights)
    lines = [f"X = {_list(spec.x)}"]
    for k in range(1, n + 1):
        lines.append(f"W{k} = {_list(spec.weights[k - 1])}")
        lines.append(f"b{k} = {_list(spec.biases[k - 1])}")
    if spec.loss == "cross_entropy":
        lines.append(f"y = {_list(spec.targets)}")  # class labels, one per row of X
    else:
        lines.append(f"T = {_list(spec.targets)}")
    previous = "X"
    for k in range(1, n + 1):
        last = k == n
        name = "O" if last else f"H{k}"
        fn = spec.output if last else spec.activation
        lines.append(f"{name} = {_apply(fn, f'{previous} @ W{k} + b{k}')}")
        previous = name
    lines.append(f"{spec.loss_name} = {_tensor_loss(spec.loss)}")
    return "\n".join(lines) + "\n"


def _tensor_loss(loss: str) -> str:
    """The loss line: the registry's `mse` and `cross_entropy` gates; Mazur's E in primitives."""
    if loss == "half_sse":
        return "sum(0.5*(T - O)^2)"
    if loss == "mse":
        return "mse(O, T)"
    return "cross_entropy(O, y)"


def neuron_unavailable(spec: NetworkSpec) -> str | None:
    """Why the neuron form is not written for this spec, or None when it is."""
    rows = len(spec.x)
    if rows != 1:
        return (f"the neuron form is written for a batch of one example; X has {rows} rows")
    count = sum(a * b for a, b in zip(spec.sizes, spec.sizes[1:], strict=False))
    if count > NEURON_MAX_WEIGHTS:
        return (f"the neuron form is written for at most {NEURON_MAX_WEIGHTS} weights; this "
                f"network has {count}")
    return None


def neuron_program(spec: NetworkSpec) -> tuple[str, dict[str, dict[str, Any]]]:
    """The neuron form and `params`, the map from each of its scalars to a tensor element.

    `params` maps every named scalar of the neuron form — inputs, weights,
    biases, targets, hidden and output neurons, and the loss — to
    {"tensor": name in the tensor form, "index": element index ([] for a
    scalar), "kind": input | weight | bias | target | hidden | output | loss}.
    Only for a spec `neuron_unavailable` accepts.
    """
    assert neuron_unavailable(spec) is None
    params: dict[str, dict[str, Any]] = {}
    neurons: dict[str, dict[str, Any]] = {}  # after the declared scalars in `params`
    decls: list[str] = []
    body: list[str] = []

    def declare(name: str, value: float, tensor: str, index: list[int], kind: str) -> None:
        decls.append(f"{name} = {_num(value)}")
        params[name] = {"tensor": tensor, "index": index, "kind": kind}

    previous = []
    for i, v in enumerate(spec.x[0]):
        declare(f"i{i + 1}", v, "X", [0, i], "input")
        previous.append(f"i{i + 1}")

    w_count = b_count = h_count = 0
    n = len(spec.weights)
    for k in range(1, n + 1):
        last = k == n
        matrix = spec.weights[k - 1]
        bias: Any = spec.biases[k - 1]  # a number with shared_bias, else one per neuron
        fan_in, width = spec.sizes[k - 1], spec.sizes[k]
        fn = spec.output if last else spec.activation
        shared = ""
        if spec.shared_bias:
            b_count += 1
            shared = f"b{b_count}"
        current = []
        for j in range(width):
            terms = []
            for i in range(fan_in):
                w_count += 1
                declare(f"w{w_count}", matrix[i][j], f"W{k}", [i, j], "weight")
                terms.append(f"w{w_count}*{previous[i]}")
            if spec.shared_bias:
                b_name = shared
            else:
                b_count += 1
                b_name = f"b{b_count}"
                declare(b_name, bias[j], f"b{k}", [j], "bias")
            if last:
                name = f"o{j + 1}"
                neurons[name] = {"tensor": "O", "index": [0, j], "kind": "output"}
            else:
                h_count += 1
                name = f"h{h_count}"
                neurons[name] = {"tensor": f"H{k}", "index": [0, j], "kind": "hidden"}
            body.append(f"{name} = {_apply(fn, ' + '.join([*terms, b_name]))}")
            current.append(name)
        if spec.shared_bias:
            declare(shared, bias, f"b{k}", [], "bias")
        previous = current

    outputs = previous
    first: Any = spec.targets[0]  # a class label for cross_entropy, else a row of targets
    if spec.loss == "cross_entropy":
        label = first
        body.append(f"loss = log({' + '.join(f'exp({o})' for o in outputs)}) - "
                    f"{outputs[label]}  # the label is class {label}: {outputs[label]}")
    else:
        targets = []
        for j, v in enumerate(first):
            declare(f"t{j + 1}", v, "T", [0, j], "target")
            targets.append(f"t{j + 1}")
        pairs = list(zip(targets, outputs, strict=True))
        if spec.loss == "half_sse":
            body.append("E = " + " + ".join(f"0.5*({t} - {o})^2" for t, o in pairs))
        else:
            squares = " + ".join(f"({o} - {t})^2" for t, o in pairs)
            body.append(f"loss = {squares}" if len(pairs) == 1
                        else f"loss = ({squares}) / {len(pairs)}")
    params.update(neurons)
    params[spec.loss_name] = {"tensor": spec.loss_name, "index": [], "kind": "loss"}
    return "\n".join(decls + body) + "\n", params
