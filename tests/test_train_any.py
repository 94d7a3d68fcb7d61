"""Training any program (issue 16): no data set at all, data bound to the inputs you name,
regression, your own points and CSV, the flight recorder, the neuron maps and the pace.

Mazur's numbers are the acceptance test: his 2-2-2 network, w1 … w8 at learning rate
0.5, after one pass w5 = 0.35891648, w1 = 0.149780716 and E = 0.291027774; after 10,000
passes E = 3.5102e-05 (his post prints 0.0000351085), through the trainer, the API and
the CLI. No test here times anything.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.cli.main import main
from app.training import limits as bounds
from app.training.data import DataSpec, load, parse_csv
from app.training.example import MAZUR_PROGRAM, MAZUR_RUN, MAZUR_WEIGHTS, SEED_004_PROGRAM
from app.training.guard import Guard, Stop
from app.training.pacing import Control, Pacer
from app.training.recorder import Recorder
from app.training.trainer import Training, TrainSpec
from tests.helpers import assert_error, strict_json

MAZUR = TrainSpec(MAZUR_PROGRAM, None, lr=0.5, trainable=tuple(MAZUR_WEIGHTS), passes=10_000)


def spec(base: TrainSpec = MAZUR, **changes) -> TrainSpec:
    return TrainSpec(**{**base.__dict__, **changes})


# ---------------------------------------------------------------- Mazur's numbers

def check_mazur_one_pass(params: dict, history: dict) -> None:
    assert math.isclose(float(np.asarray(params["w5"])), 0.35891648, abs_tol=5e-9)
    assert math.isclose(float(np.asarray(params["w1"])), 0.149780716, abs_tol=5e-10)
    assert history["passes"] == [0, 1]
    assert math.isclose(history["loss"][0], 0.298371109, abs_tol=5e-10)
    assert math.isclose(history["loss"][1], 0.291027774, abs_tol=5e-10)


def test_mazur_in_the_trainer() -> None:
    check_mazur_one_pass(**{k: v for k, v in Training(spec(passes=1)).run().items()
                            if k in ("params", "history")})
    result = Training(MAZUR).run()
    assert result["passes_done"] == 10_000 and result["data"] is None
    assert f"{result['loss']:.4e}" == "3.5102e-05"
    assert abs(result["loss"] - 0.0000351085) < 1e-8  # his post prints 0.0000351085
    assert result["trainable"] == MAZUR_WEIGHTS and result["accuracy"] is None
    assert result["boundary"] is None and result["neurons"] is None


def test_mazur_through_the_api(client) -> None:
    body = strict_json(client.post("/api/train", json={**MAZUR_RUN, "passes": 1}).text)
    check_mazur_one_pass(body["params"], body["history"])
    assert body["data"] is None and body["optimizer"] == {"name": "sgd"}
    body = strict_json(client.post("/api/train", json=MAZUR_RUN).text)
    assert f"{body['loss']:.4e}" == "3.5102e-05" and body["passes_done"] == 10_000
    assert set(body["params"]) == set(MAZUR_WEIGHTS)  # his biases stay put


def test_mazur_through_the_cli(capsys) -> None:
    assert main(["train", "--example", "mazur-train"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Loss after iteration 0: 0.291028"  # E after one pass
    assert out[-1] == "after 10,000 passes: loss 3.51019e-05, accuracy —"
    assert main(["train", "--example", "mazur-train", "--passes", "1", "--json"]) == 0
    body = strict_json(capsys.readouterr().out)
    check_mazur_one_pass(body["params"], body["history"])


def test_mazur_from_a_file_with_flags(capsys, tmp_path) -> None:
    program = tmp_path / "mazur.txt"
    program.write_text(MAZUR_PROGRAM, encoding="utf-8")
    assert main(["train", str(program), "--lr", "0.5", "--passes", "1", "--trainable",
                 ",".join(MAZUR_WEIGHTS), "--json"]) == 0
    body = strict_json(capsys.readouterr().out)
    check_mazur_one_pass(body["params"], body["history"])
    # without --trainable: the inputs named like weights and biases, b1 and b2 too
    assert main(["train", str(program), "--lr", "0.5", "--passes", "1", "--json"]) == 0
    assert set(strict_json(capsys.readouterr().out)["trainable"]) == {*MAZUR_WEIGHTS, "b1", "b2"}


def test_the_cli_takes_csv_points_and_no_data_set(capsys, tmp_path) -> None:
    points = tmp_path / "points.csv"
    points.write_text("x0,x1,label\n-1,-1,0\n-1,1,1\n1,-1,1\n1,1,0\n", encoding="utf-8")
    assert main(["train", "--csv", str(points), "--passes", "20", "--json"]) == 0
    body = strict_json(capsys.readouterr().out)
    assert body["data"]["y"] == [0, 1, 1, 0] and body["passes_done"] == 20
    program = tmp_path / "f.txt"
    program.write_text("x = 2\nw = 0\nf = (w * x - 3) ^ 2", encoding="utf-8")
    assert main(["train", str(program), "--dataset", "none", "--lr", "0.05", "--passes", "200",
                 "--optimizer", "momentum", "--mu", "0.5", "--json"]) == 0
    body = strict_json(capsys.readouterr().out)
    assert body["optimizer"] == {"name": "momentum", "mu": 0.5}
    assert body["params"]["w"] == pytest.approx(1.5, abs=1e-6)


# ---------------------------------------------------------------- any program

def test_a_program_whose_output_is_the_loss() -> None:
    """f = (w·x − 3)²: no data set, w is trained (named like a weight), x stays."""
    result = Training(TrainSpec("x = 2\nw = 0\nf = (w * x - 3) ^ 2", lr=0.05,
                                passes=200)).run()
    assert result["trainable"] == ["w"]
    assert float(result["params"]["w"]) == pytest.approx(1.5, abs=1e-9)
    every = Training(TrainSpec("p = 1\nq = -2\nloss = (p - 3)^2 + (q + 1)^2", lr=0.1,
                               passes=300)).run()
    assert every["trainable"] == ["p", "q"]  # nothing named like a weight: every input
    assert float(every["params"]["p"]) == pytest.approx(3) and float(every["params"]["q"]) == \
        pytest.approx(-1)


def test_the_default_data_set_follows_the_program() -> None:
    """Left out: moons for a program with X (as before), none for one without; null: none,
    and X is then the program's own."""
    with_x = Training(TrainSpec(SEED_004_PROGRAM, passes=1))
    assert with_x.X.shape == (200, 2) and with_x.classes == 2
    own = Training(TrainSpec(SEED_004_PROGRAM, None, passes=1, init="program"))
    assert own.data_set is None and own.n == 1
    assert own.tape.values[own.graph.input_ids["X"]].shape == (4, 2)  # the program's four rows
    assert set(own.run()["trainable"]) == {"W1", "b1", "W2", "b2"}


