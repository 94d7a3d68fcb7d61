"""The backprop-lab command: eval's table and --json, errors, and python -m app."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from app.cli.main import main
from app.pipeline import graph_response


def test_eval_prints_a_table(capsys) -> None:
    assert main(["eval", "f = (x + y) * z", "x=-2", "y=5", "z=-4"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["node", "op", "value", "gradient"]
    rows = {line.split()[0]: line.split()[1:] for line in out[2:]}
    assert rows["x"] == ["input", "-2", "-4"]
    assert rows["z"] == ["input", "-4", "3"]
    assert rows["f*"] == ["mul", "-12", "1"]


def test_eval_json_is_the_api_body(capsys) -> None:
    assert main(["eval", "f = (x + y) * z", "x=-2", "y=5", "z=-4", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == graph_response("f = (x + y) * z", {"x": -2, "y": 5, "z": -4})


def test_eval_tensor_values(capsys) -> None:
    assert main(["eval", "f = sum(W @ x)", "W=[[1,2],[3,4]]", "x=[1,-1]"]) == 0
    out = capsys.readouterr().out
    assert "(2, 2)" in out and "[4., 6.]" in out


def test_eval_error_exit_code_and_caret(capsys) -> None:
    assert main(["eval", "f = sigmod(x)", "x=1"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'sigmoid'" in err and "    ^^^^^^" in err
    assert main(["eval", "f = sigmod(x)", "x=1", "--json"]) == 2
    body = json.loads(capsys.readouterr().out)
    assert body["error"]["type"] == "unknown_function" and body["error"]["column"] == 5


def test_eval_reads_a_file(tmp_path, capsys) -> None:
    program = tmp_path / "staged.txt"
    program.write_text("x = 3\ny = -4\nf = x * y\n", encoding="utf-8")
    assert main(["eval", "-f", str(program)]) == 0
    assert "-12" in capsys.readouterr().out


def test_python_dash_m_app_help() -> None:
    result = subprocess.run([sys.executable, "-m", "app", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0
    assert "serve" in result.stdout and "eval" in result.stdout
    result = subprocess.run([sys.executable, "-m", "app", "serve", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert "--port" in result.stdout and "--open" in result.stdout


def test_serve_answers_on_the_chosen_port() -> None:
    import socket

    import httpx

    from tests.helpers import wait_until_serving

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "app", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server)
        response = httpx.post(f"{base}/api/graph", json={
            "source": "f = (x + y) * z", "values": {"x": -2, "y": 5, "z": -4}})
        assert response.json()["nodes"][-1]["value"] == -12
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_eval_teaching_flags_json_is_the_api_body(capsys) -> None:
    from app.pipeline import Options, Sweep

    argv = ["eval", "f = sigmoid(x * w)", "x=2", "w=-1", "--json", "--expand", "--check",
            "--code", "--sweep", "x:-1:1:5"]
    assert main(argv) == 0
    printed = json.loads(capsys.readouterr().out)
    options = Options(expand=True, check=True, code=True, sweep=Sweep("x", -1.0, 1.0, 5))
    assert printed == graph_response("f = sigmoid(x * w)", {"x": 2, "w": -1}, options=options)
    assert main(["eval", "f = sigmoid(x) + tanh(x)", "x=1", "--json", "--expand", "n1"]) == 0
    nodes = json.loads(capsys.readouterr().out)["nodes"]
    assert [n["op"] for n in nodes].count("tanh") == 1


def test_eval_teaching_flags_as_text(capsys) -> None:
    assert main(["eval", "f = relu(x) * y", "x=0", "y=2", "--check", "--code",
                 "--sweep", "x:-1:1:3"]) == 0
    out = capsys.readouterr().out
    assert "NO (kink)" in out and "import math" in out and "dx = " in out
    rows = [line.split() for line in out.split("x   output")[1].splitlines()[2:5]]
    assert rows == [["-1", "0"], ["0", "0"], ["1", "2"]]


def test_eval_teaching_flag_errors(capsys) -> None:
    assert main(["eval", "f = x * 2", "x=1", "--sweep", "y"]) == 2
    assert "nudge plot" in capsys.readouterr().err
    assert main(["eval", "f = x * 2", "x=1", "--expand", "n7", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["key"] == "expand_unknown"


def test_serve_takes_workers_and_quiet_and_refuses_zero_workers(capsys) -> None:
    from app.cli.main import build_parser

    args = build_parser().parse_args(["serve", "--workers", "2", "--quiet"])
    assert (args.workers, args.quiet) == (2, True)
    assert build_parser().parse_args(["serve"]).workers == 1
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["serve", "--workers", "0"])
    assert exc.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_eval_takes_one_step_of_gradient_descent(capsys) -> None:
    from app.examples import example

    source = example("mazur-network")["source"]
    assert main(["eval", source, "--lr", "0.5", "--params", "w1,w5", "--json"]) == 0
    update = json.loads(capsys.readouterr().out)["update"]
    news = {p["name"]: p["new"] for p in update["params"]}
    assert abs(news["w5"] - 0.35891648) < 5e-9 and abs(news["w1"] - 0.149780716) < 5e-10
    assert main(["eval", source, "--lr", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "new = value − 0.5 × gradient" in out and "0.358916" in out
    with pytest.raises(SystemExit):
        main(["eval", source, "--lr", "nan"])
    assert "finite number" in capsys.readouterr().err


# -- terminal escapes from the user's text are shown, not obeyed (issue 19) -------------

TITLE = "\x1b]0;pwned\x07"  # OSC 0: set the window title, ended by BEL
CLEAR = "\x1b[2J"           # CSI 2 J: clear the screen
HOSTILE = f"x = 3  # {TITLE} retitle\nf = x * 2  # {CLEAR} clear\n"
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u2028")


def assert_no_raw_controls(*texts: str) -> None:
    for text in texts:
        found = [f"U+{ord(c):04X}" for c in RAW if c in text]
        assert not found, (found, text)


def test_eval_table_and_code_print_no_escape_from_comments(capsys) -> None:
    assert main(["eval", HOSTILE]) == 0
    out, err = capsys.readouterr()
    assert_no_raw_controls(out, err)
    assert "f*" in out and "6" in out
    assert main(["eval", HOSTILE, "--code"]) == 0
    out, err = capsys.readouterr()
    assert_no_raw_controls(out, err)
    assert "dx = " in out


def test_eval_error_caret_shows_escapes_and_points_at_the_column(capsys) -> None:
    source = f"x = 3  # {TITLE}\nf = sigmod(x)  # {CLEAR} \u202e"
    assert main(["eval", source]) == 2
    out, err = capsys.readouterr()
    assert_no_raw_controls(out, err)
    text, caret = err.splitlines()[-2:]
    assert text == "f = sigmod(x)  # \\x1b[2J \\u202e"
    assert caret == "    ^^^^^^"


def test_the_caret_moves_past_escapes_before_the_column(capsys) -> None:
    assert main(["eval", f"f = 1 + {CLEAR} $"]) == 2
    text, caret = capsys.readouterr().err.splitlines()[-2:]
    assert text == "f = 1 + \\x1b[2J $"
    assert caret == "        ^^^^"  # under the escape of the ESC the error names
    assert main(["eval", f"f = {CLEAR}x $"]) == 2
    text, caret = capsys.readouterr().err.splitlines()[-2:]
    assert text.index("\\x1b") == caret.index("^")


def test_staged_code_is_escaped_whatever_the_engine_gives(capsys, monkeypatch) -> None:
    """Defence in depth: even a staged program carrying user text raw prints escaped."""
    import app.cli.main as cli

    real = cli.graph_response

    def with_hostile_code(*args, **kwargs):
        body = real(*args, **kwargs)
        body["code"]["python"] += f"# {TITLE} {CLEAR}\u2028\u202e\x9b\n"
        return body

    monkeypatch.setattr(cli, "graph_response", with_hostile_code)
    assert main(["eval", "f = x * 2", "x=1", "--code"]) == 0
    out = capsys.readouterr().out
    assert_no_raw_controls(out)
    assert "# \\x1b]0;pwned\\x07 \\x1b[2J\\u2028\\u202e\\x9b" in out


def test_value_names_and_arguments_are_escaped(capsys) -> None:
    assert main(["eval", "f = x * 2", "x=1", f"{CLEAR}=1"]) == 0
    out, err = capsys.readouterr()
    assert_no_raw_controls(out, err)
    assert "warning: '\\x1b[2J' in values is not an input" in out
    with pytest.raises(SystemExit):
        main(["ops", CLEAR])
    out, err = capsys.readouterr()
    assert_no_raw_controls(out, err)
    assert "\\x1b[2J" in err


def test_no_raw_escape_byte_leaves_the_process(tmp_path) -> None:
    program = tmp_path / "hostile.txt"
    program.write_text(HOSTILE.replace("x * 2", "sigmod(x)"), encoding="utf-8")
    runs = {"caret": ["eval", "-f", str(program)], "code": ["eval", HOSTILE, "--code"],
            "table": ["eval", HOSTILE]}
    streams = {}
    for what, argv in runs.items():
        result = subprocess.run([sys.executable, "-m", "app", *argv], capture_output=True,
                                timeout=60)
        assert result.returncode == (2 if what == "caret" else 0), result.stderr
        streams[what] = result.stdout + result.stderr
        assert b"\x1b" not in streams[what] and b"\x07" not in streams[what], what
    assert b"f = sigmod(x)  # \\x1b[2J clear" in streams["caret"]


def test_visible_escapes_controls_and_keeps_text() -> None:
    from app.cli.terminal import visible

    assert visible("损失 = θ * x  # ∂f/∂x\n") == "损失 = θ * x  # ∂f/∂x\n"
    assert visible(f"{TITLE}\t\r\x7f\x85\u2028\u2029\u202e\u2066\ufeff\U000e0041") == (
        "\\x1b]0;pwned\\x07\\x09\\x0d\\x7f\\x85\\u2028\\u2029\\u202e\\u2066\\ufeff\\U000e0041")
    assert visible("a\nb", newlines=False) == "a\\x0ab"
    assert visible(visible(TITLE)) == visible(TITLE)


def test_a_program_that_names_a_file_gets_a_hint(tmp_path, capsys) -> None:
    """`eval prog.txt` parses the name as a program (a syntax error at its dot); the
    error says so and a hint names -f, which reads it."""
    program = tmp_path / "prog.txt"
    program.write_text("f = x * 2\n", encoding="utf-8")
    assert main(["eval", str(program)]) == 2
    err = capsys.readouterr().err
    assert "error (syntax)" in err
    assert f"hint: {program} is a file; to read the program from it, use -f {program}" in err
    assert main(["eval", "-f", str(program), "x=3"]) == 0
    assert "hint" not in capsys.readouterr().err
    assert main(["eval", "f = (x"]) == 2  # no file of that name: no hint
    assert "hint" not in capsys.readouterr().err


def test_a_file_with_a_byte_order_mark_is_read(tmp_path, capsys) -> None:
    program = tmp_path / "notepad.txt"
    program.write_bytes("\ufeffx = 3\nf = x * 2\n".encode())
    assert main(["eval", "-f", str(program)]) == 0
    assert "6" in capsys.readouterr().out
