"""The staged code never runs anything a program hides in it (issue 19).

A lone carriage return in a comment of a constant written over two lines was
copied into a comment of the staged Python, where Python ends the line at
CR: the rest of the comment became a statement, and `import os;
os.system("id")` ran with the right gradients printed after it. Here:

- that program, through the API, the CLI and the page's own request, gives
  code with no trace of the payload, which compiles and computes the gradients;
- random programs whose comments and spacing are filled with every line
  ending and control character give code that passes an AST check (imports of
  math or numpy, the helper, assignments of arithmetic to the program's own
  variables, nothing else) and that, run under `python -I` with an audit hook
  that refuses processes, sockets, file writes and new imports, defines the
  engine's gradients.
"""

from __future__ import annotations

import ast
import json
import random
import subprocess
import sys
import textwrap
import unicodedata

import numpy as np
import pytest

from app.engine.staged import check_program, staged
from app.pipeline import run
from tests.oracle import generate

EXPLOIT = ('c = (2 # a constant, folded\rimport os; os.system("id") #\n+ 3)\n'
           "f = (x + y) * c\n")

# Every character a comment may hold that could end a line or turn into a control:
# C0 and C1 controls but LF (which ends the comment in the circuit language too), the
# line and paragraph separators, and the format characters that reorder or hide text.
HOSTILE = ([chr(c) for c in range(0x20) if c != 0x0A] + [chr(c) for c in range(0x7F, 0xA0)]
           + ["\u2028", "\u2029", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a",
              "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
              "\ufeff", "\u00ad"])
PAYLOADS = ['import os; os.system("touch /tmp/backprop-lab-pwned")', 'x = 1', '"""', "'''",
            "\\", "exec('1')", "__import__('os')", "#", "dx = 0"]
SPACING = [" ", "\t", "\f", "\r"]  # what the circuit language takes between tokens
RAW_CONTROLS = [c for c in HOSTILE if c not in ("\t",)]


def _junk(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 6)):
        parts.append(rng.choice(HOSTILE))
        parts.append(rng.choice(PAYLOADS))
    return "".join(parts)


def _spaced(line: str, rng: random.Random) -> str:
    """The line with its spaces replaced by runs of the spacing characters."""
    return "".join(ch if ch != " " else "".join(rng.choices(SPACING, k=rng.randint(1, 3)))
                   for ch in line)


def hostile_program(seed: int) -> tuple[str, dict]:
    """A random program, every line commented with junk, spaced with CR/FF/tab runs, and a
    constant written over two lines with junk inside it; CRLF line ends half the time."""
    rng = random.Random(seed)
    program = generate(seed)
    lines = program.source.rstrip("\n").split("\n")
    *body, last = lines
    name, expr = last.split(" = ", 1)
    constant = f"k_c = (1.5 # {_junk(rng)}\n * 2 # {_junk(rng)}\n)"
    out = [f"{_spaced(line, rng)} # {_junk(rng)}" for line in body]
    out.append(constant)
    out.append(f"{name} = ({expr}) * k_c # {_junk(rng)}")
    end = "\r\n" if rng.random() < 0.5 else "\n"
    return end.join(out) + end, program.values


def _no_raw_controls(python: str) -> None:
    bad = sorted({f"U+{ord(c):04X}" for c in python
                  if c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")})
    assert not bad, f"raw control or format characters in the staged code: {bad}"


def _statements_are_assignments(python: str) -> set[str]:
    """The names the program assigns; fails on any other kind of statement."""
    assigned: set[str] = set()
    for stmt in ast.parse(python).body:
        if isinstance(stmt, ast.Import):
            assert [a.name for a in stmt.names] in (["math"], ["numpy"]), ast.unparse(stmt)
        elif isinstance(stmt, ast.FunctionDef):
            assert stmt.name == "unbroadcast", stmt.name
        elif isinstance(stmt, ast.Assign | ast.AugAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            assert len(targets) == 1 and isinstance(targets[0], ast.Name), ast.unparse(stmt)
            assigned.add(targets[0].id)
            calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)]
            for call in calls:
                func = ast.unparse(call.func)
                assert func.startswith(("np.", "math.")) or func in (
                    "abs", "max", "min", "unbroadcast") or "." in func, func
                assert "exec" not in func and "eval" not in func and "import" not in func
        else:
            raise AssertionError(f"a statement that is not an assignment: {ast.unparse(stmt)}")
    return assigned


# Runs staged programs in a fresh `python -I`: no site, no user paths, no environment.
# math and numpy are imported first; then an audit hook refuses every new import, every
# process, socket and file opened for writing, and each program runs in a dict of its own.
RUNNER = textwrap.dedent('''
    import json, math, sys
    import numpy as np

    BLOCKED = ("os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork",
               "subprocess.Popen", "socket.", "ctypes.", "os.remove", "os.rename", "shutil.")
    state = {"armed": False}

    def hook(event, args):
        if not state["armed"]:
            return
        if event.startswith(BLOCKED) or event == "import" or (
                event == "open" and len(args) > 1 and args[1] and any(m in str(args[1])
                                                                     for m in "wax+")):
            raise RuntimeError(f"blocked: {event}")

    sys.addaudithook(hook)
    jobs = json.loads(sys.stdin.read())
    results = []
    for job in jobs:
        scope = {}
        state["armed"] = True
        try:
            with np.errstate(all="ignore"):
                exec(compile(job["python"], "<staged>", "exec"), scope)
            grads = {name: np.asarray(scope[var], dtype=float).tolist()
                     for name, var in job["grads"].items()}
            results.append({"grads": grads, "names": sorted(k for k in scope
                                                            if not k.startswith("__"))})
        except BaseException as err:
            results.append({"error": f"{type(err).__name__}: {err}"})
        finally:
            state["armed"] = False
    print(json.dumps(results, allow_nan=True))
''')


def run_isolated(jobs: list[dict]) -> list[dict]:
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER], input=json.dumps(jobs),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_the_runner_refuses_what_the_exploit_did():
    """The isolation is real: code that starts a process is stopped, and says so."""
    [result] = run_isolated([{"python": 'import os\nos.system("true")\n', "grads": {}}])
    assert "blocked" in result["error"]


