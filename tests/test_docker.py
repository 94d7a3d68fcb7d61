"""The Dockerfile, read without Docker (no Docker engine runs on these machines: `docker`
is only a client here, so `docker build` cannot be run by the tests).

What can be checked is: a slim base image; the build stage copies files that exist, and
they are all a wheel needs (tests/browser/test_install.py builds the wheel from exactly
these files and serves the page from it); the runtime stage runs as a user that is not
root; the command is `backprop-lab serve --host 0.0.0.0` on the exposed port, as the real
command-line parser reads it; the health check asks /healthz; the build context leaves the
development environment out.
"""

from __future__ import annotations

import json
import shlex

from app.cli.main import build_parser
from tests.packaging import ROOT, build_context_sources, dockerfile_instructions


def stages() -> list[list[tuple[str, str]]]:
    out: list[list[tuple[str, str]]] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            out.append([])
        out[-1].append((keyword, rest))
    return out


def test_the_images_are_slim_python() -> None:
    bases = [rest.split()[0] for keyword, rest in dockerfile_instructions() if keyword == "FROM"]
    assert bases and all(b.startswith("python:3.") and b.endswith("-slim") for b in bases), bases


def test_what_it_copies_exists_and_is_what_the_wheel_needs() -> None:
    sources = build_context_sources()
    for source in sources:
        assert (ROOT / source).exists(), f"the Dockerfile copies {source}, which is missing"
    # pyproject.toml names these: the readme, the modules, the packages and the page's dirs
    assert {"pyproject.toml", "README.md", "backprop_lab.py", "app", "static",
            "templates"} <= set(sources)


def test_it_runs_the_server_on_every_interface_as_a_user() -> None:
    runtime = stages()[-1]
    keywords = [k for k, _ in runtime]
    user = [rest for k, rest in runtime if k == "USER"]
    assert user and user[-1] not in ("root", "0"), "the server must not run as root"
    assert keywords.index("USER") < keywords.index("CMD")
    cmd = json.loads(next(rest for k, rest in runtime if k == "CMD"))  # the exec form
    assert cmd[0] == "backprop-lab"
    args = build_parser().parse_args(cmd[1:])
    assert args.command == "serve" and args.host == "0.0.0.0"
    exposed = [int(rest.split("/")[0]) for k, rest in runtime if k == "EXPOSE"]
    assert exposed == [args.port]
    health = next(rest for k, rest in runtime if k == "HEALTHCHECK")
    assert f"127.0.0.1:{args.port}/healthz" in health


def test_the_comment_shows_how_to_allow_a_host_name() -> None:
    """Served on 0.0.0.0, the app still answers only loopback names: the file says how to
    add the name clients use, and that example parses."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    example = next(line for line in text.splitlines() if "--allowed-host" in line)
    words = shlex.split(example.lstrip("# ").rstrip("\\"))
    args = build_parser().parse_args(words[words.index("serve"):])
    assert args.allowed_host == ["lab.example.org"]


def test_the_build_context_leaves_the_environment_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for name in (".git", ".venv", "test-artifacts", "build"):
        assert name in ignored
