"""The circuit language: parser tests that read like the grammar, and its errors.

Precedence tests compare canonical S-expressions (andychu's Pratt-parser demo
style): `2^3^2` is `(^ 2 (^ 3 2))`. Error tests assert the fields of
`LabError` (type, line, column, info), never the wording.
"""

from __future__ import annotations

import builtins

import pytest

from app.errors import LabError
from app.graph import build
from app.lang import parse, to_sexpr
from app.lang.syntax import Assign, ListLit, Num
from app.limits import Limits
from app.pipeline import run

# -- helpers ---------------------------------------------------------------------

def sexpr(source: str) -> str:
    """The S-expression of the program's last statement."""
    return to_sexpr(parse(source).statements[-1].expr)


def parse_error(source: str, limits: Limits | None = None) -> LabError:
    with pytest.raises(LabError) as caught:
        parse(source) if limits is None else parse(source, limits)
    return caught.value


def build_error(source: str, limits: Limits | None = None) -> LabError:
    with pytest.raises(LabError) as caught:
        build(parse(source)) if limits is None else build(parse(source, limits), limits)
    return caught.value


def run_error(source: str, values: dict | None = None, **kwargs) -> LabError:
    with pytest.raises(LabError) as caught:
        run(source, values, **kwargs)
    return caught.value


def place(err: LabError) -> tuple[str, int | None, int | None]:
    """(type, line, column) of an error."""
    if err.span is None:
        return err.type, None, None
    return err.type, err.span.line, err.span.column


def assert_inside(err: LabError, source: str) -> None:
    """The error points at a character of the source (1-based line and column)."""
    assert err.span is not None, f"{err.type} error without a place"
    lines = source.split("\n")
    assert 1 <= err.span.line <= len(lines), err.span
    assert 1 <= err.span.column <= len(lines[err.span.line - 1]), err.span


# -- precedence: the table of DESIGN.md ------------------------------------------

@pytest.mark.parametrize(("source", "tree"), [
    ("x^2+1", "(+ (^ x 2) 1)"),
    ("2^3^2", "(^ 2 (^ 3 2))"),
    ("-x^2", "(- (^ x 2))"),
    ("2^-1", "(^ 2 (- 1))"),
    ("-a^-b", "(- (^ a (- b)))"),
    ("a - b - c", "(- (- a b) c)"),
    ("a / b / c", "(/ (/ a b) c)"),
    ("a + b * c", "(+ a (* b c))"),
    ("a * b + c", "(+ (* a b) c)"),
    ("a @ b + c", "(+ (@ a b) c)"),
    ("a * b @ c", "(@ (* a b) c)"),
    ("a @ b * c", "(* (@ a b) c)"),
    ("-a * b", "(* (- a) b)"),
    ("- -a", "(- (- a))"),
    ("+a", "(+ a)"),
    ("(a + b) * c", "(* (+ a b) c)"),
    ("a ^ b * c", "(* (^ a b) c)"),
    ("sin(x)^2", "(^ (sin x) 2)"),
    ("max(a, b) + 1", "(+ (max a b) 1)"),
    ("sum(x, 0)", "(sum x 0)"),
    ("sum(x, -1)", "(sum x -1)"),
    ("((x))", "x"),
])
def test_precedence(source, tree):
    assert sexpr(source) == tree


@pytest.mark.parametrize(("double_star", "caret"), [
    ("a ** b", "a ^ b"),
    ("2 ** 3 ** 2", "2 ^ 3 ^ 2"),
    ("-x ** 2", "-x ^ 2"),
    ("2 ** -1", "2 ^ -1"),
])
def test_double_star_is_the_same_as_caret(double_star, caret):
    assert sexpr(double_star) == sexpr(caret)


@pytest.mark.parametrize(("source", "values", "value"), [
    ("f = 2^3^2", {}, 512.0),
    ("f = -x^2", {"x": 3.0}, -9.0),
    ("f = 2^-1", {}, 0.5),
    ("f = x^2+1", {"x": 3.0}, 10.0),
])
def test_power_evaluates_with_math_precedence(source, values, value):
    ev = run(source, values)
    assert float(ev.value(ev.graph.output)) == value


# -- numbers, names, statements ---------------------------------------------------