def test_data_goes_to_the_inputs_named() -> None:
    source = ("P = [[0, 0]]\ncls = [0]\nW1 = [[0, 0, 0], [0, 0, 0]]\nb1 = [0, 0, 0]\n"
              "W2 = [[0, 0], [0, 0], [0, 0]]\nb2 = [0, 0]\nh = tanh(P @ W1 + b1)\n"
              "loss = cross_entropy(h @ W2 + b2, cls)")
    data = DataSpec("moons", 100, 0.2, 0, x="P", y="cls")
    result = Training(TrainSpec(source, data, lr=0.01, l2=0.01, passes=500)).run()
    assert result["accuracy"] > 0.8 and set(result["trainable"]) == {"W1", "b1", "W2", "b2"}
    reference = Training(TrainSpec(SEED_004_PROGRAM, DataSpec("moons", 100, 0.2, 0), lr=0.01,
                                   l2=0.01, passes=500)).run()
    for name, value in reference["params"].items():
        np.testing.assert_array_equal(result["params"][name], value)


def test_regression_is_least_squares() -> None:
    """mse against targets: a line through noisy points lands on numpy's lstsq fit."""
    rng = np.random.RandomState(3)
    X = rng.uniform(-2, 2, size=(40, 2))
    t = X @ np.array([[1.5], [-0.5]]) + 0.3 + 0.1 * rng.randn(40, 1)
    source = "W = [[0], [0]]\nb = 0\npred = X @ W + b\nloss = mse(pred, T)"
    data = DataSpec(points=X.tolist(), targets=t.tolist(), y="T")
    result = Training(TrainSpec(source, data, lr=0.1, mode="mean", init="program",
                                passes=3_000)).run()
    A = np.c_[X, np.ones(40)]
    fit, *_ = np.linalg.lstsq(A, t, rcond=None)
    np.testing.assert_allclose(result["params"]["W"].ravel(), fit[:2].ravel(), atol=1e-6)
    assert float(result["params"]["b"]) == pytest.approx(float(fit[2, 0]), abs=1e-6)
    assert result["data"]["classes"] is None and result["accuracy"] is None
    assert result["boundary"] is None


