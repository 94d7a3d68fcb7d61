"""One spelling per name: what makes two names look the same is normalised or refused.

Python normalises identifiers with NFKC (PEP 3131), so the full-width `ｘ` and
`x` are one name; the language does the same. What NFKC leaves ambiguous is
refused, each error naming the character to blame:

- invisible characters (format controls such as zero-width spaces and bidi
  overrides, variation selectors, Hangul fillers) anywhere outside comments;
- a name that mixes Cyrillic with Latin or Greek, or Latin with a Greek letter
  drawn like a Latin one (`pο` with a Greek omicron); Greek symbols with Latin
  subscripts such as `Δt`, `θ_0` or `σ_x` are maths and stay names;
- two names of one program that differ only by look-alike letters (Cyrillic
  `х` and Latin `x`): two inputs drawn the same, which nobody could tell apart.

A table of look-alike letters rather than a dependency: the Cyrillic and Greek
letters drawn like Latin ones are a few dozen, and Unicode's full confusables
list (UTS #39) also equates `l` with `1` and `rn` with `m`, which would refuse
ordinary programs.
"""

from __future__ import annotations

import unicodedata

from app.errors import LabError, Span

# Characters that draw nothing, besides category Cf (format controls: zero-width space,
# joiner and non-joiner, word joiner, BOM, soft hyphen, bidi embeddings, overrides and
# isolates, tag characters): variation selectors, Mongolian free variation selectors,
# the combining grapheme joiner, Khmer inherent vowels and the Hangul fillers. Several
# of these are letters or marks to Python, so they would sit inside a name unseen.
_INVISIBLE_RANGES = (
    (0xFE00, 0xFE0F),    # VARIATION SELECTOR-1..16
    (0xE0100, 0xE01EF),  # VARIATION SELECTOR-17..256
    (0x180B, 0x180F),    # MONGOLIAN FREE VARIATION SELECTORs, VOWEL SEPARATOR
    (0x034F, 0x034F),    # COMBINING GRAPHEME JOINER
    (0x17B4, 0x17B5),    # KHMER VOWEL INHERENT AQ, AA
    (0x115F, 0x1160),    # HANGUL CHOSEONG / JUNGSEONG FILLER
    (0x3164, 0x3164),    # HANGUL FILLER
    (0xFFA0, 0xFFA0),    # HALFWIDTH HANGUL FILLER
)

# Cyrillic and Greek letters drawn like a Latin letter in common fonts, and the letter
# they pass for: to tell the user what a letter looks like, and for the skeleton of a
# name (two names with one skeleton look the same). Only letters NFKC leaves alone: the
# lunate sigma and the upsilon with hook become other letters before this is read.
LOOKALIKES: dict[str, str] = {
    # Cyrillic, small
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s",
    "і": "i", "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    "ѵ": "v",
    # Cyrillic, capital
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Ԛ": "Q",
    "Ԝ": "W", "Ӏ": "I", "Һ": "H", "Ѵ": "V",
    # Greek: the capitals Latin shares, and the small letters drawn like Latin ones
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ϳ": "J",
    "ο": "o", "ν": "v", "ρ": "p", "ϳ": "j",
}


def normalize(name: str) -> str:
    """A name as the language knows it: NFKC, as Python normalises identifiers."""
    return unicodedata.normalize("NFKC", name)


def is_invisible(ch: str) -> bool:
    """Whether a character draws nothing (or only changes how its neighbours are drawn)."""
    if ch < "\xad":  # SOFT HYPHEN is the first: ASCII, the common case, is never invisible
        return False
    if unicodedata.category(ch) == "Cf":
        return True
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _INVISIBLE_RANGES)


def code_point(ch: str) -> str:
    """`U+FE0F`: how to name a character that cannot be shown."""
    return f"U+{ord(ch):04X}"


def char_name(ch: str) -> str:
    """The character's Unicode name (`VARIATION SELECTOR-16`), or its code point."""
    return unicodedata.name(ch, code_point(ch))


def script(ch: str) -> str | None:
    """"Latin", "Greek" or "Cyrillic" for a letter of those scripts, else None.

    Read from the Unicode name ("CYRILLIC SMALL LETTER HA"): the standard library has
    no script property, and these three scripts are where look-alikes come from.
    """
    if not ch.isalpha():
        return None
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    return first.capitalize() if first in ("LATIN", "GREEK", "CYRILLIC") else None