@pytest.mark.parametrize(("source", "value"), [
    (".5", .5),
    ("1e-3", 1e-3),
    ("1_000", 1_000),
    ("1.", 1.),
    ("1.5E2", 1.5E2),
    ("1.e2", 1.e2),
    ("1_0.2_5", 1_0.2_5),
    ("0", 0),
])
def test_numbers_follow_python(source, value):
    expr = parse(source).statements[0].expr
    assert isinstance(expr, Num)
    assert expr.value == value


@pytest.mark.parametrize("source", ["1__000", "1_", "1e", "1.2.3", "2x"])
def test_malformed_numbers_are_syntax_errors(source):
    err = parse_error(source)
    assert err.type == "syntax"
    assert_inside(err, source)


@pytest.mark.parametrize("name", ["损失", "θ", "αβ_1", "ñ", "_x"])
def test_names_may_be_any_unicode_identifier(name):
    program = parse(f"{name} = (y - t)^2")
    (stmt,) = program.statements
    assert isinstance(stmt, Assign)
    assert stmt.target == name
    assert to_sexpr(stmt.expr) == "(^ (- y t) 2)"


@pytest.mark.parametrize("name", ["match", "case", "_", "type"])
def test_soft_keywords_are_names_as_in_python(name):
    # `match = 1` is valid Python: soft keywords are identifiers outside their statements.
    # (Which words are soft keywords also changes with the Python version: `type` in 3.12.)
    program = parse(f"{name} = 1\nf = {name} * 2")
    assert program.statements[0].target == name


@pytest.mark.parametrize("word", ["True", "None", "lambda", "if", "for"])
def test_hard_keywords_are_not_names(word):
    assert place(parse_error(f"{word} = 1")) == ("syntax", 1, 1)


def test_spans_cover_the_source_text_in_characters():
    stmt = parse("损失 = (a + b) * c").statements[0]
    assert (stmt.target_span.column, stmt.target_span.end_column) == (1, 3)
    expr = stmt.expr
    assert (expr.span.column, expr.span.end_column) == (6, 17)  # "(a + b) * c"
    assert (expr.op_span.column, expr.op_span.end_column) == (14, 15)  # "*"
    assert (expr.left.span.column, expr.left.span.end_column) == (6, 13)  # with its "( )"


def test_a_unicode_name_is_a_node_name_and_an_input():
    ev = run("损失 = (y - t)^2\nf = θ * 损失", {"y": 3.0, "t": 1.0, "θ": 2.0})
    assert set(ev.graph.input_ids) == {"y", "t", "θ"}
    node = next(n for n in ev.graph.nodes if n.name == "损失")
    assert float(ev.value(node.id)) == 4.0
    assert float(ev.grad(ev.graph.input_ids["y"])) == 2.0 * 2 * (3.0 - 1.0)


def test_semicolons_separate_statements():
    program = parse("x = 3; y = -4; f = x * y")
    assert [s.target for s in program.statements] == ["x", "y", "f"]
    assert parse("a = 1;; f = a;").statements[-1].target == "f"


def test_comments_run_to_the_end_of_the_line():
    program = parse("# a circuit\nx = 3  # an input\n\n# nothing here\nf = x * 2  # out")
    assert [to_sexpr(s.expr) for s in program.statements] == ["3", "(* x 2)"]


def test_last_statement_may_be_a_bare_expression():
    program = parse("q = x + y\nq * z")
    assert to_sexpr(program.statements[-1].expr) == "(* q z)"


def test_seed_000_example_runs():
    ev = run("q = x + y\nf = q * z", {"x": -2, "y": 5, "z": -4})
    ids = ev.graph.input_ids
    assert float(ev.value(ev.graph.output)) == -12.0
    assert [float(ev.grad(ids[n])) for n in "xyz"] == [-4.0, -4.0, 3.0]


# -- tensor literals and brackets over several lines -----------------------------

def test_tensor_literal_has_its_shape():
    expr = parse("[[1, 2], [3, -4]]").statements[0].expr
    assert isinstance(expr, ListLit)
    assert expr.shape == (2, 2)
    assert expr.flat == (1, 2, 3, -4)
    assert sexpr("[[1, 2], [3, -4]]") == "[1 2 3 -4]:(2, 2)"


@pytest.mark.parametrize(("source", "tree"), [
    ("[1, 2, 3]", "[1 2 3]:(3,)"),
    ("[[[1], [2]]]", "[1 2]:(1, 2, 1)"),
    ("[-1, +2, - -3]", "[-1 2 3]:(3,)"),
    ("[.5, 1e-3]", "[0.5 0.001]:(2,)"),
    ("-[1, 2]", "(- [1 2]:(2,))"),
])
def test_tensor_literals(source, tree):
    assert sexpr(source) == tree