def test_your_own_points_and_csv_train_a_classifier() -> None:
    X = [[-1, -1], [-1, 1], [1, -1], [1, 1], [-0.8, -1.2], [1.2, 0.9]]
    labels = [0, 1, 1, 0, 0, 0]
    given = Training(TrainSpec(SEED_004_PROGRAM, DataSpec(points=X, labels=labels),
                               passes=2_000, mode="mean", lr=1.0)).run()
    text = "x0, x1, label\n" + "\n".join(f"{a}, {b}, {c}" for (a, b), c in zip(X, labels,
                                                                              strict=True))
    csv = Training(TrainSpec(SEED_004_PROGRAM, DataSpec(csv=text), passes=2_000, mode="mean",
                             lr=1.0)).run()
    assert given["accuracy"] == 1.0 and csv["history"] == given["history"]
    assert csv["data"]["y"] == labels and len(csv["boundary"]["grid"]) == 64


@pytest.mark.parametrize(("text", "key", "place"), [
    ("1,2,0\n3,4,1\n5,x,1\n1,1,0", "csv_number", (3, 3)),
    ("1,2,0\n3,4\n5,6,1\n1,1,0", "csv_columns", (2, 1)),
    ("x0,x1,label\n1,2,0\n3,4,1\n5,6,12\n1,1,0", "data_label", (4, 5)),
    ("1,2,0\n3,4,1", "csv_too_few", None),
    ("7\n8\n9\n1", "csv_columns", (1, 1)),
    ("1,2,0\n" * (bounds.MAX_POINTS + 1), "csv_too_many", (bounds.MAX_POINTS + 1, 1)),
])
def test_bad_csv_points_at_its_place(text: str, key: str, place) -> None:
    from app.errors import LabError
    with pytest.raises(LabError) as caught:
        load(DataSpec(csv=text))
    err = caught.value
    assert err.key == key
    if place is None:
        assert err.span is None
    else:
        assert (err.span.line, err.span.column) == place
        assert err.message.splitlines()[1] == text.splitlines()[place[0] - 1]  # the caret's line


def test_csv_reads_headers_separators_and_targets() -> None:
    points, labels = parse_csv("# my points\nx0;x1;t\n\n0.5;-1;0.25\n1e-1\t2\t-3\n 1  2  3 \n4,5,6")
    assert points == [[0.5, -1.0], [0.1, 2.0], [1.0, 2.0], [4.0, 5.0]]
    assert labels == [0.25, -3.0, 3.0, 6.0]
    assert parse_csv("1,2,0\n3,4,1\n5,6,1\n7,8,0")[1] == [0, 1, 1, 0]


@pytest.mark.parametrize(("data", "source", "key"), [
    (DataSpec(points=[[0, 0]] * 3, labels=[0, 1, 0]), SEED_004_PROGRAM, "data_count"),
    (DataSpec(points=[[0, 0]] * 5, labels=[0, 1, 0]), SEED_004_PROGRAM, "data_label_count"),
    (DataSpec(points=[[0, 0]] * 4, labels=[0, 1, 0, 11]), SEED_004_PROGRAM, "data_label"),
    (DataSpec(points=[[0, 0]] * 4), SEED_004_PROGRAM, "train_no_labels"),
    (DataSpec(points=[[0, 0]] * 4, labels=[0] * 4, y="z"), SEED_004_PROGRAM, "train_no_y"),
    (DataSpec(points=[[0] * 17] * 4, labels=[0] * 4), SEED_004_PROGRAM, "data_features"),
    (DataSpec("moons", x="Q"), SEED_004_PROGRAM, "train_no_x"),
])
def test_data_mistakes_are_lab_errors(data, source: str, key: str) -> None:
    from app.errors import LabError
    with pytest.raises(LabError) as caught:
        Training(TrainSpec(source, data, passes=1))
    assert caught.value.key == key


