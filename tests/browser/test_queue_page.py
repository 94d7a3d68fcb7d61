"""A run waiting in the job queue, on the page: it says its place in line, in English and in
Chinese, and trains once a worker starts. A real redis-server, a real `backprop-lab serve
--redis` process and, later, a real `backprop-lab worker` (tests/test_queue.py's helpers)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.test_queue import Processes, Redis


@pytest.fixture
def queue_api() -> Iterator[tuple[str, str, Processes]]:
    """(the API's base URL, the Redis URL, the processes): no worker yet."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is missing: .ci/run installs Debian's redis-server")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    redis = Redis()
    redis.start()
    processes = Processes()
    try:
        yield processes.api(redis.url), redis.url, processes
    finally:
        processes.close()
        redis.close()


def start_training(page: Page, base: str, lang: str) -> None:
    page.goto(f"{base}/?lang={lang}")
    expect(page.locator("#circuit .node").first).to_be_visible()
    page.get_by_role("combobox", name="Examples" if lang == "en" else "示例").select_option(
        "seed004-train")
    expect(page.locator("#train-canvas-wrap")).to_be_visible()
    page.locator("#train-passes").fill("500")
    page.locator("#train-start").click()


def test_a_waiting_run_says_its_place_then_trains(page: Page, shot, queue_api) -> None:
    base, redis_url, processes = queue_api
    start_training(page, base, "en")
    note = page.locator("#train-note")
    expect(note).to_have_text("Waiting for a training worker: 1st in line.", timeout=10_000)
    other = page.context.new_page()
    start_training(other, base, "zh")
    expect(other.locator("#train-note")).to_contain_text("排在第 2 位", timeout=10_000)
    expect(page.locator("#train-cancel")).to_be_enabled()  # a waiting run can be cancelled
    shot("training-queued")
    processes.worker(redis_url)
    expect(note).to_contain_text("Done: 500 passes", timeout=60_000)
    expect(other.locator("#train-note")).to_contain_text("完成：500 轮", timeout=60_000)
    other.close()
