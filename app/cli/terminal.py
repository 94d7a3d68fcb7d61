"""What the CLI prints from the user is shown, never obeyed by the terminal.

A program's comments, names and `name=value` keys can carry escape sequences
(ESC ] 0 ; title BEL retitles the window, ESC [ 2 J clears the screen), bidi
overrides that reorder a line, or line separators. `visible` writes each such
character as a Python-style escape (`\\x1b`, `\\u202e`), keeping the newlines
the CLI means; every line the CLI writes goes through `emit`, which applies it.
Characters that draw nothing (a variation selector the language refuses after
a name) are escaped too, so the caret under an error points at something.
JSON output is already plain ASCII (app.jsonify.dumps escapes everything).
"""

from __future__ import annotations

import sys
import unicodedata
from typing import TextIO

from app.lang.names import is_invisible

# Control characters (C0, DEL, C1), format characters (bidi embeddings, overrides and
# isolates, zero-width characters, BOM, soft hyphen), the line and paragraph separators,
# and lone surrogates (undecodable bytes in argv, which could not even be encoded).
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def _escape(ch: str) -> str:
    """`\\x1b`, `\\u202e` or `\\U000e0041`: the shortest Python escape of a character."""
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str, newlines: bool = True) -> str:
    """`text` with every character a terminal would act on written as an escape.

    Newlines stay when `newlines` (the CLI's own line breaks); everything else of
    UNSAFE_CATEGORIES, tab and carriage return included, becomes `\\xNN`, `\\uNNNN`
    or `\\UNNNNNNNN`, as does any character app.lang.names calls invisible. Other
    text, and so the result itself, is left alone.
    """
    if text.isascii() and text.isprintable():
        return text  # the common case, at the cost of one scan
    return "".join(
        _escape(ch) if (unicodedata.category(ch) in UNSAFE_CATEGORIES or is_invisible(ch))
        and not (newlines and ch == "\n") else ch
        for ch in text)


def emit(text: str, file: TextIO | None = None, end: str = "\n") -> None:
    """Print text that may hold user input: the one way the CLI writes it."""
    print(visible(text), end=end, file=sys.stdout if file is None else file)