def test_a_list_may_run_over_several_lines():
    program = parse("W = [[1, 2],   # first row\n     [3, 4]]\n\nf = W @ x")
    assert len(program.statements) == 2
    assert program.statements[0].expr.shape == (2, 2)
    assert to_sexpr(program.statements[1].expr) == "(@ W x)"


@pytest.mark.parametrize(("source", "tree"), [
    ("f = max(a,\n        b)", "(max a b)"),
    ("f = (a +\n     b) * c", "(* (+ a b) c)"),
])
def test_calls_and_parentheses_may_run_over_several_lines(source, tree):
    program = parse(source)
    assert len(program.statements) == 1
    assert to_sexpr(program.statements[0].expr) == tree


@pytest.mark.parametrize(("source", "kind", "line", "column"), [
    ("f = [[1, 2], [3]]", "shape", 1, 14),
    ("f = [1, [2]]", "shape", 1, 5),
    ("f = []", "shape", 1, 5),
    ("f = [1, a]", "syntax", 1, 9),
    ("f = [1, 2 * 3]", "syntax", 1, 11),
])
def test_bad_tensor_literals(source, kind, line, column):
    assert place(parse_error(source)) == (kind, line, column)


# -- syntax errors with their place ------------------------------------------------

@pytest.mark.parametrize(("source", "line", "column"), [
    ("f = x +* y", 1, 8),
    ("x = 1\n\nf = x +* 2", 3, 8),
    ("f = (x + y", 1, 5),  # the "(" never closed, not the end of the line
    ("f = x)", 1, 6),
    ("f = x +", 1, 8),
    ("f = ", 1, 5),
    ("f = ()", 1, 6),
    ("f = (a, b)", 1, 7),
    ("1 = a", 1, 3),
    ("a + b = c", 1, 7),
    ("a b", 1, 3),
    ("a\nb = 1", 1, 1),
    ("f = a // b", 1, 7),
    ("f = a % b", 1, 7),
    ("x = 1\nf = x ^^ 2", 2, 8),
    ("f = 2x", 1, 5),
])
def test_syntax_errors_name_line_and_column(source, line, column):
    assert place(parse_error(source)) == ("syntax", line, column)


@pytest.mark.parametrize("source", ["", "   \n# only a comment\n", ";;"])
def test_an_empty_program_is_a_syntax_error_with_no_place(source):
    assert place(parse_error(source)) == ("syntax", None, None)


@pytest.mark.parametrize(("char", "meant"), [
    ("＋", "+"), ("－", "-"), ("×", "*"), ("（", "("), ("）", ")"),
    ("＊", "*"), ("÷", "/"), ("＾", "^"), ("，", ","), ("＝", "="), ("２", "2"),
])
def test_full_width_characters_name_the_ascii_meant(char, meant):
    source = f"x = 1\n损失 = x {char} 2"
    err = parse_error(source)
    column = source.split("\n")[1].index(char) + 1
    assert place(err) == ("syntax", 2, column)
    assert err.info["meant"] == meant


def test_full_width_brackets_around_an_expression():
    err = parse_error("f = （x + y） * z")
    assert place(err) == ("syntax", 1, 5)
    assert err.info["meant"] == "("


# -- calls: the catalogue and arity --------------------------------------------------

@pytest.mark.parametrize(("name", "suggestion"), [
    ("sigmod", "sigmoid"),
    ("tanhh", "tanh"),
    ("sqr", "sqrt"),
    ("frobnicate", None),
])
def test_unknown_function_suggests_a_close_name(name, suggestion):
    err = parse_error(f"y = 1\nf = {name}(y)")
    assert place(err) == ("unknown_function", 2, 5)
    assert err.info["suggestion"] == suggestion


def test_an_operator_op_is_not_a_function():
    err = parse_error("f = add(a, b)")
    assert place(err) == ("unknown_function", 1, 5)


@pytest.mark.parametrize(("source", "column"), [
    ("f = max(a)", 5),
    ("f = min(a, b, c)", 5),
    ("f = sin(a, b)", 5),
    ("f = exp()", 5),
    ("f = sum(x, 0, 1)", 5),
    ("f = sum(x, y)", 12),  # an axis is an integer literal
    ("f = sum(x, 0.5)", 12),
])
def test_arity_errors(source, column):
    assert place(parse_error(source)) == ("arity", 1, column)


