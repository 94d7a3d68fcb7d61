"""Momentum and Adam against their formulas written out in numpy, pass for pass, and the one
table of optimisers (app/engine/optimizers.py) shared by /api/graph's update and the trainer.

The numpy loops below are written from the textbook formulas, not from our table:
momentum's velocity form (v ← μv − r·g; w ← w + v) and Kingma and Ba's Adam (m, v,
bias-corrected m̂, v̂; w ← w − r·m̂/(√v̂ + ε)), on seed 004's 2-3-2 network (hand-written
forward and backward passes) and on Mazur's network (gradients by hand); these loops are
the oracle, to 1e-9 over 100 passes. PyTorch is a second, independent oracle where it is
installed (it is no dependency): torch.optim.SGD(momentum=…) and torch.optim.Adam on Mazur's
network, at the end of this file, skipped without it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.engine.optimizers import OPTIMIZERS, Stepper, choose
from app.errors import LabError
from app.training.data import DataSpec
from app.training.example import MAZUR_PROGRAM, MAZUR_WEIGHTS, SEED_004_PROGRAM
from app.training.trainer import Training, TrainSpec
from tests.helpers import assert_error

PASSES = 100


# ---------------------------------------------------------------- the formulas, in numpy

def momentum_loop(params, grad_fn, lr, mu, passes):
    """v ← μ·v − r·g; w ← w + v, every parameter; the parameters after each pass."""
    p = {k: np.array(v, dtype=float) for k, v in params.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    trace = []
    for _ in range(passes):
        g = grad_fn(p)
        for k in p:
            v[k] = mu * v[k] - lr * g[k]
            p[k] = p[k] + v[k]
        trace.append({k: x.copy() for k, x in p.items()})
    return trace


def adam_loop(params, grad_fn, lr, beta1, beta2, eps, passes):
    """Kingma and Ba's Algorithm 1; the parameters after each pass."""
    p = {k: np.array(v, dtype=float) for k, v in params.items()}
    m = {k: np.zeros_like(x) for k, x in p.items()}
    v = {k: np.zeros_like(x) for k, x in p.items()}
    trace = []
    for t in range(1, passes + 1):
        g = grad_fn(p)
        for k in p:
            m[k] = beta1 * m[k] + (1 - beta1) * g[k]
            v[k] = beta2 * v[k] + (1 - beta2) * g[k] ** 2
            m_hat = m[k] / (1 - beta1 ** t)
            v_hat = v[k] / (1 - beta2 ** t)
            p[k] = p[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
        trace.append({k: x.copy() for k, x in p.items()})
    return trace


def seed_004_grads(X, y, lam=0.0):
    """The 2-3-2 tanh network's mean cross-entropy + λ/2·Σ‖W‖², its gradient by hand."""
    n = len(X)

    def grads(p):
        h = np.tanh(X @ p["W1"] + p["b1"])
        scores = h @ p["W2"] + p["b2"]
        z = np.exp(scores - scores.max(axis=1, keepdims=True))
        d = z / z.sum(axis=1, keepdims=True)
        d[np.arange(n), y] -= 1
        d /= n
        dh = d @ p["W2"].T * (1 - h ** 2)
        return {"W1": X.T @ dh + lam * p["W1"], "b1": dh.sum(axis=0),
                "W2": h.T @ d + lam * p["W2"], "b2": d.sum(axis=0)}
    return grads


MAZUR = {"w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "w5": 0.40, "w6": 0.45,
         "w7": 0.50, "w8": 0.55}


def mazur_grads(p):
    """Mazur's E = Σ ½(t − o)² by hand: his ∂E/∂w5 = δo1·out_h1 and so on."""
    def sig(z):
        return 1 / (1 + np.exp(-z))
    i1, i2, b1, b2, t1, t2 = 0.05, 0.10, 0.35, 0.60, 0.01, 0.99
    h1 = sig(p["w1"] * i1 + p["w2"] * i2 + b1)
    h2 = sig(p["w3"] * i1 + p["w4"] * i2 + b1)
    o1 = sig(p["w5"] * h1 + p["w6"] * h2 + b2)
    o2 = sig(p["w7"] * h1 + p["w8"] * h2 + b2)
    d1 = (o1 - t1) * o1 * (1 - o1)
    d2 = (o2 - t2) * o2 * (1 - o2)
    e1 = (d1 * p["w5"] + d2 * p["w7"]) * h1 * (1 - h1)
    e2 = (d1 * p["w6"] + d2 * p["w8"]) * h2 * (1 - h2)
    return {"w1": e1 * i1, "w2": e1 * i2, "w3": e2 * i1, "w4": e2 * i2,
            "w5": d1 * h1, "w6": d1 * h2, "w7": d2 * h1, "w8": d2 * h2}


def trainer_trace(spec: TrainSpec, passes: int = PASSES):
    training = Training(spec)
    start = training.parameters()
    trace = []
    for _ in range(passes):
        training.step()
        trace.append(training.parameters())
    return start, trace, training


def assert_same(ours, theirs, what: str) -> None:
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for name in b:
            np.testing.assert_allclose(np.reshape(a[name], np.shape(b[name])), b[name],
                                       rtol=0, atol=1e-9, err_msg=f"{what}: {name} after "
                                       f"{k + 1} passes")


SEED_SPEC = TrainSpec(SEED_004_PROGRAM, DataSpec("moons", 200, 0.2, 0), lr=0.5, mode="mean",
                      init="seed004", passes=PASSES)


@pytest.mark.parametrize(("optimizer", "hyper", "lr"), [
    ("momentum", {"mu": 0.9}, 0.5), ("momentum", {"mu": 0.5}, 1.0),
    ("adam", {}, 0.05), ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}, 0.01),
])
def test_seed_004_network_against_numpy(optimizer: str, hyper: dict, lr: float) -> None:
    """100 passes of seed 004's network on the moons (mean loss, L2 0.01 on the weight
    matrices): every parameter after every pass, to 1e-9."""
    spec = TrainSpec(**{**SEED_SPEC.__dict__, "optimizer": optimizer, "hyper": hyper,
                        "lr": lr, "l2": 0.01})
    start, ours, training = trainer_trace(spec)
    grads = seed_004_grads(training.X, training.y, lam=0.01)
    start = {k: v.reshape(-1) if k.startswith("b") else v for k, v in start.items()}
    if optimizer == "momentum":
        theirs = momentum_loop(start, grads, lr, hyper["mu"], PASSES)
    else:
        full = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, **hyper}
        theirs = adam_loop(start, grads, lr, full["beta1"], full["beta2"], full["eps"], PASSES)
    assert_same(ours, theirs, optimizer)
    # and they train: the loss falls
    assert training.loss() < 0.9 * Training(spec).loss()


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_mazurs_network_against_numpy(optimizer: str) -> None:
    """100 passes of Mazur's network (no data set, w1 … w8) by each formula."""
    spec = TrainSpec(MAZUR_PROGRAM, None, lr=0.5 if optimizer == "momentum" else 0.05,
                     trainable=tuple(MAZUR_WEIGHTS), optimizer=optimizer, passes=PASSES)
    _, ours, training = trainer_trace(spec)
    if optimizer == "momentum":
        theirs = momentum_loop(MAZUR, mazur_grads, 0.5, 0.9, PASSES)
    else:
        theirs = adam_loop(MAZUR, mazur_grads, 0.05, 0.9, 0.999, 1e-8, PASSES)
    assert_same(ours, theirs, optimizer)
    assert training.state()["w5"].keys() == set(OPTIMIZERS[optimizer].state)


