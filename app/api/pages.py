"""The page: one jinja2 template, static files under a content-hashed prefix, security headers."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.assets import STATIC_DIR, TEMPLATES_DIR

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
router = APIRouter()


def static_version(directory: Path = STATIC_DIR) -> str:
    """One hash of every static file (names and bytes): a new release changes it."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


# Computed once, when the app starts. Every static URL the pages name carries it as a
# path prefix, /static/<version>/js/main.js, so a module's relative imports
# (`import "./actions.js"`) resolve under the same version: a new release never runs
# an old module from a cache, and the versioned files may be cached for good.
STATIC_VERSION = static_version()
STATIC_PREFIX = f"/static/{STATIC_VERSION}"
IMMUTABLE = "public, max-age=31536000, immutable"


def static_url(path: str) -> str:
    """/static/<version>/<path>: the file as this release serves it."""
    return f"{STATIC_PREFIX}/{path}"


class VersionedStatic(StaticFiles):
    """The static files under this release's version: cached for a year, never revalidated.
    Another version's prefix is not served here (it falls through to /static/, a 404)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["cache-control"] = IMMUTABLE
        return response


templates.env.globals["static_url"] = static_url
# The plain /static/<path> (app/main.py) stays for old links and for tests that import a
# module by its own path; it is revalidated like any file.
router.mount(STATIC_PREFIX, VersionedStatic(directory=STATIC_DIR), name="static-versioned")

# The page names this release's static version: it must never come from a cache.
NO_CACHE = {"cache-control": "no-cache"}


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request=request, name="index.html", context={},
                                      headers=NO_CACHE)


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs(request: Request) -> HTMLResponse:
    """Swagger UI from files the fastapi-offline package ships: works offline and under
    our CSP (its start-up script is ours, not inline)."""
    return templates.TemplateResponse(request=request, name="docs.html", context={},
                                      headers=NO_CACHE)


def swagger_dir() -> str:
    import fastapi_offline

    return str(Path(fastapi_offline.__file__).resolve().parent / "static")


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
# Swagger UI sets style attributes; /docs shows no user text, so it may.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]
REPLACED = {b"content-security-policy"} | {k for k, _ in SECURITY_HEADERS}


class SecurityHeaders:
    """Every response forbids inline script and foreign origins, and is never sniffed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        path = scope.get("path", "")
        csp = DOCS_CSP if path == "/docs" or path.startswith("/docs-static/") else CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in REPLACED]
                headers += [(b"content-security-policy", csp.encode()), *SECURITY_HEADERS]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
