"""The page's modules as the browser loads them: every one under the release's version."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import Page, expect

from app.api import pages
from tests.test_js_modules import graph


def test_every_module_loads_under_the_pages_version(page: Page) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto("/?lang=en")
    expect(page.locator("#circuit .node").first).to_be_visible()
    urls = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
    scripts = {urlparse(url).path for url in urls if urlparse(url).path.endswith(".js")}
    assert scripts == {f"/static/{pages.STATIC_VERSION}/js/{name}" for name in graph()}
    assert errors == []