def test_seed004_mode_scales_the_gradient_before_the_optimiser() -> None:
    """mode seed004 steps on N·∇mean + λW: Adam with it is Adam on that gradient."""
    spec = TrainSpec(**{**SEED_SPEC.__dict__, "mode": "seed004", "optimizer": "adam",
                        "lr": 0.01, "l2": 0.01, "passes": 20})
    start, ours, training = trainer_trace(spec, 20)
    n = len(training.X)
    mean = seed_004_grads(training.X, training.y)

    def summed(p):
        g = {k: n * v for k, v in mean(p).items()}
        return {**g, "W1": g["W1"] + 0.01 * p["W1"], "W2": g["W2"] + 0.01 * p["W2"]}
    start = {k: v.reshape(-1) if k.startswith("b") else v for k, v in start.items()}
    assert_same(ours, adam_loop(start, summed, 0.01, 0.9, 0.999, 1e-8, 20), "adam, seed004")


# ---------------------------------------------------------------- the table

def test_every_entry_is_declared_once_and_well_formed() -> None:
    assert set(OPTIMIZERS) == {"sgd", "momentum", "adam"}
    for entry in OPTIMIZERS.values():
        assert entry.lines[-1].name == "w"
        for line in entry.lines:  # every name in a formula is one the line may read
            names = set(line.formula.replace("}", "{").split("{")[1::2])
            assert names == set(line.args), (entry.name, line.name)
    entry, hyper = choose("adam", {"beta1": 0.5})
    assert hyper == {"beta1": 0.5, "beta2": 0.999, "eps": 1e-8}
    stepper = Stepper(entry, hyper, 0.1)
    env = stepper.step(np.array(1.0), np.array(2.0), stepper.fresh(np.array(1.0)), 1)
    assert env["m"] == pytest.approx(1.0) and env["vhat"] == pytest.approx(4.0)
    assert env["w"] == pytest.approx(1.0 - 0.1 * 2.0 / (2.0 + 1e-8))


