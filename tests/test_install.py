"""Every install form serves the page: `pip install .` (not editable) and `uv tool install .`
from the checkout, each into an environment of its own outside it; pyproject.toml packages
every package of app/. (The wheel, served and loaded in Chromium: tests/browser/
test_install.py.)

`uv tool install` resolves the dependencies from PyPI, as a user's would (uv keeps a cache,
so a second run takes seconds); everything else works offline.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import httpx

from tests.helpers import wait_until_serving
from tests.packaging import ROOT, checkout_copy, clean_env, free_port, fresh_venv, pip_into

CS231N = ["f = (x + y) * z", "x=-2", "y=5", "z=-4"]


def test_every_package_of_app_is_in_the_wheel() -> None:
    """pyproject.toml lists the packages by name (static/ and templates/ are mapped into
    the package): a new package of app/ must be listed, or the wheel would lack it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "app").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert config["tool"]["setuptools"]["package-dir"] == {"app.static": "static",
                                                           "app.templates": "templates"}


def serves_the_page(command: Path, cwd: Path) -> None:
    """`backprop-lab serve` from an installed copy answers the page, its modules (under
    the content-hashed prefix the page names) and the API."""
    port = free_port()
    server = subprocess.Popen([str(command), "serve", "--port", str(port), "--quiet"], cwd=cwd,
                              env=clean_env(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server)
        page = httpx.get(f"{base}/", timeout=10)
        assert page.status_code == 200 and 'id="circuit"' in page.text
        script = page.text.split('<script type="module" src="', 1)[1].split('"', 1)[0]
        assert script.endswith("/js/main.js")
        assert httpx.get(base + script, timeout=10).status_code == 200
        assert httpx.get(base + script.replace("js/main.js", "css/app.css"),
                         timeout=10).status_code == 200
        graph = httpx.post(f"{base}/api/graph", json={"source": CS231N[0], "values": {
            "x": -2, "y": 5, "z": -4}}, timeout=10).json()
        assert [n["grad"] for n in graph["nodes"] if n["op"] == "input"] == [-4, -4, 3]
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_pip_install_dot_serves_the_page(tmp_path: Path) -> None:
    """`pip install .` from a checkout (no -e): the page comes from inside the installed
    package, and `backprop-lab lesson` finds its scripts there too."""
    source = checkout_copy(tmp_path / "backprop-lab")
    env_dir = tmp_path / "env"
    python = fresh_venv(env_dir)
    pip_into(python, "install", "--no-deps", "--no-build-isolation", "--no-index", str(source))
    where = subprocess.run([str(python), "-c", "from app.assets import STATIC_DIR; "
                            "print(STATIC_DIR)"], check=True, capture_output=True, text=True,
                           cwd=tmp_path, env=clean_env()).stdout.strip()
    assert Path(where).is_relative_to(env_dir), where
    command = env_dir / "bin" / "backprop-lab"
    lesson = tmp_path / "lesson.html"
    subprocess.run([str(command), "lesson", *CS231N, "-o", str(lesson)], check=True,
                   cwd=tmp_path, env=clean_env(), capture_output=True, timeout=120)
    assert lesson.stat().st_size > 50_000
    serves_the_page(command, tmp_path)


def test_uv_tool_install_dot_serves_the_page(tmp_path: Path) -> None:
    """`uv tool install .` from a checkout: an isolated environment of its own, its build
    from pyproject.toml in an isolated build environment (the newest setuptools), the
    dependencies from PyPI; the command on a bin directory of its own."""
    uv = Path(sys.executable).parent / "uv"
    assert uv.exists(), "uv is in the test extra: pip install -e '.[test]'"
    source = checkout_copy(tmp_path / "backprop-lab")
    env = {**clean_env(), "UV_TOOL_DIR": str(tmp_path / "tools"),
           "UV_TOOL_BIN_DIR": str(tmp_path / "bin"), "UV_NO_PROGRESS": "1"}
    base = getattr(sys, "_base_executable", sys.executable)
    done = subprocess.run([str(uv), "tool", "install", "--python", base, str(source)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    command = tmp_path / "bin" / "backprop-lab"
    printed = subprocess.run([str(command), "eval", *CS231N], check=True, capture_output=True,
                             text=True, env=clean_env(), cwd=tmp_path).stdout
    assert "-12" in printed
    serves_the_page(command, tmp_path)


def test_pipx_install_dot_serves_the_page(tmp_path: Path) -> None:
    """`pipx install .` from a checkout: pipx's own venv, built from pyproject.toml, the
    dependencies from PyPI; the command on a bin directory of its own."""
    pipx = Path(sys.executable).parent / "pipx"
    assert pipx.exists(), "pipx is in the test extra: pip install -e '.[test]'"
    source = checkout_copy(tmp_path / "backprop-lab")
    env = {**clean_env(), "PIPX_HOME": str(tmp_path / "pipx"),
           "PIPX_BIN_DIR": str(tmp_path / "bin"), "PIPX_MAN_DIR": str(tmp_path / "man")}
    base = getattr(sys, "_base_executable", sys.executable)
    done = subprocess.run([str(pipx), "install", "--python", base, str(source)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    command = tmp_path / "bin" / "backprop-lab"
    printed = subprocess.run([str(command), "eval", *CS231N], check=True, capture_output=True,
                             text=True, env=clean_env(), cwd=tmp_path).stdout
    assert "-12" in printed
    serves_the_page(command, tmp_path)