def test_the_carriage_return_exploit_is_inert(client):
    body = client.post("/api/graph", json={"source": EXPLOIT, "values": {"x": 1, "y": 2},
                                           "code": True}).json()
    python = body["code"]["python"]
    assert "import os" not in python and "os.system" not in python and "\r" not in python
    _no_raw_controls(python)
    assert "(2 + 3): constants only" in python  # the constant's text, rebuilt from tokens
    assert _statements_are_assignments(python) >= {"x", "y", "dx", "dy", "c", "f"}
    [result] = run_isolated([{"python": python, "grads": body["code"]["grads"]}])
    assert "error" not in result, result
    assert result["grads"] == {"x": 5.0, "y": 5.0}


def test_the_exploit_through_the_command_line():
    # As an argument the program keeps its lone CR (a file or standard input is read with
    # universal newlines, which turns it into a line break and the payload into an error).
    done = subprocess.run([sys.executable, "-m", "app", "eval", EXPLOIT, "x=1", "y=2",
                           "--code"], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert b"os.system" not in done.stdout and b"\r" not in done.stdout
    printed = done.stdout.decode()
    python = printed[printed.index("import math"):]  # after the table of nodes
    assert _statements_are_assignments(python) >= {"dx", "dy"}


def test_a_crlf_program_with_a_two_line_constant_gives_code_that_compiles():
    ev = run("c = (2 +\r\n 3)\r\nf = (x + y) * c\r\n", {"x": 1, "y": 2})
    python = staged(ev).python
    compile(python, "<staged>", "exec")
    assert "(2 + 3): constants only" in python


@pytest.mark.parametrize("bad", [
    "import os\n", "from os import system\n", "x = __import__('os')\n", "x = open('f')\n",
    "x = 1\nprint(x)\n", "y = 2\n", "x = 'text'\n", "x = np.load('f')\n", "x = (lambda: 1)()\n",
    "def unbroadcast(g, shape):\n    return g\n", "x = [i for i in range(3)]\n",
    "x = np.sum(y, where=z)\n", "x.y = 1\n", "x, dx = 1, 2\n",
])
def test_check_program_refuses_anything_but_arithmetic(bad):
    with pytest.raises(RuntimeError):
        check_program("import math\n" + bad, {"x", "dx"})


PROGRAMS = 300


def test_hostile_comments_and_spacing_never_escape_a_comment():
    jobs, expected = [], []
    for seed in range(PROGRAMS):
        source, values = hostile_program(seed)
        ev = run(source, values)
        program = staged(ev)  # check_program ran inside: RuntimeError on anything else
        python = program.python
        _no_raw_controls(python)
        for line in python.split("\n"):
            code = line.split("#", 1)[0]
            assert "os" not in code.split() and "import os" not in code, line
        declared = _statements_are_assignments(python)
        assert set(program.grads.values()) <= declared
        jobs.append({"python": python, "grads": program.grads})
        expected.append({name: ev.grad(i) for name, i in ev.graph.input_ids.items()})
    results = run_isolated(jobs)
    for seed, (result, want) in enumerate(zip(results, expected, strict=True)):
        assert "error" not in result, (seed, result)
        for name, grad in want.items():
            np.testing.assert_allclose(np.asarray(result["grads"][name], dtype=float),
                                       np.asarray(grad, dtype=float), rtol=1e-9, atol=1e-12,
                                       equal_nan=True, err_msg=f"seed {seed}, d{name}")
