"""Split source text into tokens that know their line and character column.

The tokenizer is where most hostile or mistyped input is refused: strings,
attribute dots, full-width punctuation from a Chinese input method and any
character the language does not use are syntax errors pointing at the
character, with a hint when we can guess what was meant. Names are normalised
and checked here too (app/lang/names.py): a name's text is its NFKC form, its
span what was typed, and invisible characters anywhere outside comments are
refused, as is a name that mixes scripts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.errors import LabError, Span
from app.lang.names import (
    char_name,
    code_point,
    is_invisible,
    mixed_script_error,
    normalize,
)

NUMBER = re.compile(
    r"(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)"
    r"(?:[eE][+-]?[0-9](?:_?[0-9])*)?"
)
SPACE = re.compile(r"[ \t\f\r]+")

# Longest first, so `**` wins over `*`.
OPERATORS = ("**", "+", "-", "*", "/", "^", "@", "(", ")", "[", "]", ",", "=", ";")

# What a Chinese (or other East Asian) input method types instead of the ASCII we need.
FULL_WIDTH = {
    "＋": "+", "－": "-", "−": "-", "×": "*", "＊": "*", "÷": "/", "／": "/",
    "＾": "^", "＠": "@", "（": "(", "）": ")", "［": "[", "］": "]", "【": "[",
    "】": "]", "，": ",", "、": ",", "＝": "=", "；": ";", "．": ".", "。": ".",
    "　": " ", "＃": "#", "·": "*", "⋅": "*",
    "０": "0", "１": "1", "２": "2", "３": "3", "４": "4",
    "５": "5", "６": "6", "７": "7", "８": "8", "９": "9",
}

UNSUPPORTED = {
    "'": "strings are not part of the circuit language",
    '"': "strings are not part of the circuit language",
    ".": "attribute access with '.' is not part of the circuit language",
    ":": "':' is not part of the circuit language (no slices, walrus or lambdas)",
    "{": "dictionaries and sets are not part of the circuit language",
    "}": "dictionaries and sets are not part of the circuit language",
    "%": "'%' is not an operator of the circuit language",
    "<": "comparisons are not part of the circuit language",
    ">": "comparisons are not part of the circuit language",
    "!": "'!' is not an operator of the circuit language",
    "&": "'&' is not an operator of the circuit language",
    "|": "'|' is not an operator of the circuit language",
    "~": "'~' is not an operator of the circuit language",
    "\\": "line continuation with '\\' is not needed: break lines inside brackets",
    "$": "'$' is not part of the circuit language",
    "`": "'`' is not part of the circuit language",
    "?": "'?' is not part of the circuit language",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num", "name", "op", "newline", "end"
    text: str
    span: Span


def identifier_end(text: str, pos: int) -> int:
    """Where a name starting at `pos` ends (`pos` if none starts there), by Python's own
    rules: any Unicode letter or _ first, then letters, digits, combining marks. An
    invisible character ends a name (Python would take a variation selector into it),
    so that the tokenizer can refuse it by name."""
    if pos >= len(text) or not (text[pos] == "_" or text[pos].isidentifier()) \
            or is_invisible(text[pos]):
        return pos
    end = pos + 1
    while end < len(text) and ("a" + text[end]).isidentifier() and not is_invisible(text[end]):
        end += 1
    return end


def _invisible(text: str, pos: int, line: int, tokens: list[Token]) -> LabError:
    """The error for an invisible character at `pos`, naming it and the token it touches."""
    ch = text[pos]
    col = pos + 1
    prev = tokens[-1] if tokens else None
    near, side = "", ""
    if prev is not None and prev.kind in ("name", "num", "op") and prev.span.line == line \
            and prev.span.end_column == col:
        near, side = prev.text, "after"
    else:
        end = identifier_end(text, pos + 1)
        number = NUMBER.match(text, pos + 1)
        if end > pos + 1:
            near, side = normalize(text[pos + 1:end]), "before"
        elif number and number.end() > pos + 1:
            near, side = number.group(), "before"
    what = f"invisible character {code_point(ch)} ({char_name(ch)})"
    args: dict[str, Any] = {"code": code_point(ch), "char_name": char_name(ch)}
    if side == "after":
        return _error(f"{what} after '{near}': delete it", line, col, key="invisible_after",
                      near=near, **args)
    if side == "before":
        return _error(f"{what} before '{near}': delete it", line, col, key="invisible_before",
                      near=near, **args)
    return _error(f"{what}: delete it", line, col, key="invisible_char", **args)


def _error(message: str, line: int, col: int, width: int = 1, key: str = "syntax",
           **args: object) -> LabError:
    return LabError("syntax", message, Span(line, col, line, col + width), key=key, info=args)


# One pattern for a whole ASCII line: spaces, a comment, a number, a name, an operator. A
# line it cannot read through (an error, or a number running into a name) goes the slow
# way, character by character, which says what is wrong.
FAST = re.compile(
    r"(?P<space>[ \t\f\r]+)|(?P<comment>#.*)|(?P<num>" + NUMBER.pattern + r")"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>\*\*|[-+*/^@()\[\],=;])")


def _fast_line(text: str, line: int, tokens: list[Token], depth: int) -> int | None:
    """The tokens of one ASCII line appended, and the bracket depth after it; None (and
    nothing appended) when the line needs the slow way."""
    pos, n = 0, len(text)
    found: list[Token] = []
    previous = ""
    match = FAST.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            return None
        kind = m.lastgroup or ""
        end = m.end()
        if kind == "comment":
            break
        if kind != "space":
            token_text = m.group()
            if previous == "num" and kind in ("num", "name"):
                return None  # `2x`, `1.2.3`: the slow way words the error
            if kind == "op":
                if token_text in "([":
                    depth += 1
                elif token_text in ")]":
                    depth = max(0, depth - 1)
            found.append(Token(kind, token_text, Span(line, pos + 1, line, end + 1)))
        previous = kind if kind != "space" else ""
        pos = end
    tokens.extend(found)
    return depth


def tokenize(source: str) -> list[Token]:
    """Tokens of the whole source; newlines inside brackets are not statement breaks."""
    tokens: list[Token] = []
    depth = 0
    line = 1
    for text in source.split("\n"):
        fast = _fast_line(text, line, tokens, depth) if text.isascii() else None
        if fast is not None:
            depth = fast
            if depth == 0:
                tokens.append(Token("newline", "\n", Span(line, len(text) + 1, line,
                                                          len(text) + 2)))
            line += 1
            continue
        pos = 0
        n = len(text)
        while pos < n:
            ch = text[pos]
            col = pos + 1
            m = SPACE.match(text, pos)
            if m:
                pos = m.end()
                continue
            if ch == "#":
                break
            if is_invisible(ch):
                raise _invisible(text, pos, line, tokens)
            m = NUMBER.match(text, pos)
            if m and (ch != "." or m.end() > pos + 1):
                end = m.end()
                if end < n and (text[end].isalnum() or text[end] == "_") \
                        and not is_invisible(text[end]):
                    tail = identifier_end(text, end)
                    if tail > end:
                        name = text[end:tail]
                        raise _error(
                            f"a number cannot run into a name: write '{m.group()}*{name}'"
                            " for a product",
                            line, col, tail - pos, key="number_then_name",
                            number=m.group(), name=name)
                    raise _error(f"malformed number '{text[pos:end + 1]}'", line, col,
                                 end + 1 - pos, key="bad_number", text=text[pos:end + 1])
                tokens.append(Token("num", m.group(), Span(line, col, line, m.end() + 1)))
                pos = end
                continue
            end = identifier_end(text, pos)
            if end > pos:
                name = text[pos:end]
                if not name.isascii():  # ASCII is its own NFKC form, and all Latin
                    name = normalize(name)
                    mixed = mixed_script_error(text[pos:end], name, line, col)
                    if mixed is not None:
                        raise mixed
                tokens.append(Token("name", name, Span(line, col, line, end + 1)))
                pos = end
                continue
            op = next((o for o in OPERATORS if text.startswith(o, pos)), None)
            if op is not None:
                if op in "([":
                    depth += 1
                elif op in ")]":
                    depth = max(0, depth - 1)
                tokens.append(Token("op", op, Span(line, col, line, col + len(op))))
                pos += len(op)
                continue
            if ch in FULL_WIDTH:
                meant = FULL_WIDTH[ch]
                raise _error(
                    f"full-width character '{ch}' (from an input method): type the ASCII "
                    f"'{meant}' instead",
                    line, col, key="full_width", char=ch, meant=meant)
            if ch in UNSUPPORTED:
                raise _error(UNSUPPORTED[ch], line, col, key="unsupported_char", char=ch)
            if ch == "\x00":
                raise _error("the program contains a NUL character", line, col, key="nul")
            raise _error(f"unexpected character {ch!r}", line, col, key="unexpected_char",
                         char=ch)
        if depth == 0:
            tokens.append(Token("newline", "\n", Span(line, len(text) + 1, line, len(text) + 2)))
        line += 1
    last = line - 1
    end_col = len(source.split("\n")[-1]) + 1
    tokens.append(Token("end", "", Span(last, end_col, last, end_col + 1)))
    return tokens