# -- names: assigned once, before use -------------------------------------------------

def test_a_name_used_before_its_line():
    err = build_error("f = a * b\nb = 2")
    assert place(err) == ("name", 1, 9)
    assert (err.info["use"], err.info["assigned"]) == (1, 2)


def test_a_name_used_on_its_own_line():
    err = build_error("a = a + 1")
    assert place(err) == ("name", 1, 5)
    assert (err.info["use"], err.info["assigned"]) == (1, 1)


def test_a_name_assigned_twice():
    err = build_error("a = 1\nb = 2\na = 3\nf = a * b")
    assert place(err) == ("name", 3, 1)
    assert (err.info["first"], err.info["second"]) == (1, 3)


def test_an_alias_of_an_unassigned_name_keeps_the_input():
    # DESIGN.md: a name never assigned is an input from `values`, and an alias
    # (q = x) is an identity gate. `x` must stay an input called x.
    ev = run("q = x\nf = q * 2", {"x": 3.0})
    nodes = {n.name: n for n in ev.graph.nodes if n.name}
    assert nodes["x"].op == "input"
    assert nodes["q"].op == "identity"
    assert float(ev.value(ev.graph.output)) == 6.0
    assert float(ev.grad(ev.graph.input_ids["x"])) == 2.0


# -- missing values ---------------------------------------------------------------

def test_missing_values_are_listed_at_once():
    err = run_error("f = x * y + z", {"y": 1.0})
    assert place(err) == ("missing_value", 1, 5)
    assert sorted(err.info["names"]) == ["x", "z"]


def test_a_missing_value_points_at_the_first_use():
    err = run_error("a = 2\nq = a * y\nf = q + x * y", {})
    assert place(err) == ("missing_value", 2, 9)
    assert sorted(err.info["names"]) == ["x", "y"]


def test_a_default_fills_a_value_and_values_override_it():
    def output(values):
        ev = run("x = 3\nf = x * 2", values)
        return float(ev.value(ev.graph.output))

    assert output({}) == 6.0
    assert output({"x": 5}) == 10.0


# -- limits -------------------------------------------------------------------------

@pytest.mark.parametrize(("source", "column"), [
    ("f = ((((x))))", 8),
    ("f = ----x", 8),
    ("f = [[[[1]]]]", 8),
    ("f = exp(exp(exp(exp(x))))", 20),
    ("f = 2^2^2^2^2", 12),
])
def test_deep_nesting_is_too_large(source, column):
    assert place(parse_error(source, Limits(max_depth=3))) == ("too_large", 1, column)


def test_default_limits_refuse_deep_nesting_before_python_does():
    source = "f = " + "(" * 1000 + "x" + ")" * 1000
    assert parse_error(source).type == "too_large"


def test_overlong_source_is_too_large():
    source = "f = a + b"
    assert place(parse_error(source, Limits(max_source_chars=8))) == ("too_large", None, None)
    assert parse(source, Limits(max_source_chars=9))


def test_too_many_nodes_is_too_large():
    source = "f = a + b + c + d"  # nodes: a b + c + d +
    err = build_error(source, Limits(max_nodes=5))
    assert place(err) == ("too_large", 1, 17)
    assert build(parse(source), Limits(max_nodes=7))
    values = {name: 1.0 for name in "abcd"}
    assert run_error(source, values, limits=Limits(max_nodes=5)).type == "too_large"


# -- the message shows the line and a caret ----------------------------------------

def caret_lines(err: LabError) -> tuple[str, str]:
    """The source line and the caret line at the end of the message."""
    *_, text, caret = err.message.split("\n")
    return text, caret


def test_message_has_the_line_and_a_caret_under_the_column():
    err = parse_error("x = 1\nf = x +* 2")
    text, caret = caret_lines(err)
    assert text == "f = x +* 2"
    assert caret.index("^") == err.span.column - 1 == 7


def test_caret_counts_characters_not_bytes():
    source = "损失 = (y - t)^2 ＋ 1"
    err = parse_error(source)
    text, caret = caret_lines(err)
    assert text == source
    assert caret.index("^") == source.index("＋")


