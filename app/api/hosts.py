"""Answer only to the hosts being served, and never write a client's Host into a redirect.

A page on another site can point its own name at 127.0.0.1 (DNS rebinding) and then read
a local server as its own origin; the Host header it sends is still its own name. So a
request whose Host is not one of the allowed names is refused: 400 in the one error
envelope, type `host`. The defaults are the loopback names (localhost, 127.0.0.1, [::1]),
with any port; `backprop-lab serve` adds its --host when that names one address or
name, and --allowed-host adds more ("*.example.org" for its subdomains, "*" for any
Host at all — for a reverse proxy that checks the Host itself).

starlette's TrustedHostMiddleware does the same check but answers in plain text and
reads "[::1]:8000" as the host "[": this one parses bracketed IPv6 and answers in the
envelope.

Redirects (starlette's `/docs/` → `/docs`) are built from the Host header. Even with a
trusted Host, a Location that points back at the request's own host is rewritten to a
path, so a Host header can never travel into a Location.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_response
from app.api.serving import normalise_host


def host_name(header: str) -> str | None:
    """The host of a Host header without its port ("[::1]:8000" → "::1"); None if the
    header is not a host and an optional port."""
    return _host_name(header) if len(header) <= 300 else _parse_host(header)


@lru_cache(maxsize=256)  # a server hears the same few Host headers over and over
def _host_name(header: str) -> str | None:
    return _parse_host(header)


def _parse_host(header: str) -> str | None:
    header = header.strip()
    if header.startswith("["):
        end = header.find("]")
        name, rest = header[1:end], header[end + 1:]
        if end < 0 or (rest and not (rest[0] == ":" and rest[1:].isdigit())):
            return None
    else:
        name, sep, port = header.partition(":")
        if ":" in port or (sep and port and not port.isdigit()):
            return None
    return normalise_host(name) if name else None


class AllowedHosts:
    """A set of names; "*.example.org" matches its subdomains, "*" matches every host."""

    def __init__(self, names: Iterable[str]) -> None:
        names = [normalise_host(n) if n != "*" else n for n in names]
        self.any = "*" in names
        self.exact = frozenset(n for n in names if not n.startswith("*"))
        self.suffixes = tuple(n[1:] for n in names if n.startswith("*."))

    def __contains__(self, name: str) -> bool:
        return self.any or name in self.exact or name.endswith(self.suffixes)


class HostCheck:
    """ASGI middleware: 400 `host` for a Host not allowed; same-host Locations as paths."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        self.allowed = AllowedHosts(allowed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # serve runs with no websockets (uvicorn's ws="none")
            await self.app(scope, receive, send)
            return
        raw = next((v for k, v in scope.get("headers") or () if k == b"host"), b"").decode(
            "latin-1")
        name = host_name(raw)
        if name is None or name not in self.allowed:
            shown = raw if len(raw) <= 100 else raw[:100] + "…"
            response = error_response(
                400, "host", f"this server does not answer to the host {shown!r}; its "
                "operator can allow it with `backprop-lab serve --allowed-host NAME`",
                key="host_not_allowed", args={"host": shown})
            await response(scope, receive, send)
            return

        async def send_relative(message: Message) -> None:
            if message["type"] == "http.response.start" and any(
                    k.lower() == b"location" for k, _ in message.get("headers", ())):
                message = {**message, "headers": [
                    (k, relative(v, raw) if k.lower() == b"location" else v)
                    for k, v in message.get("headers", [])]}
            await send(message)

        await self.app(scope, receive, send_relative)


def relative(location: bytes, host: str) -> bytes:
    """A Location on the request's own host as a path; any other Location as it is."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.netloc or parts.netloc.lower() != host.lower():
        return location
    path = parts.path or "/"
    if path.startswith("//"):  # "//evil.example" would be read as a host again
        path = "/" + path.lstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return (path + query + fragment).encode("latin-1")