@pytest.mark.parametrize(("trainable", "key"), [
    (("w9",), "train_unknown_trainable"), (("X",), "train_data_trainable"),
    (("y",), "train_data_trainable"),
])
def test_trainable_must_be_parameters(trainable, key: str) -> None:
    from app.errors import LabError
    with pytest.raises(LabError) as caught:
        Training(TrainSpec(SEED_004_PROGRAM, passes=1, trainable=trainable))
    assert caught.value.key == key


def test_the_api_takes_points_csv_and_reports_their_mistakes(client) -> None:
    text = "x0,x1,label\n-1,-1,0\n-1,1,1\n1,-1,1\n1,1,0"
    body = strict_json(client.post("/api/train", json={
        "source": SEED_004_PROGRAM, "dataset": {"csv": text}, "passes": 50}).text)
    assert body["data"] == {"X": [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]],
                            "y": [0, 1, 1, 0], "classes": 2}
    error = assert_error(client.post("/api/train", json={
        "source": SEED_004_PROGRAM, "dataset": {"csv": text.replace("1,1,0", "1,one,0")}}),
        400, "value")
    assert error["key"] == "csv_number" and (error["line"], error["column"]) == (5, 3)
    error = assert_error(client.post("/api/points/csv", json={"csv": "1,2,0"}), 400, "value")
    assert error["key"] == "csv_too_few"
    read = client.post("/api/points/csv", json={"csv": text}).json()
    assert read["y"] == [0, 1, 1, 0] and read["classes"] == 2
    for bad in ({"name": "moons", "csv": text}, {"labels": [0, 1]},
                {"points": [[0, 0]] * 4, "labels": [0.5] * 4}):
        assert_error(client.post("/api/train", json={"source": SEED_004_PROGRAM,
                                                     "dataset": bad}), 422, "request")


# ---------------------------------------------------------------- the flight recorder

def test_snapshots_are_the_run_at_their_pass() -> None:
    seed = TrainSpec(SEED_004_PROGRAM, DataSpec("moons", 200, 0.2, 0), lr=0.05, mode="mean",
                     passes=1_000, optimizer="momentum")
    result = Training(seed).run()
    snapshots = result["snapshots"]
    passes = [s["pass"] for s in snapshots]
    stride = math.ceil(1_000 / (bounds.MAX_SNAPSHOTS - 1))
    assert passes == list(range(0, 1_001, stride)) + ([1_000] if 1_000 % stride else [])
    assert len(snapshots) <= bounds.MAX_SNAPSHOTS + 1
    at = snapshots[7]
    replay = Training(spec(seed, passes=at["pass"])).run()
    for name, value in replay["params"].items():
        np.testing.assert_array_equal(at["params"][name], value)
        np.testing.assert_array_equal(at["state"][name]["v"], replay["state"][name]["v"])
    assert at["loss"] == replay["loss"]
    assert snapshots[-1]["params"]["W1"].tolist() == result["params"]["W1"].tolist()


