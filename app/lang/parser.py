"""Parse the circuit language into statements by precedence climbing.

A hand-written parser rather than Python's `ast` (STYLE.md's suggestion):
columns come out in characters without a byte-to-char mapping, `^` gets
math precedence without a token rewrite, nesting is counted so deep input
is refused before Python's recursion limit is near, and no construct of
Python's grammar (attributes, lambdas, comprehensions, walrus, strings)
can even be expressed, so each is a syntax error with a position.

Precedence, loosest first: `+ -` (left), `* / @` (left), unary `- +`,
`^ **` (right; binds tighter than a unary minus on its left, so `-x^2` is
`-(x^2)`, and its right operand may itself be unary: `2^-1`), then calls,
names, numbers, parentheses and list literals.
"""

from __future__ import annotations

import difflib
import keyword
from typing import cast

from app.errors import LabError, Span
from app.lang.names import char_name, code_point, confusable_error, confusable_function
from app.lang.syntax import (
    Assign,
    Binary,
    Call,
    Expr,
    ExprStmt,
    ListLit,
    Name,
    Num,
    Program,
    Statement,
    Unary,
)
from app.lang.tokens import Token, tokenize
from app.limits import DEFAULT_LIMITS, Limits
from app.ops import REGISTRY, functions

BINARY_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2}
POWER = ("^", "**")


def _number(text: str) -> float:
    return float(text.replace("_", ""))


