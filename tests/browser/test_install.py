"""A built wheel serves the page: built offline from exactly what the Dockerfile copies,
installed into a fresh environment outside the checkout, run as `backprop-lab serve`, and
loaded in Chromium, which draws the circuit and steps it to the end."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.helpers import wait_until_serving
from tests.packaging import (
    ROOT,
    build_wheel,
    clean_env,
    docker_context,
    free_port,
    fresh_venv,
    pip_into,
    wheel_files,
)


def test_the_wheel_serves_the_page(tmp_path: Path, page: Page, shot) -> None:
    wheel = build_wheel(docker_context(tmp_path / "context"), tmp_path / "dist")
    files = wheel_files(wheel)
    for shipped in ("app/static/js/main.js", "app/static/css/app.css", "app/static/favicon.svg",
                    "app/templates/index.html", "app/templates/lesson.html",
                    "app/js/page.js", "app/js/lesson-host.js", "app/js/widget-host.js",
                    "backprop_lab.py"):
        assert shipped in files, f"the wheel lacks {shipped}"
    assert not any(name.startswith(("static/", "templates/", "tests/")) for name in files)

    env_dir = tmp_path / "fresh"
    python = fresh_venv(env_dir)
    pip_into(python, "install", "--no-deps", "--no-index", str(wheel))
    pip_into(python, "check")  # every dependency the wheel declares is there
    where = subprocess.run(
        [str(python), "-c", "import app, backprop_lab; from app.assets import STATIC_DIR, "
         "TEMPLATES_DIR; print(app.__file__); print(STATIC_DIR); print(TEMPLATES_DIR); "
         "print(backprop_lab.circuit('f = (x + y) * z', x=-2, y=5, z=-4).value)"],
        check=True, capture_output=True, text=True, cwd=tmp_path, env=clean_env()).stdout
    lines = where.split()
    assert all(Path(p).is_relative_to(env_dir) for p in lines[:3]), where
    assert not any(Path(p).is_relative_to(ROOT) for p in lines[:3]), where
    assert lines[3] == "-12.0"

    lesson = tmp_path / "lesson.html"
    subprocess.run([str(env_dir / "bin" / "backprop-lab"), "lesson", "f = (x + y) * z",
                    "x=-2", "y=5", "z=-4", "-o", str(lesson)], check=True, cwd=tmp_path,
                   env=clean_env(), capture_output=True, timeout=120)
    assert "Content-Security-Policy" in lesson.read_text(encoding="utf-8")

    port = free_port()
    server = subprocess.Popen([str(env_dir / "bin" / "backprop-lab"), "serve", "--port",
                               str(port), "--quiet"], cwd=tmp_path, env=clean_env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server)
        page.goto(f"{base}/#p=f%20%3D%20(x%20%2B%20y)%20*%20z&v=%7B%22x%22%3A-2%2C%22y%22%3A5"
                  "%2C%22z%22%3A-4%7D")
        expect(page.locator("#circuit g.node")).to_have_count(5)
        position = page.locator("#position")
        expect(position).to_have_text(re.compile(r"^0 / 10"))
        forward = page.get_by_role("button", name="Step forward")
        for _ in range(10):
            forward.click()
        expect(position).to_have_text(re.compile(r"^10 / 10"))
        expect(page.locator("#circuit")).to_contain_text("−12")
        shot("installed-wheel")
    finally:
        server.terminate()
        server.wait(timeout=20)