def skeleton(name: str) -> str:
    """The name with each look-alike letter replaced by the Latin letter it passes for."""
    return "".join(LOOKALIKES.get(ch, ch) for ch in name)


def mixed_script(name: str) -> tuple[int, str, str] | None:
    """Where a name mixes scripts confusably: (index of the letter to blame, its script,
    the script of the letters around it), or None.

    Cyrillic with Latin or Greek is always refused; Latin with Greek only when a Greek
    letter in it looks like a Latin one, so `Δt` and `σ_x` stay names. Otherwise the
    letter blamed is the first one outside the name's main script: the script with most
    letters, the first letter's on a tie.
    """
    letters = [(i, s) for i, ch in enumerate(name) if (s := script(ch)) is not None]
    found = {s for _, s in letters}
    if len(found) < 2:
        return None
    if found == {"Latin", "Greek"}:
        greek = next((i for i, s in letters if s == "Greek" and name[i] in LOOKALIKES), None)
        return None if greek is None else (greek, "Greek", "Latin")
    counts = {s: sum(1 for _, t in letters if t == s) for s in found}
    first = letters[0][1]
    main = max(found, key=lambda s: (counts[s], s == first))
    return next((i, s, main) for i, s in letters if s != main)


def looks_like(ch: str, other: str) -> str | None:
    """The letter of script `other` that `ch` is drawn like, if the table knows one."""
    latin = LOOKALIKES.get(ch, ch)
    if other == "Latin":
        return latin if latin != ch else None
    return next((k for k, v in LOOKALIKES.items() if v == latin and k != ch
                 and script(k) == other), None)


def mixed_script_error(raw: str, name: str, line: int, col: int) -> LabError | None:
    """A syntax error for a name token that mixes scripts, at the letter to blame.

    `raw` is the name as typed, from column `col`; `name` is its normal form.
    """
    found = mixed_script(name)
    if found is None:
        return None
    index, odd, main = found
    ch = name[index]
    # The column of the typed character that became it (NFKC may change lengths).
    offset = next((k for k, typed in enumerate(raw) if ch in normalize(typed)), 0)
    similar = looks_like(ch, main)
    like = f", drawn like {main} '{similar}'" if similar else ""
    summary = (f"the name '{name}' mixes scripts: '{ch}' ({code_point(ch)} {char_name(ch)}) "
               f"is {odd} among {main} letters{like}; write the name in one script")
    return LabError("syntax", summary, Span(line, col + offset, line, col + offset + 1),
                    key="mixed_script",
                    info={"name": name, "char": ch, "code": code_point(ch), "script": odd,
                          "other": main, "looks_like": similar})


def confusable_error(first_use: dict[str, Span]) -> LabError | None:
    """A `name` error for the first two names of a program that differ only by look-alike
    letters, at the later one's first use; `first_use` holds each name in source order."""
    seen: dict[str, str] = {}
    for name, span in first_use.items():
        other = seen.setdefault(skeleton(name), name)
        if other == name:
            continue
        other_span = first_use[other]
        # A skeleton maps letter to letter, so the two names have one length.
        mine, theirs = next((a, b) for a, b in zip(name, other, strict=True) if a != b)
        summary = (f"'{name}' (line {span.line}) and '{other}' (line {other_span.line}) "
                   f"differ only by look-alike letters: '{mine}' is {code_point(mine)} "
                   f"{char_name(mine)}, '{theirs}' is {code_point(theirs)} "
                   f"{char_name(theirs)}; they would be two names drawn the same: spell "
                   "both the same way")
        return LabError(
            "name", summary, span, key="confusable_names",
            info={"name": name, "line": span.line, "other": other,
                  "other_line": other_span.line, "char": mine, "code": code_point(mine),
                  "other_char": theirs, "other_code": code_point(theirs)})
    return None


def confusable_function(name: str, functions: list[str]) -> str | None:
    """The catalogue function a called name is a look-alike spelling of (`ехр` → exp)."""
    key = skeleton(name)
    return next((f for f in functions if f != name and skeleton(f) == key), None)
