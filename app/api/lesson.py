"""POST /api/lesson: a program's lesson file, the self-contained HTML page of app/lesson.py.

What the page's "Export lesson" button asks for: the program and values on screen (and
the language), answered with the file to save (`Content-Disposition: attachment`). A
mistake in the program is the usual 400 envelope. A lesson stores several answers (the
circuit as written and expanded, the code, the nudge plots), so it is held to a smaller
answer than /api/graph's (LESSON_LIMITS) and costs more of the rate limit's tokens.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import anyio
from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from app.api.schemas import CS231N, ErrorResponse
from app.lesson import lesson_html
from app.limits import DEFAULT_LIMITS

router = APIRouter()

# Each stored answer at most a tenth of /api/graph's: a lesson is for a circuit to read.
LESSON_LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_response_numbers=100_000)


class LessonRequest(BaseModel):
    """The program a lesson teaches, its values, and the language it opens in."""

    model_config = ConfigDict(extra="forbid",
                              json_schema_extra={"examples": [{**CS231N, "lang": "en"}]})

    source: StrictStr = Field(description="the program, in the circuit language")
    values: dict[str, Any] = Field(
        default_factory=dict, description="input values by name, as for POST /api/graph")
    lang: Literal["en", "zh"] | None = Field(
        default=None, description="the language the file opens in (default: the reader's "
        "browser's); both are in the file")


@router.post("/api/lesson", response_class=Response,
             responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                              "description": "the lesson file, to save: one HTML page that "
                              "opens from disk with no server and no network"},
                        400: {"model": ErrorResponse, "description": "the program or its "
                              "values have a problem (as for POST /api/graph)"},
                        413: {"model": ErrorResponse, "description": "the body is over the "
                              "size cap"},
                        422: {"model": ErrorResponse, "description": "the body does not fit "
                              "the schema"}},
             summary="A lesson file: the page, its modules and this program's answers in one "
                     "HTML file")
async def post_lesson(body: LessonRequest) -> Response:
    text = await anyio.to_thread.run_sync(
        lambda: lesson_html(body.source, body.values, body.lang, limits=LESSON_LIMITS))
    return Response(text, media_type="text/html; charset=utf-8",
                    headers={"content-disposition": 'attachment; filename="lesson.html"'})
