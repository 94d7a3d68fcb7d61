"""A network at given parameters, for the flight recorder: its loss, accuracy and pictures.

The recorder keeps parameters, not pictures (200 decision boundaries would be megabytes),
so the page asks for the pictures of the pass it scrubs to: the run's request with the
snapshot's parameters in `params`, compiled here, one forward pass, the pictures. It
runs in the server's process, so it is bounded: compiling and drawing together get
VIEW_SECONDS, after which the pictures are null.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from app.training.guard import Guard, Stop
from app.training.trainer import Training
from app.training.worker import spec_from

VIEW_SECONDS = 1.0


def view(job: dict[str, Any], gone: Callable[[], bool] | None = None) -> dict[str, Any]:
    """{loss, accuracy, boundary, neurons} of the request `job` (POST /api/train's fields)
    at its `params`. Raises LabError for a program or data that cannot be trained."""
    deadline = time.perf_counter() + VIEW_SECONDS

    def should_stop() -> str | None:
        return "cancelled" if gone is not None and gone() else None

    guard = Guard(should_stop, deadline)
    try:
        training = Training(spec_from({**job, "passes": 1}), stop=guard.check)
    except Stop:
        return {"loss": "NaN", "accuracy": None, "boundary": None, "neurons": None}
    loss = training.loss()
    boundary, neurons = training.pictures(Guard(should_stop, deadline))
    return {"loss": loss, "accuracy": training.accuracy(), "boundary": boundary,
            "neurons": neurons}
