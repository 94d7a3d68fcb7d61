"""HTTP routes: thin wrappers around the shared pipeline in app.pipeline."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from app.api import stream
from app.api.errors import StrictJSONResponse, error_response
from app.api.ratelimit import client_key
from app.api.schemas import (
    CsvPoints,
    CsvRequest,
    DatasetName,
    DatasetResponse,
    ErrorResponse,
    Example,
    ExamplesResponse,
    GraphAnswer,
    GraphRequest,
    Health,
    NetworkRequest,
    NetworkResponse,
    OpsResponse,
    OptimizersResponse,
    TrainCancelled,
    TrainControl,
    TrainControlled,
    TrainRequest,
    TrainResponse,
    TrainStatus,
    TrainView,
)
from app.engine.optimizers import OPTIMIZERS
from app.engine.run import Cancel, Cancelled
from app.examples import EXAMPLES, catalogue, large_example
from app.jsonify import deep, encode
from app.networks import network
from app.ops import REGISTRY
from app.pipeline import (
    GC_PAUSE_CHARS,
    LargeAnswer,
    NotSmall,
    Options,
    Sweep,
    graph_response,
)
from app.training import backend, datasets
from app.training import limits as train_limits
from app.training.data import DataSpec, load
from app.training.pool import POOL, Busy
from app.training.view import view

T = TypeVar("T")
router = APIRouter()


QUEUE_DOWN = {"model": ErrorResponse, "description": "the training job queue's Redis server "
              "does not answer (type busy; only with BACKPROP_LAB_REDIS_URL)"}


def training() -> backend.Backend:
    """The server's training pool, or the job queue when a Redis server is set
    (app/training/backend.py)."""
    return backend.current(POOL)

CLIENT_GONE = 499  # nginx's status for a client that closed the connection: nobody reads it


_LARGE: anyio.CapacityLimiter | None = None


def large_answers() -> anyio.CapacityLimiter:
    """The one thread that computes large answers (made on first use, in the event loop)."""
    global _LARGE
    if _LARGE is None:
        _LARGE = anyio.CapacityLimiter(1)
    return _LARGE


async def unless_gone(request: Request, work: Callable[[], T], cancel: Cancel,
                      limiter: anyio.CapacityLimiter | None = None) -> T:
    """`work()` in a worker thread, while watching the connection: a client that goes away
    raises `cancel`, which the work looks at between gates, and Cancelled is raised here."""
    async def watch() -> None:
        while True:
            message = await request.receive()
            if message["type"] == "http.disconnect":
                cancel.set()
                return

    failed: Exception | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        try:
            result = await anyio.to_thread.run_sync(work, limiter=limiter)
        except Exception as err:  # raised after the group, not wrapped in an ExceptionGroup
            failed = err
        finally:
            group.cancel_scope.cancel()
    if failed is not None:
        raise failed
    return result

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "the program or its values have a problem "
          "(syntax, unknown name or function, missing value, shape mismatch, too large)"},
    413: {"model": ErrorResponse, "description": "the request body is over the size cap"},
    422: {"model": ErrorResponse, "description": "the body does not fit the schema"},
}


@router.post("/api/graph", response_class=StrictJSONResponse,
             responses={200: {"model": GraphAnswer}, **ERRORS},
             summary="Evaluate a program: every node's value and gradient, and the step trace")
async def post_graph(body: GraphRequest, request: Request) -> Response:
    """A small program computed and written right here, on the event loop (`small_request`);
    anything bigger in a worker thread, where a client that goes away stops the work."""
    plot = body.sweep
    options = Options(
        expand=body.expand, check=body.check, code=body.code,
        sweep=None if plot is None else Sweep(plot.input, plot.from_, plot.to, plot.points),
        lr=body.lr, params=body.params, full_trace=body.full_trace,
        optimizer=body.optimizer.name if body.optimizer else "sgd",
        hyper=body.optimizer.hyper() if body.optimizer else None,
        state=body.optimizer_state.params if body.optimizer_state else None,
        t=body.optimizer_state.t if body.optimizer_state else 1,
        columns=body.format == "columns", packed=body.arrays == "base64", groups=body.groups)
    cancel = Cancel()

    def work(large: bool, small: bool = False) -> bytes:
        cancel.check()  # the client left while this waited for a thread
        return encode(graph_response(body.source, body.values, body.seed, options=options,
                                     cancel=cancel, large=large, small=small))
    content: bytes | None = None
    if small_request(body, request):  # answered right here, or found bigger before any work
        try:
            content = work(False, small=True)
        except NotSmall:  # to a thread; its program parsed once, remembered by circuit()
            pass
    try:
        if content is None and len(body.source) > GC_PAUSE_CHARS:  # a long program: straight
            content = await unless_gone(  # to the large thread, not parsed twice
                request, partial(work, True), cancel, large_answers())
        elif content is None:
            try:
                content = await unless_gone(request, partial(work, False), cancel)
            except LargeAnswer:  # again, in the one thread for large answers
                content = await unless_gone(request, partial(work, True), cancel,
                                            large_answers())
    except Cancelled:
        return Response(status_code=CLIENT_GONE)
    return Response(content, media_type="application/json")


SMALL_BODY = 4 * 1024  # bytes: a request this short is tried on the event loop


def small_request(body: GraphRequest, request: Request) -> bool:
    """Whether to try a request on the event loop: a short body (so a short program and few
    values, nothing slow to parse or bind) that asks for none of the teaching tools, which
    evaluate the circuit again and again. `graph_response(small=True)` still refuses, before
    any number is computed, a circuit that turns out big (app.pipeline.SMALL_NODES)."""
    length = request.headers.get("content-length", "")
    return (length.isdigit() and int(length) <= SMALL_BODY and not body.check
            and not body.code and body.sweep is None and body.lr is None)


@router.post("/api/network", response_class=StrictJSONResponse,
             responses={200: {"model": NetworkResponse}, **ERRORS,
                        400: {"model": ErrorResponse, "description": "the spec does not "
                              "describe a network: a shape that does not fit `sizes` "
                              "(type shape) or a label out of range (type value); "
                              "`args.where` names the field"}},
             summary="Write a small fully-connected network as a program, layer by layer "
                     "and neuron by neuron")
def post_network(request: NetworkRequest) -> StrictJSONResponse:
    """Both forms of the network and the map between their scalars (app/networks.py)."""
    net = network(request.sizes, activation=request.activation, output=request.output,
                  loss=request.loss, x=request.X, targets=request.targets,
                  weights=request.weights, biases=request.biases, seed=request.seed,
                  shared_bias=request.shared_bias)
    return StrictJSONResponse(net.to_json())


@router.post("/api/train", response_class=Response,
             responses={200: {"model": TrainResponse, "content": stream.describe(),
                              "description": "the trained network as JSON, or with "
                              "`Accept: text/event-stream` the run as server-sent events: "
                              "start, progress…, done (this body) or error (the envelope)"},
                        **ERRORS,
                        400: {"model": ErrorResponse, "description": "the program cannot be "
                              "trained: a mistake in it, no input X, nothing to train, an "
                              "output that is not one number, labels out of range"},
                        429: {"model": ErrorResponse, "description": "the server is training "
                              "as many networks as it trains at once (type busy)"},
                        503: {"model": ErrorResponse, "description": "the run's worker "
                              "stopped answering and was replaced (type internal), or the "
                              "server is shutting down, or its job queue is down (type "
                              "busy)"}},
             summary="Train a program's parameters by gradient descent on a generated data "
                     "set")
async def post_train(body: TrainRequest, request: Request) -> Response:
    """Runs in a worker process (app/training/pool.py), never on the event loop: the answer
    comes when the run ends, or its progress as it goes with Accept: text/event-stream. A
    client that goes away cancels its run."""
    streaming = "text/event-stream" in request.headers.get("accept", "")
    job = body.model_dump()
    if "dataset" not in body.model_fields_set:
        job["dataset"] = "auto"  # moons for a program with X, none for one without
    pool = training()
    client = request.client.host if request.client else ""
    try:
        run = await backend.submit(pool, job, streaming, client_key(client))
    except Busy as err:  # 429; 503 when the server is shutting down or the queue is down
        return error_response(err.status, "busy", str(err), key=err.key,
                              args={"slots": pool.size})
    started = await stream.first(run, request)
    if started is None or started[0] == "error":
        return stream.json_response(started) if started else Response(status_code=499)
    if streaming:  # a run that waits in the job queue starts its stream with "queued"
        return stream.EventStream(run, started[1], started[0])
    final = await stream.last(run, request)
    return stream.json_response(final) if final else Response(status_code=499)


@router.post("/api/train/{run_id}/cancel", response_class=StrictJSONResponse,
             responses={200: {"model": TrainCancelled},
                        404: {"model": ErrorResponse, "description": "no such run going"},
                        503: QUEUE_DOWN},
             summary="Stop a training run; its stream ends with the parameters it got to")
def cancel_train(run_id: Annotated[str, Path(max_length=64)]) -> StrictJSONResponse:
    try:
        cancelled = training().cancel(run_id)
    except Busy as err:  # the job queue is down
        return error_response(err.status, "busy", str(err), key=err.key)
    if not cancelled:
        return error_response(404, "not_found", f"no training run {run_id!r} is going (it "
                              "may have finished already)")
    return StrictJSONResponse({"run_id": run_id, "cancelled": True})


@router.post("/api/train/{run_id}/control", response_class=StrictJSONResponse,
             responses={200: {"model": TrainControlled}, **ERRORS,
                        404: {"model": ErrorResponse, "description": "no such run going"},
                        503: QUEUE_DOWN},
             summary="Change a run's pace: passes a second, pause, resume, one pass at a time")
def control_train(run_id: Annotated[str, Path(max_length=64)],
                  body: TrainControl) -> StrictJSONResponse:
    changes = body.model_dump(include=body.model_fields_set)
    try:
        done = training().control(run_id, changes)
    except Busy as err:  # the job queue is down
        return error_response(err.status, "busy", str(err), key=err.key)
    if done is None:
        return error_response(404, "not_found", f"no training run {run_id!r} is going (it "
                              "may have finished already)")
    return StrictJSONResponse({"run_id": run_id, **done})


@router.post("/api/train/view", response_class=StrictJSONResponse,
             responses={200: {"model": TrainView}, **ERRORS},
             summary="A network at given parameters: its loss, accuracy, decision boundary "
                     "and neuron maps (the flight recorder's pass)")
async def view_train(body: TrainRequest, request: Request) -> Response:
    """The body of POST /api/train, its `params` the parameters to look at; computed in a
    thread, at most one at a time, and given up after a second (the pictures null)."""
    job = body.model_dump()
    if "dataset" not in body.model_fields_set:
        job["dataset"] = "auto"
    cancel = Cancel()
    try:
        answer = await unless_gone(request, partial(view, job, lambda: cancel.is_set),
                                   cancel, large_answers())
    except Cancelled:
        return Response(status_code=CLIENT_GONE)
    return Response(encode(deep(answer)), media_type="application/json")


@router.post("/api/points/csv", response_class=StrictJSONResponse,
             responses={200: {"model": CsvPoints}, **ERRORS},
             summary="Read points from CSV (x0, x1, label), as training would")
def read_csv(body: CsvRequest) -> StrictJSONResponse:
    """The points, their labels (whole numbers: classes) or targets; the CSV's mistakes
    are 400s whose line and column point into it."""
    return StrictJSONResponse(deep(load(DataSpec(csv=body.csv)).to_json()))


@router.get("/api/train/status", response_class=StrictJSONResponse,
            responses={200: {"model": TrainStatus}, 503: QUEUE_DOWN},
            summary="How many runs are going, how many the server takes, and their bounds")
def train_status() -> StrictJSONResponse:
    """Over every server process of `serve --workers N` (app/training/registry.py), or
    every machine sharing the job queue (app/training/queue.py)."""
    pool = training()
    try:
        counts = pool.status()
    except Busy as err:  # the job queue is down
        return error_response(err.status, "busy", str(err), key=err.key)
    return StrictJSONResponse({
        **counts,
        "limits": {"passes": train_limits.MAX_PASSES, "points": train_limits.MAX_POINTS,
                   "min_points": train_limits.MIN_POINTS, "noise": train_limits.MAX_NOISE,
                   "lr": train_limits.MAX_LR, "l2": train_limits.MAX_L2,
                   "seconds": pool.time_limit}})


@router.get("/api/datasets/{name}", response_class=StrictJSONResponse,
            responses={200: {"model": DatasetResponse}, **ERRORS},
            summary="The points of a data set, as training would use them")
def get_dataset(
    name: DatasetName,
    n: Annotated[int, Query(ge=train_limits.MIN_POINTS, le=train_limits.MAX_POINTS)] = 200,
    noise: Annotated[float | None, Query(ge=0, le=train_limits.MAX_NOISE)] = None,
    seed: Annotated[int, Query(ge=0, le=train_limits.MAX_SEED)] = 0,
) -> StrictJSONResponse:
    X, y = datasets.make(name, n, noise, seed)
    info = datasets.DATASETS[name]
    return StrictJSONResponse(deep({
        "name": name, "n": n, "noise": info.noise if noise is None else noise, "seed": seed,
        "classes": info.classes, "X": X, "y": y.tolist()}))


@router.get("/api/ops", response_class=StrictJSONResponse,
            responses={200: {"model": OpsResponse}}, summary="The op catalogue")
def get_ops() -> StrictJSONResponse:
    return StrictJSONResponse({"ops": [op.describe() for op in REGISTRY.values()]})


@router.get("/api/optimizers", response_class=StrictJSONResponse,
            responses={200: {"model": OptimizersResponse}},
            summary="The optimisers: hyperparameters, state and update, line by line")
def get_optimizers() -> StrictJSONResponse:
    return StrictJSONResponse({"optimizers": [o.catalogue() for o in OPTIMIZERS.values()]})


@router.get("/api/examples", response_class=StrictJSONResponse,
            responses={200: {"model": ExamplesResponse}},
            summary="The course notes' worked examples as presets (cs231n, Mazur, Hung-yi "
                    "Lee, the numpy moons network)")
def get_examples() -> StrictJSONResponse:
    return StrictJSONResponse(catalogue())


@router.get("/api/examples/{example_id}", response_class=StrictJSONResponse,
            responses={200: {"model": Example},
                       404: {"model": ErrorResponse, "description": "no such preset"}},
            summary="One preset with its program, the large ones too")
def get_example(example_id: Annotated[str, Path(max_length=64)]) -> StrictJSONResponse:
    found = next((e for e in EXAMPLES if e["id"] == example_id), None)
    found = found or large_example(example_id)
    if found is None:
        return error_response(404, "not_found", f"no preset {example_id!r}")
    return StrictJSONResponse(found)


@router.get("/healthz", response_class=StrictJSONResponse,
            responses={200: {"model": Health}}, summary="Liveness check")
def healthz() -> StrictJSONResponse:
    return StrictJSONResponse({"status": "ok"})