def test_the_recorder_is_bounded() -> None:
    recorder = Recorder(100_000, 10)
    for k in range(100_001):
        if recorder.due(k, watched=k < 500):  # 500 watched passes, then fast
            recorder.take(k, 0.0, {}, {})
    passes = [s["pass"] for s in recorder.snapshots]
    assert len(passes) <= bounds.MAX_SNAPSHOTS and passes[0] == 0 and passes == sorted(passes)
    assert passes[-1] >= 100_000 - 2 * recorder.stride
    big = Recorder(1_000, bounds.MAX_SNAPSHOT_NUMBERS // 10)  # 10 fit
    assert big.limit == 10
    assert not Recorder(10, bounds.MAX_SNAPSHOT_NUMBERS).on  # not even two


# ---------------------------------------------------------------- neuron maps

def test_each_hidden_unit_is_drawn_over_the_plane() -> None:
    training = Training(TrainSpec(SEED_004_PROGRAM, DataSpec("moons", 200, 0.2, 0), lr=0.01,
                                  l2=0.01, passes=300))
    result = training.run()
    neurons, boundary = result["neurons"], result["boundary"]
    assert [(layer["name"], layer["units"]) for layer in neurons["layers"]] == [("h", 3)]
    layer = neurons["layers"][0]
    assert neurons["size"] == 32 and np.shape(layer["maps"]) == (3, 32, 32)
    assert {neurons[k] for k in ("x0", "x1", "y0", "y1")} == {boundary[k] for k in
                                                            ("x0", "x1", "y0", "y1")}
    p = result["params"]
    fine = 64
    r, c = 5, 20  # map cell (r, c) is the boundary grid's cell (2r + 1, 2c + 1)
    x = neurons["x0"] + (2 * c + 1 + 0.5) * (neurons["x1"] - neurons["x0"]) / fine
    y = neurons["y0"] + (2 * r + 1 + 0.5) * (neurons["y1"] - neurons["y0"]) / fine
    expected = np.tanh(np.array([[x, y]]) @ p["W1"] + p["b1"])[0]
    for unit in range(3):
        assert layer["maps"][unit][r][c] == pytest.approx(expected[unit], abs=5e-4)
    assert layer["low"] >= -1 and layer["high"] <= 1


def test_at_most_16_units_are_drawn() -> None:
    source = ("W1 = 0\nW2 = 0\nW3 = 0\nh1 = tanh(X @ W1)\nh2 = sigmoid(h1 @ W2)\n"
              "loss = cross_entropy(h2 @ W3, y)")
    params = {"W1": [[0.1] * 10, [0.2] * 10], "W2": [[0.3] * 10] * 10, "W3": [[0.1, -0.1]] * 10}
    training = Training(TrainSpec(source, DataSpec("moons", 20), passes=1, init="program",
                                  params=params))
    _, neurons = training.pictures()
    assert [(layer["name"], layer["units"]) for layer in neurons["layers"]] == [("h1", 10)]


def test_the_view_is_given_up_after_a_second(client) -> None:
    """A network whose pictures take 20 s: the view answers at once, its pictures null."""
    from tests.slow_programs import deep_classifier

    body = strict_json(client.post("/api/train/view", json=deep_classifier(1)).text)
    assert body["boundary"] is None and body["neurons"] is None


def test_the_view_route_draws_a_snapshot(client) -> None:
    run = {"source": SEED_004_PROGRAM, "lr": 0.01, "l2": 0.01, "passes": 300,
           "dataset": {"name": "moons", "n": 200, "noise": 0.2, "seed": 0}}
    body = strict_json(client.post("/api/train", json=run).text)
    snapshot = body["snapshots"][-1]
    view = strict_json(client.post("/api/train/view", json={
        **run, "params": snapshot["params"], "init": "program"}).text)
    assert view["boundary"]["grid"] == body["boundary"]["grid"]
    assert view["neurons"]["layers"][0]["maps"] == body["neurons"]["layers"][0]["maps"]
    assert view["loss"] == pytest.approx(snapshot["loss"], abs=1e-12)
    assert view["accuracy"] == body["accuracy"]


# ---------------------------------------------------------------- the pace

class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 1e-3)


def test_a_pacer_waits_for_its_pace_and_for_steps() -> None:
    time = FakeTime()
    control = [Control(pace=4.0)]
    pacer = Pacer(lambda: control[0], clock=time.clock, sleep=time.sleep)
    guard = Guard(lambda: None)
    starts = []
    for _ in range(4):
        pacer.before_pass(guard)
        starts.append(time.now)
    assert np.diff(starts) == pytest.approx([0.25] * 3, abs=0.011)
    control[0] = Control(paused=True, granted=0)
    alive = []
    pacer.alive = lambda: alive.append(time.now)

    def grant_later(seconds: float) -> None:
        time.sleep(seconds)
        if time.now > 30:
            control[0] = Control(paused=True, granted=1)
    pacer.sleep = grant_later
    began = time.now
    waited = pacer.before_pass(guard)
    assert waited == pytest.approx(time.now - began) and time.now > 30
    assert len(alive) >= 29  # it said it was alive every second
    control[0] = Control(paused=True, granted=1)  # the step is used up: it waits again
    pacer.sleep = time.sleep
    with pytest.raises(Stop) as caught:
        pacer.before_pass(guard)
    assert caught.value.reason == "idle" and time.now - began >= bounds.IDLE_SECONDS
    with pytest.raises(Stop) as caught:
        pacer.before_pass(Guard(lambda: "cancelled"))
    assert caught.value.reason == "cancelled"
    # a watched run stops after WATCH_SECONDS in all, however it is paced
    slow = Pacer(lambda: Control(pace=0.001), clock=time.clock, sleep=time.sleep)
    slow.before_pass(guard)
    slow.before_pass(guard)  # 1,000 s later
    with pytest.raises(Stop) as caught:
        slow.before_pass(guard)
    assert caught.value.reason == "time_limit"
    assert time.now - slow.began >= bounds.WATCH_SECONDS