@pytest.mark.parametrize(("name", "given", "key"), [
    ("nesterov", {}, "optimizer_unknown"),
    ("momentum", {"mu": 1.0}, "optimizer_bound"),
    ("adam", {"eps": 0.0}, "optimizer_bound"),
    ("adam", {"beta2": math.nan}, "optimizer_bound"),
])
def test_bad_choices_are_lab_errors(name: str, given: dict, key: str) -> None:
    with pytest.raises(LabError) as caught:
        choose(name, given)
    assert caught.value.key == key


# ---------------------------------------------------------------- /api/graph's update

def graph(client, **fields) -> dict:
    response = client.post("/api/graph", json={"source": MAZUR_PROGRAM, "lr": 0.5,
                                               "params": MAZUR_WEIGHTS, **fields})
    assert response.status_code == 200, response.text
    return response.json()["update"]


def test_sgd_update_is_unchanged_and_names_its_optimiser(client) -> None:
    update = graph(client)
    w5 = next(p for p in update["params"] if p["name"] == "w5")
    assert math.isclose(w5["new"], 0.35891648, abs_tol=5e-9)
    assert w5["state"] == {} and w5["terms"] == {}
    assert update["optimizer"]["name"] == "sgd" and update["optimizer"]["t"] == 1
    assert update["optimizer"]["lines"] == [{"name": "w", "formula": "{w} − {r}·{g}"}]


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_update_steps_carried_by_hand_are_the_trainers(client, optimizer: str) -> None:
    """Apply five updates as the page does — the new values into the program, the terms'
    state slots and t + 1 into the next request — and land where the trainer's five
    passes land (the numbers the page steps through are the trainer's)."""
    lr = 0.5 if optimizer == "momentum" else 0.05
    values: dict = {}
    state: dict = {"t": 1, "params": {}}
    for _ in range(5):
        update = graph(client, lr=lr, values=values, optimizer={"name": optimizer},
                       optimizer_state=state)
        slots = update["optimizer"]["state"]
        values = {p["name"]: p["new"] for p in update["params"]}
        state = {"t": update["optimizer"]["t"] + 1,
                 "params": {p["name"]: {s: p["terms"][s] for s in slots}
                            for p in update["params"]}}
    spec = TrainSpec(MAZUR_PROGRAM, None, lr=lr, trainable=tuple(MAZUR_WEIGHTS),
                     optimizer=optimizer, passes=5)
    _, ours, training = trainer_trace(spec, 5)
    for name, value in ours[-1].items():
        assert values[name] == pytest.approx(float(value), abs=1e-12), name
    for name, slots in training.state().items():
        for slot, value in slots.items():
            assert state["params"][name][slot] == pytest.approx(float(value), abs=1e-12)