class _Parser:
    def __init__(self, tokens: list[Token], limits: Limits) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.limits = limits
        # Each variable name's first use, in source order: for the look-alike check.
        self.first_use: dict[str, Span] = {}

    # -- token helpers -------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, k: int = 1) -> Token:
        return self.tokens[min(self.pos + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def is_op(self, *texts: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in texts

    def expect(self, text: str, context: str) -> Token:
        if not self.is_op(text):
            raise self.unexpected(f"expected '{text}' {context}")
        return self.advance()

    def unclosed(self, open_tok: Token, close: str) -> LabError | None:
        """When a bracket runs to the end of the program, or to a later line that starts
        something else, the mistake is the bracket never closed: point at it."""
        tok = self.tok
        previous = self.tokens[self.pos - 1] if self.pos else open_tok
        if tok.kind == "end" or (tok.span.line > open_tok.span.line
                                 and previous.span.line < tok.span.line):
            return LabError("syntax", f"this '{open_tok.text}' is never closed: add '{close}' "
                            "where what it holds ends", open_tok.span, key="unclosed",
                            info={"open": open_tok.text, "close": close})
        return None

    def unexpected(self, what: str | None = None, expected: str | None = None,
                   **params: object) -> LabError:
        """A syntax error at the current token. `expected` names what was wanted (the key of
        its translation, with `params`) and `at` what came instead (end, line or token), so
        a page can say the whole message in its own language."""
        tok = self.tok
        if tok.kind == "end":
            found = "the end of the program"
        elif tok.kind == "newline":
            found = "the end of the line"
        else:
            found = f"'{tok.text}'"
        summary = f"{what}, found {found}" if what else f"unexpected {found}"
        at = {"end": "end", "newline": "line"}.get(tok.kind, "token")
        info = {"found": tok.text, "at": at, **({"expected": expected} if expected else {}),
                **params}
        return LabError("syntax", summary, tok.span, key="unexpected", info=info)

    def enter(self, span: Span) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise LabError(
                "too_large",
                f"expression nested deeper than {self.limits.max_depth} levels",
                span, key="too_deep", info={"limit": self.limits.max_depth})

    # -- statements ----------------------------------------------------
    def program(self, source: str) -> Program:
        statements: list[Statement] = []
        while self.tok.kind != "end":
            if self.tok.kind == "newline" or self.is_op(";"):
                self.advance()
                continue
            statements.append(self.statement())
            if not (self.tok.kind in ("newline", "end") or self.is_op(";")):
                if self.is_op("="):
                    raise LabError("syntax", "only a name can be assigned to", self.tok.span,
                                   key="bad_target")
                raise self.unexpected("expected the end of the statement", "statement_end")
        if not statements:
            raise LabError("syntax", "the program is empty: write an expression such as "
                           "f = (x + y) * z", None, key="empty")
        for stmt in statements[:-1]:
            if isinstance(stmt, ExprStmt):
                raise LabError("syntax", "only the last statement may be a bare expression; "
                               "give this one a name (q = ...)", stmt.span, key="bare_expr")
        lookalike = confusable_error(self.first_use)
        if lookalike is not None:
            raise lookalike
        return Program(tuple(statements), source)

    def statement(self) -> Statement:
        tok = self.tok
        if tok.kind == "name" and self.peek().kind == "op" and self.peek().text == "=":
            self.check_name(tok)
            self.first_use.setdefault(tok.text, tok.span)
            self.advance()
            self.advance()
            if self.tok.kind in ("newline", "end") or self.is_op(";"):
                raise self.unexpected("expected an expression after '='", "after_equals")
            expr = self.expression()
            return Assign(tok.text, tok.span, expr, tok.span.join(expr.span))
        expr = self.expression()
        return ExprStmt(expr, expr.span)

    def check_name(self, tok: Token) -> None:
        if keyword.iskeyword(tok.text):
            raise LabError(
                "syntax",
                f"'{tok.text}' is a Python keyword; the circuit language has no "
                f"'{tok.text}' and it cannot be a name",
                tok.span, key="keyword", info={"word": tok.text})
        if tok.text.startswith("__"):
            raise LabError("syntax", f"names starting with '__' are not allowed: '{tok.text}'",
                           tok.span, key="dunder", info={"name": tok.text})

    # -- expressions ---------------------------------------------------
    def expression(self, min_prec: int = 1) -> Expr:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in BINARY_PRECEDENCE:
            prec = BINARY_PRECEDENCE[self.tok.text]
            if prec < min_prec:
                break
            op_tok = self.advance()
            if op_tok.text == "/" and self.is_op("/"):
                raise LabError("syntax", "floor division '//' is not part of the language",
                               op_tok.span.join(self.tok.span), key="floor_div")
            right = self.expression(prec + 1)
            left = Binary(op_tok.text, left, right, left.span.join(right.span), op_tok.span)
        return left

    def unary(self) -> Expr:
        if self.is_op("-", "+"):
            op_tok = self.advance()
            self.enter(op_tok.span)
            operand = self.unary()
            self.depth -= 1
            return Unary("neg" if op_tok.text == "-" else "pos", operand,
                         op_tok.span.join(operand.span), op_tok.span)
        return self.power()

    def power(self) -> Expr:
        base = self.atom()
        if self.is_op(*POWER):
            op_tok = self.advance()
            self.enter(op_tok.span)
            exponent = self.unary()
            self.depth -= 1
            return Binary("^", base, exponent, base.span.join(exponent.span), op_tok.span)
        return base

    def atom(self) -> Expr:
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            return Num(_number(tok.text), tok.span)
        if tok.kind == "name":
            self.check_name(tok)
            self.advance()
            if self.is_op("("):
                return self.call(tok)
            if self.is_op("["):
                raise LabError("syntax", f"indexing ('{tok.text}[...]') is not part of the "
                               "language", self.tok.span, key="subscript",
                               info={"name": tok.text})
            self.first_use.setdefault(tok.text, tok.span)
            return Name(tok.text, tok.span)
        if self.is_op("("):
            open_tok = self.advance()
            self.enter(open_tok.span)
            if self.is_op(")"):
                raise self.unexpected("expected an expression inside '( )'", "inside_parens")
            inner = self.expression()
            if self.is_op(","):
                raise LabError("syntax", "tuples are not part of the language", self.tok.span,
                               key="tuple")
            if not self.is_op(")"):
                raise self.unclosed(open_tok, ")") or self.unexpected(
                    f"expected ')' to close the '(' opened at column {open_tok.span.column} "
                    f"of line {open_tok.span.line}", "close_paren",
                    line=open_tok.span.line, column=open_tok.span.column)
            close = self.advance()
            self.depth -= 1
            span = open_tok.span.join(close.span)
            return _respan(inner, span)
        if self.is_op("["):
            return self.list_literal()
        if tok.kind in ("newline", "end"):
            raise self.unexpected("expected an expression", "expression")
        raise self.unexpected("expected a number, a name or '('", "operand")

    def call(self, name_tok: Token) -> Expr:
        open_tok = self.advance()
        self.enter(open_tok.span)
        args: list[Expr] = []
        while not self.is_op(")"):
            if self.tok.kind == "name" and self.peek().kind == "op" and self.peek().text == "=":
                raise LabError(
                    "syntax",
                    f"keyword arguments are not supported: pass '{self.tok.text}' by position,"
                    f" e.g. {name_tok.text}(x, 0)",
                    self.tok.span.join(self.peek().span), key="keyword_arg",
                    info={"name": self.tok.text})
            if self.is_op("*", "**"):
                raise self.unexpected("expected an argument", "argument")
            args.append(self.expression())
            if self.is_op(","):
                self.advance()
            elif not self.is_op(")"):
                raise self.unclosed(open_tok, ")") or self.unexpected(
                    f"expected ',' or ')' in the call of {name_tok.text}", "call_next",
                    name=name_tok.text)
        close = self.advance()
        self.depth -= 1
        span = name_tok.span.join(close.span)
        return _resolve_call(name_tok, args, span)

    def list_literal(self) -> Expr:
        open_tok = self.advance()
        self.enter(open_tok.span)
        items: list[Expr] = []
        while not self.is_op("]"):
            items.append(self.list_item())
            if self.is_op(","):
                self.advance()
            elif not self.is_op("]"):
                raise self.unclosed(open_tok, "]") or self.unexpected(
                    "expected ',' or ']' in the list", "list_next")
        close = self.advance()
        self.depth -= 1
        span = open_tok.span.join(close.span)
        if not items:
            raise LabError("shape", "an empty list has no numbers", span, key="empty_list")
        if all(isinstance(i, Num) for i in items):
            return ListLit((len(items),), tuple(i.value for i in cast(list[Num], items)), span)
        if not all(isinstance(i, ListLit) for i in items):
            raise LabError("shape", "a list mixes numbers and lists", span, key="ragged")
        inner = items[0].shape  # type: ignore[union-attr]
        for item in items:
            if item.shape != inner:  # type: ignore[union-attr]
                raise LabError(
                    "shape", f"ragged list: rows of shape {inner} and {item.shape} differ",  # type: ignore[union-attr]
                    item.span, key="ragged")
        flat = tuple(v for item in items for v in item.flat)  # type: ignore[union-attr]
        return ListLit((len(items), *inner), flat, span)

    def list_item(self) -> Expr:
        """A number, a signed number or a nested list; nothing else is a tensor literal."""
        start = self.tok
        sign = 1.0
        while self.is_op("-", "+"):
            if self.advance().text == "-":
                sign = -sign
        if self.tok.kind == "num":
            tok = self.advance()
            return Num(sign * _number(tok.text), start.span.join(tok.span))
        if self.is_op("[") and start is self.tok:
            return self.list_literal()
        raise LabError(
            "syntax", "a list may hold only numbers or lists of numbers; compute with gates "
            "outside the list", self.tok.span, key="list_item")


def _int_literal(expr: Expr) -> int | None:
    sign = 1
    while isinstance(expr, Unary):
        sign = -sign if expr.op == "neg" else sign
        expr = expr.operand
    if isinstance(expr, Num) and expr.value.is_integer() and abs(expr.value) < 2**31:
        return sign * int(expr.value)
    return None


def _resolve_call(name_tok: Token, args: list[Expr], span: Span) -> Call:
    """Check a call against the op catalogue: the function exists, arguments fit."""
    name = name_tok.text
    table = functions()
    op = table.get(name)
    if op is None:
        known = REGISTRY.get(name)
        if known is not None and known.operator:
            written = "-a" if known.arity == 1 else f"a {known.operator} b"
            summary = f"'{name}' is not a function here: write it as {written}"
            raise LabError("unknown_function", summary, name_tok.span, key="operator_function",
                           info={"name": name, "written": written})
        meant = confusable_function(name, list(table))
        if meant is not None:
            char = next(a for a, b in zip(name, meant, strict=True) if a != b)
            raise LabError(
                "unknown_function",
                f"unknown function '{name}': it is spelt with look-alike letters ('{char}' is "
                f"{code_point(char)} {char_name(char)}); type '{meant}' in Latin letters",
                name_tok.span, key="confusable_function",
                info={"name": name, "meant": meant, "char": char, "code": code_point(char)})
        close = difflib.get_close_matches(name, list(table), n=1, cutoff=0.6)
        hint = f" — did you mean '{close[0]}'?" if close else ""
        raise LabError("unknown_function", f"unknown function '{name}'{hint}", name_tok.span,
                       key="unknown_function",
                       info={"name": name, "suggestion": close[0] if close else None})
    given = len(args)
    most = op.arity + len(op.params)
    least = op.arity + sum(1 for p in op.params if p.required)
    if not least <= given <= most:
        want = str(op.arity) if least == most else f"{least} to {most}"
        noun = "argument" if want == "1" else "arguments"
        raise LabError("arity", f"{name} takes {want} {noun}, got {given}", span,
                       key="arity", info={"name": name, "want": want, "got": given})
    params: list[int] = []
    for param, expr in zip(op.params, args[op.arity:], strict=False):
        value = _int_literal(expr)
        if value is None:
            raise LabError("arity", f"the {param.name} of {name} must be a whole number "
                           f"written in the program, e.g. {name}(x, 0)", expr.span,
                           key="param_literal", info={"name": name, "param": param.name})
        params.append(value)
    return Call(name, tuple(args[:op.arity]), tuple(params), span, name_tok.span)


def _respan(expr: Expr, span: Span) -> Expr:
    """The same expression, its span widened to include the parentheses around it."""
    kind = type(expr)
    fields = {f: getattr(expr, f) for f in kind.__slots__}
    fields["span"] = span
    return kind(**fields)


def parse(source: str, limits: Limits = DEFAULT_LIMITS) -> Program:
    """Parse source text into a Program, or raise LabError with the place at fault."""
    if len(source) > limits.max_source_chars:
        raise LabError(
            "too_large",
            f"the program has {len(source):,} characters; the limit is "
            f"{limits.max_source_chars:,}", None, key="source_too_long",
            info={"limit": limits.max_source_chars}, source=source)
    try:
        return _Parser(tokenize(source), limits).program(source)
    except LabError as err:
        raise err.with_source(source) from None