def test_a_paused_run_draws_every_pass_it_shows() -> None:
    """One pass per click on the moons: every progress event carries the boundary and the
    neuron maps of its pass. (Between the events of a run that goes on its own, pictures are
    skipped when drawing would cost more than a quarter of the time since the last; here the
    clicks come faster than drawing takes, and the run waits for them anyway.)"""
    time = FakeTime()
    granted = [0]
    events = []

    def on_progress(event: dict) -> None:
        events.append(event)
        granted[0] += 1  # the learner clicks "one pass" at once

    pacer = Pacer(lambda: Control(paused=True, granted=granted[0]), clock=time.clock,
                  sleep=time.sleep)
    Training(TrainSpec(SEED_004_PROGRAM, DataSpec("moons", 200, 0.2, 0), passes=5)).run(
        on_progress=on_progress, pacer=pacer, time_limit=1.0, clock=time.clock)
    assert [e["pass"] for e in events] == [0, 1, 2, 3, 4, 5]
    assert all(e["boundary"] is not None and e["neurons"] is not None for e in events), \
        [e["pass"] for e in events if e["boundary"] is None]
    maps = [e["neurons"]["layers"][0]["maps"] for e in events]
    assert all(not np.array_equal(a, b) for a, b in zip(maps, maps[1:], strict=False))


def test_a_run_paused_while_it_goes_shows_the_pass_it_rests_at() -> None:
    """A run going as fast as it goes sends a progress event only now and then; paused, it
    first sends the pass it rests at, pictures included, so the page does not show an
    earlier pass (or an earlier boundary) for as long as the run waits."""
    ticks = iter(range(10**9))

    def clock() -> float:
        return next(ticks) * 1e-3

    reads = [0]

    def read() -> Control:
        reads[0] += 1
        return Control(paused=reads[0] > 8)  # looked at every CHECK_SECONDS while fast

    events, resting = [], []

    def on_progress(event: dict) -> None:
        (resting if reads[0] > 8 else events).append(event)

    pacer = Pacer(read, clock=clock, sleep=lambda seconds: None)
    result = Training(TrainSpec(SEED_004_PROGRAM, DataSpec("moons", 200, 0.2, 0),
                                passes=100_000)).run(
        on_progress=on_progress, pacer=pacer, clock=clock,
        should_stop=lambda: "cancelled" if resting else None)
    assert result["stopped"] == "cancelled", result["stopped"]  # not "idle": it said its pass
    rest = resting[0]
    assert rest["pass"] == result["passes_done"] > 0
    assert all(e["pass"] < rest["pass"] for e in events)
    assert rest["boundary"] is not None and rest["neurons"] is not None
    assert rest["params"] is not None
    for name, value in result["params"].items():
        assert np.array_equal(rest["params"][name], value), name
    joined = [p for e in events + resting for p in e["history"]["passes"]]
    assert joined == result["history"]["passes"]


def test_a_watched_run_sends_every_pass_and_waiting_is_not_training() -> None:
    time = FakeTime()
    granted = [0]
    events = []

    def read() -> Control:
        return Control(paused=True, granted=granted[0])

    def on_progress(event: dict) -> None:
        events.append(event)
        granted[0] += 1  # the learner clicks "one pass" after each

    pacer = Pacer(read, clock=time.clock, sleep=time.sleep)
    result = Training(spec(passes=5)).run(on_progress=on_progress, pacer=pacer,
                                          time_limit=1.0, clock=time.clock)
    assert [e["pass"] for e in events] == [0, 1, 2, 3, 4, 5]
    assert result["passes_done"] == 5 and result["stopped"] is None
    assert [s["pass"] for s in result["snapshots"]] == [0, 1, 2, 3, 4, 5]
    check_mazur_one_pass(events[1]["params"], {"passes": [0, 1], "loss": [
        events[0]["loss"], events[1]["loss"]]})