def test_adam_first_step_written_out(client) -> None:
    update = graph(client, lr=0.1, optimizer={"name": "adam", "beta1": 0.8})
    w5 = next(p for p in update["params"] if p["name"] == "w5")
    g = w5["grad"]
    m, v = 0.2 * g, 0.001 * g * g
    assert w5["terms"]["m"] == pytest.approx(m) and w5["terms"]["v"] == pytest.approx(v)
    assert w5["terms"]["mhat"] == pytest.approx(g) and w5["terms"]["vhat"] == pytest.approx(g * g)
    assert w5["new"] == pytest.approx(0.4 - 0.1 * g / (abs(g) + 1e-8))
    assert update["optimizer"]["hyper"] == {"beta1": 0.8, "beta2": 0.999, "eps": 1e-8}
    assert update["optimizer"]["symbols"]["beta1"] == "β₁"


@pytest.mark.parametrize(("fields", "status", "key"), [
    ({"optimizer": {"name": "momentum"}, "optimizer_state": {"params": {"w5": {"m": 1}}}},
     400, "update_state_slot"),
    ({"optimizer": {"name": "momentum"}, "optimizer_state": {"params": {"w5": {"v": [1, 2]}}}},
     400, "update_state_shape"),
    ({"optimizer": {"name": "momentum"}, "optimizer_state": {"params": {"i1": {"v": 1}}}},
     400, "update_state_param"),
    ({"optimizer": {"name": "momentum", "mu": 1.5}}, 422, None),
    ({"optimizer": {"name": "adam", "eps": 0}}, 422, None),
    ({"optimizer": {"name": "rmsprop"}}, 422, None),
    ({"optimizer_state": {"t": 0}}, 422, None),
])
def test_update_mistakes_are_envelopes(client, fields: dict, status: int, key) -> None:
    response = client.post("/api/graph", json={"source": MAZUR_PROGRAM, "lr": 0.5,
                                               "params": MAZUR_WEIGHTS, **fields})
    error = assert_error(response, status, "request" if status == 422 else
                         response.json()["error"]["type"])
    if key:
        assert error["key"] == key


# ---------------------------------------------------------------- PyTorch, where it is installed

@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_pytorch_agrees_where_it_is_installed(optimizer: str) -> None:
    """torch.optim.SGD(momentum=0.9) and torch.optim.Adam on Mazur's network, 100 passes.
    PyTorch is no dependency: skipped without it. (Its SGD keeps the velocity as v/(−r);
    for a fixed r the steps are the same.)"""
    torch = pytest.importorskip("torch")
    w = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in MAZUR.items()}
    lr = 0.5 if optimizer == "momentum" else 0.05
    step = (torch.optim.SGD(list(w.values()), lr=lr, momentum=0.9) if optimizer == "momentum"
            else torch.optim.Adam(list(w.values()), lr=lr, betas=(0.9, 0.999), eps=1e-8))
    i1, i2, b1, b2, t1, t2 = 0.05, 0.10, 0.35, 0.60, 0.01, 0.99
    theirs = []
    for _ in range(PASSES):
        h1 = torch.sigmoid(w["w1"] * i1 + w["w2"] * i2 + b1)
        h2 = torch.sigmoid(w["w3"] * i1 + w["w4"] * i2 + b1)
        o1 = torch.sigmoid(w["w5"] * h1 + w["w6"] * h2 + b2)
        o2 = torch.sigmoid(w["w7"] * h1 + w["w8"] * h2 + b2)
        loss = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2
        step.zero_grad()
        loss.backward()
        step.step()
        theirs.append({k: v.detach().numpy().copy() for k, v in w.items()})
    spec = TrainSpec(MAZUR_PROGRAM, None, lr=lr, trainable=tuple(MAZUR_WEIGHTS),
                     optimizer=optimizer, passes=PASSES)
    _, ours, _ = trainer_trace(spec)
    assert_same(ours, theirs, f"torch {optimizer}")
