"""Static files are served under one content-hashed prefix (app/api/pages.py), so that a
module's relative imports resolve under the same version as the page's main.js: a new
release never runs an old module from a cache."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

from app.api import pages
from tests.test_js_modules import STATIC_JS, graph

IMMUTABLE = "max-age=31536000"


def module_url(client) -> str:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"  # the page names the version: never stale
    (src,) = re.findall(r'<script type="module" src="([^"]+)"', page.text)
    return src


def test_the_page_loads_main_under_the_version(client) -> None:
    src = module_url(client)
    assert re.fullmatch(r"[0-9a-f]{12}", pages.STATIC_VERSION)
    assert src == f"/static/{pages.STATIC_VERSION}/js/main.js"
    response = client.get(src)
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert IMMUTABLE in response.headers["cache-control"]
    assert response.content == (STATIC_JS / "main.js").read_bytes()


def test_every_module_main_imports_resolves_under_the_same_version(client) -> None:
    """Resolve each import the way a browser does (relative to the importing module's
    URL), for every module reachable from main.js."""
    base = "http://testserver"
    edges = graph()
    todo = [(urljoin(base, module_url(client)), "main.js")]
    seen = set()
    while todo:
        url, name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        assert url == f"{base}/static/{pages.STATIC_VERSION}/js/{name}", url
        response = client.get(url)
        assert response.status_code == 200, url
        assert IMMUTABLE in response.headers["cache-control"]
        assert response.content == (STATIC_JS / name).read_bytes()
        todo.extend((urljoin(url, f"./{target}"), target) for target in edges[name])
    assert seen == set(edges)


def test_styles_and_icon_are_versioned_too(client) -> None:
    page = client.get("/").text
    for href in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        assert href.startswith(f"/static/{pages.STATIC_VERSION}/"), href
        assert client.get(href).status_code == 200


def test_plain_static_urls_still_work_and_other_versions_do_not(client) -> None:
    plain = client.get("/static/js/state.js")
    assert plain.status_code == 200
    assert IMMUTABLE not in plain.headers.get("cache-control", "")
    other = "0" * 12 if pages.STATIC_VERSION != "0" * 12 else "1" * 12
    assert client.get(f"/static/{other}/js/main.js").status_code == 404
    assert client.get(f"/static/{pages.STATIC_VERSION}/js/nothing.js").status_code == 404


def test_the_version_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("export const a = 1;\n")
    first = pages.static_version(tmp_path)
    assert pages.static_version(tmp_path) == first
    (tmp_path / "js" / "a.js").write_text("export const a = 2;\n")
    second = pages.static_version(tmp_path)
    assert second != first
    (tmp_path / "js" / "b.js").write_text("")
    assert pages.static_version(tmp_path) not in {first, second}
