"""Errors as values: every problem a user can cause carries a type and a place.

Each module raises `LabError`; the API turns it into the one error envelope of
DESIGN.md and the CLI prints it. Lines and columns are 1-based and count
characters (not bytes), so they point into exactly what the user typed.

`envelope` is the one place an error body is built, for a LabError and for every
failure that is not one (a body over the cap, a slow client, a crash, a training
worker that died): every envelope has every field of ERROR_FIELDS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """A range of source text: from (line, column) up to, not including, (end_line, end_column)."""

    line: int
    column: int
    end_line: int
    end_column: int

    def to_json(self) -> dict[str, int]:
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }

    def join(self, other: Span) -> Span:
        """The smallest span covering both."""
        start = min((self.line, self.column), (other.line, other.column))
        end = max((self.end_line, self.end_column), (other.end_line, other.end_column))
        return Span(start[0], start[1], end[0], end[1])


# Every error type a client can see; tests and the page rely on these names.
ERROR_TYPES = {
    "syntax": "the text is not a program of the circuit language",
    "name": "a name is used before its line or assigned twice",
    "unknown_function": "a call of a function the op catalogue does not have",
    "arity": "a call with the wrong number or kind of arguments",
    "missing_value": "inputs with no default and no entry in `values`",
    "value": "a value in the request that is not a number or a list of numbers",
    "shape": "tensor shapes that do not fit an op",
    "too_large": "a program or value over one of the documented limits",
    "busy": "the server is training as many networks as it trains at once (429), or has all "
            "the connections it takes or is shutting down (503)",
    "request": "a request body that does not fit the schema, or a request that is not HTTP",
    "not_found": "no such page or endpoint",
    "method": "the endpoint does not take that HTTP method",
    "host": "a Host header the server does not answer to",
    "timeout": "a request's headers or body too slow to arrive",
    "rate_limited": "too many requests from one address",
    "too_many_connections": "too many connections from one address",
    "internal": "a bug in Backprop Lab: please report it",
}

# The fields of every error envelope, in order. `summary` is the message without the place
# and the caret; `key` and `args` name the message for translation (`key` is the type where
# nothing more specific is known); `line` … `end_column` are null where no place in the
# source is to blame. The 422 of a body that does not fit the schema adds `detail`.
ERROR_FIELDS = ("type", "message", "summary", "line", "column", "end_line", "end_column",
                "key", "args")


def envelope(type_: str, message: str, *, summary: str | None = None, span: Span | None = None,
             key: str = "", args: dict[str, Any] | None = None,
             **extra: Any) -> dict[str, Any]:
    """The error envelope of DESIGN.md, `{"error": {...}}`, with every field of ERROR_FIELDS
    (then `extra`, such as the 422's `detail`). `type_` is one of ERROR_TYPES."""
    body: dict[str, Any] = {
        "type": type_,
        "message": message,
        "summary": message if summary is None else summary,
        "line": span.line if span else None,
        "column": span.column if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_column if span else None,
        "key": key or type_,
        "args": {} if args is None else args,
    }
    body.update(extra)
    return {"error": body}


@dataclass
class LabError(Exception):
    """A user-facing error: `type` is one of ERROR_TYPES, `summary` one plain sentence.

    `key` and `info` name the message for translation; `source` lets the error
    show the offending line with a caret under the column.
    """

    type: str
    summary: str
    span: Span | None = None
    key: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    status: int = 400

    def __post_init__(self) -> None:
        assert self.type in ERROR_TYPES, self.type
        super().__init__(self.summary)

    def __str__(self) -> str:
        return self.message

    # The place, as the envelope's fields name it (None where no place is to blame).
    @property
    def line(self) -> int | None:
        return self.span.line if self.span else None

    @property
    def column(self) -> int | None:
        return self.span.column if self.span else None

    @property
    def end_line(self) -> int | None:
        return self.span.end_line if self.span else None

    @property
    def end_column(self) -> int | None:
        return self.span.end_column if self.span else None

    @property
    def context(self) -> str:
        """The offending source line and a caret under the column, as lark's get_context."""
        return self.caret_context()

    def caret_context(self, show: Callable[[str], str] = str) -> str:
        """The context, its line passed through `show`, the caret moved to match.

        The CLI's `show` writes control characters as escapes (`\\x1b`), which widens
        the line; the caret stays under the character the span names.
        """
        if self.span is None or self.source is None:
            return ""
        lines = self.source.split("\n")  # as the tokenizer counts lines: \f is a blank
        if not 1 <= self.span.line <= len(lines):
            return ""
        text = lines[self.span.line - 1].rstrip("\r")
        width = 1
        if self.span.end_line == self.span.line:
            width = max(1, self.span.end_column - self.span.column)
        start = self.span.column - 1
        before, marked = text[:start], text[start:start + width]
        width += len(show(marked)) - len(marked)
        return f"{show(text)}\n{' ' * len(show(before))}{'^' * width}"

    @property
    def message(self) -> str:
        """The summary, then the line it is about with a caret, when there is one."""
        return self.render()

    def render(self, show: Callable[[str], str] = str) -> str:
        """The message with every piece of it passed through `show` (see caret_context)."""
        where = f" (line {self.span.line}, column {self.span.column})" if self.span else ""
        ctx = self.caret_context(show)
        text = show(self.summary + where)
        return f"{text}\n{ctx}" if ctx else text

    def with_source(self, source: str) -> LabError:
        if self.source is None:
            self.source = source
        return self

    def envelope(self) -> dict[str, Any]:
        """This error as the API answers it: `{"error": {...}}`."""
        return envelope(self.type, self.message, summary=self.summary, span=self.span,
                        key=self.key, args=self.info)

    def to_json(self) -> dict[str, Any]:
        """The envelope's inner object."""
        body: dict[str, Any] = self.envelope()["error"]
        return body


def span_text(source: str, span: Span | None) -> str:
    """The source text a span covers (its first line, if it runs over several)."""
    if span is None:
        return ""
    lines = source.split("\n")
    if not 1 <= span.line <= len(lines):
        return ""
    text = lines[span.line - 1]
    end = span.end_column if span.end_line == span.line else len(text) + 1
    return text[span.column - 1:end - 1]
