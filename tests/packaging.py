"""Helpers of the install tests: the Docker build context, wheels, fresh environments.

Everything here works offline: the wheel is built with the test environment's own pip and
setuptools (no build isolation, so nothing is downloaded), and a fresh environment gets
the project's dependencies by a .pth line naming the test environment's site-packages
(its own copy of Backprop Lab stays out: only `app` from the wheel is importable, which
the tests check). Only `uv tool install` (tests/test_install.py) reaches PyPI, as a user's
would.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dockerfile_instructions(path: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined and
    comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text = pending + stripped
        pending = ""
        keyword, _, rest = text.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def build_context_sources() -> list[str]:
    """What the Dockerfile COPYs from the build context (not --from another stage)."""
    sources: list[str] = []
    for keyword, rest in dockerfile_instructions():
        if keyword != "COPY":
            continue
        words = shlex.split(rest)
        if any(w.startswith("--from") for w in words):
            continue
        sources.extend(w for w in words[:-1] if not w.startswith("--"))
    return sources


def docker_context(target: Path) -> Path:
    """A directory holding exactly what the Dockerfile copies from this checkout."""
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for source in build_context_sources():
        path = ROOT / source
        if path.is_dir():
            shutil.copytree(path, target / source, ignore=ignore)
        else:
            shutil.copy2(path, target / source)
    return target


def checkout_copy(target: Path) -> Path:
    """The checkout as a user has it, without the development environment's leftovers
    (a build directory, caches, egg-info), so a build here cannot pick up stale files."""
    ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                    "__pycache__", ".mypy_cache", ".ruff_cache",
                                    ".pytest_cache", ".hypothesis", "test-artifacts",
                                    "node_modules")
    shutil.copytree(ROOT, target, ignore=ignore)
    return target


def build_wheel(source: Path, out: Path) -> Path:
    """`pip wheel` of a source tree with the test environment's pip, offline."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(out), str(source)],
                   check=True, capture_output=True, text=True, timeout=300)
    wheels = list(out.glob("backprop_lab-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def clean_env() -> dict[str, str]:
    """The environment for a fresh install's commands: nothing that points at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def fresh_venv(path: Path) -> Path:
    """A new virtual environment (no pip in it: the test environment's pip installs into it
    with --python) that sees the test environment's packages as its dependencies."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120,
                   env=clean_env())
    python = path / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; "
                           "print(sysconfig.get_paths()['purelib'])"], check=True,
                          capture_output=True, text=True, env=clean_env()).stdout.strip()
    deps = sysconfig.get_paths()["purelib"]
    Path(site, "backprop-lab-test-deps.pth").write_text(deps + "\n", encoding="utf-8")
    return python


def pip_into(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The test environment's pip, acting on another environment."""
    return subprocess.run([sys.executable, "-m", "pip", "--python", str(python), *args],
                          check=True, capture_output=True, text=True, timeout=300,
                          env=clean_env())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