@pytest.mark.parametrize("make_error", [
    lambda: build_error("f = a * b\nb = 2"),
    lambda: run_error("a = 1\nf = a * y", {}),
    lambda: parse_error("f = sigmod(x)"),
])
def test_errors_after_parsing_also_show_the_caret(make_error):
    err = make_error()
    text, caret = caret_lines(err)
    assert text == err.source.split("\n")[err.span.line - 1]
    assert caret.index("^") == err.span.column - 1


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\f\n"])
def test_caret_is_under_the_line_the_error_names(newline):
    # The tokenizer takes \r and \f as blanks, so the line the error names is
    # counted by "\n" alone; the displayed line must be that same line.
    source = f"a = 1{newline}f = a +"
    err = parse_error(source)
    assert place(err) == ("syntax", 2, 8)
    text, caret = caret_lines(err)
    assert text == "f = a +"
    assert caret.index("^") == 7


# -- hostile input: refused by the grammar, with a place ----------------------------

@pytest.mark.parametrize("source", [
    "x.__class__",
    "f = x.__class__.__bases__",
    "__import__",
    "f = __import__(x)",
    "__builtins__",
    "lambda x: x",
    "f = lambda: 1",
    "[i for i in x]",
    "f = 'a'",
    'f = "a"',
    "import os",
    "from os import path",
    "f = x; import os",
    "x[0]",
    "f = x[0:2]",
    "sum(x, axis=0)",
    "(y := 2)",
    "f = x if y else z",
    "f = not x",
    "f = x and y",
    "f = x < y",
    "f = {}",
    "f = *x",
    "@x",
    "del x",
    "f = x \\\n + 1",
    "f = (x for x in y)",
    "f = x\x00",
])
def test_hostile_input_is_a_syntax_error(source):
    err = parse_error(source)
    assert err.type == "syntax"
    assert_inside(err, source)


@pytest.mark.parametrize("name", ["eval", "exec", "open", "print", "getattr", "globals"])
def test_calls_outside_the_catalogue_are_unknown_functions(name):
    source = f"f = {name}(x)"
    err = parse_error(source)
    assert place(err) == ("unknown_function", 1, 5)
    assert err.info["name"] == name


def test_parsing_never_calls_eval_or_exec(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the parser called eval or exec")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    ev = run("x = 3\ny = -4\nf = (x + y)^2 * sigmoid(x)")
    assert ev.graph.input_ids.keys() == {"x", "y"}


# -- size: iterative all the way --------------------------------------------------------

def test_a_chain_of_100000_statements_parses():
    n = 100_000
    lines = ["a0 = 1", *(f"a{k} = a{k - 1} + 1" for k in range(1, n + 1))]
    program = parse("\n".join(lines), Limits(max_source_chars=10**8))
    assert len(program.statements) == n + 1
    assert to_sexpr(program.statements[-1].expr) == f"(+ a{n - 1} 1)"


def test_a_sum_of_5000_terms_on_one_line():
    n = 5000
    source = "f = " + " + ".join(["x"] * n)
    tree = sexpr(source)
    assert tree.count("(+") == n - 1
    assert tree.startswith("(+ " * (n - 1) + "x x) x)")
    ev = run(source, {"x": 2.0}, limits=Limits(max_source_chars=10**6, max_nodes=10**5))
    assert float(ev.value(ev.graph.output)) == 2.0 * n
    assert float(ev.grad(ev.graph.input_ids["x"])) == n


def test_the_fast_tokenizer_gives_the_slow_ones_tokens() -> None:
    """ASCII lines are read with one pattern (app/lang/tokens.py FAST); character by
    character gives the same tokens, spans and errors."""
    import random

    import app.lang.tokens as tokens_module
    from tests.oracle import generate

    def slow(source: str):
        fast = tokens_module._fast_line
        tokens_module._fast_line = lambda *args: None
        try:
            return tokens_module.tokenize(source)
        except Exception as err:
            return repr(err)
        finally:
            tokens_module._fast_line = fast

    def fast(source: str):
        try:
            return tokens_module.tokenize(source)
        except Exception as err:
            return repr(err)

    rng = random.Random(0)
    pieces = ["x", "y1", "_a", "2", "3.5", ".5", "1e-3", "1_000", "2x", "1.2.3", " ", "\t",
              "\r", "+", "-", "**", "*", "/", "^", "@", "(", ")", "[", "]", ",", "=", ";",
              "#c", "\n", "$", "'", ":", "x̄", "损失", "ｘ"]
    sources = [generate(seed).source for seed in range(200)]
    sources += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
                for _ in range(2_000)]
    for source in sources:
        assert fast(source) == slow(source), repr(source)
