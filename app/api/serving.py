"""How the app is served: the hosts it answers to, its timeouts, its caps on connections and
its per-client rate limit — one frozen value, from `backprop-lab serve`'s flags or the
environment.

`backprop-lab serve` turns its flags into this value, writes it to the environment (so
`app.main:app` and every `--workers` process read the same) and hands uvicorn its part
(`uvicorn_options`). `uvicorn app.main:app` run by hand reads the environment too; it gets
the app's guards (hosts, the body deadline, the rate limit) but not the connection
guards, which live in the protocol that `serve` installs (app/api/connections.py).

Each setting has a flag of `serve` and a variable (the flag wins): BACKPROP_LAB_ALLOWED_HOSTS
(--allowed-host, comma-separated), _RATE_LIMIT (--rate-limit), _HEADER_TIMEOUT,
_BODY_TIMEOUT, _SEND_TIMEOUT, _KEEP_ALIVE_TIMEOUT, _MAX_CONNECTIONS_PER_CLIENT and _MAX_CONNECTIONS.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import os
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any

PREFIX = "BACKPROP_LAB_"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# Addresses that mean "every interface": not a name a client can put in its Host header.
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "[::]", "*"})
MAX_HEAD_BYTES = 16 * 1024  # the request line and headers: h11's own default, made explicit


def default_max_connections() -> int:
    """2,048, or fewer where the open-file limit is lower: a connection is a file, and a
    server out of files cannot even refuse politely."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 2048
    if soft == resource.RLIM_INFINITY:
        return 2048
    return max(64, min(2048, soft - 128))


def _seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"expected a number of seconds above 0, got {text!r}")
    return value


def _whole_seconds(text: str) -> int:
    return math.ceil(_seconds(text))  # uvicorn's keep-alive timeout is whole seconds


def _count(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise ValueError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _rate_text(text: str) -> str:
    parse_rate(text)
    return text


def _rate_text_of(rate: tuple[float, float] | None) -> str:
    return "off" if rate is None else f"{rate[0]:g}/{rate[1]:g}"


def parse_rate(text: str) -> tuple[float, float] | None:
    """`30/300` as (tokens a second, bucket size); `off` (or 0) as None: no limit."""
    if text.strip().lower() in ("off", "0", "none"):
        return None
    rate, sep, burst = text.partition("/")
    try:
        r = float(rate)
        b = float(burst) if sep else max(1.0, r * 10)
    except ValueError:
        raise ValueError(f"expected RATE/BURST such as 30/300, or off; got {text!r}") from None
    if not (math.isfinite(r) and math.isfinite(b) and r > 0 and b >= 1):
        raise ValueError(f"expected a rate above 0 and a burst of at least 1, got {text!r}")
    return r, b


def normalise_host(name: str) -> str:
    """A host as compared: lower case, no brackets, no trailing dot, IP addresses canonical."""
    name = name.strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    try:
        return ipaddress.ip_address(name).compressed
    except ValueError:
        return name


@dataclass(frozen=True, slots=True)
class Serving:
    allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS  # "*" answers any Host
    rate_limit: tuple[float, float] | None = (30.0, 300.0)  # tokens a second, bucket size
    header_timeout: float = 10.0  # the connection opened (or a new request began) → its head
    body_timeout: float = 30.0  # the head → the last byte of the body
    send_timeout: float = 30.0  # a client reads nothing of its answer → disconnected
    keep_alive_timeout: int = 5  # idle between requests (uvicorn's timeout_keep_alive)
    max_connections_per_client: int = 256
    max_connections: int = field(default_factory=lambda: default_max_connections())
    max_clients_tracked: int = 10_000  # rate-limit buckets kept, least recently used out

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_hosts", tuple(dict.fromkeys(
            normalise_host(h) if h != "*" else h for h in self.allowed_hosts if h.strip())))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Serving:
        """The settings the environment gives (a ValueError names a bad variable)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        parsers = {"HEADER_TIMEOUT": ("header_timeout", _seconds),
                   "BODY_TIMEOUT": ("body_timeout", _seconds),
                   "SEND_TIMEOUT": ("send_timeout", _seconds),
                   "KEEP_ALIVE_TIMEOUT": ("keep_alive_timeout", _whole_seconds),
                   "MAX_CONNECTIONS_PER_CLIENT": ("max_connections_per_client", _count),
                   "MAX_CONNECTIONS": ("max_connections", _count),
                   "RATE_LIMIT": ("rate_limit", parse_rate)}
        for suffix, (name, parse) in parsers.items():
            raw = env.get(PREFIX + suffix)
            if raw is not None and raw.strip():
                try:
                    values[name] = parse(raw)
                except ValueError as err:
                    raise ValueError(f"{PREFIX}{suffix}: {err}") from None
        extra = env.get(PREFIX + "ALLOWED_HOSTS", "")
        hosts = [h for h in extra.split(",") if h.strip()]
        return cls(allowed_hosts=LOOPBACK_HOSTS + tuple(hosts), **values)

    def to_env(self, env: MutableMapping[str, str]) -> None:
        """Write these settings where from_env reads them (for the app and its workers)."""
        rate = _rate_text_of(self.rate_limit)
        env.update({
            PREFIX + "ALLOWED_HOSTS": ",".join(self.allowed_hosts),
            PREFIX + "RATE_LIMIT": rate,
            PREFIX + "HEADER_TIMEOUT": repr(self.header_timeout),
            PREFIX + "BODY_TIMEOUT": repr(self.body_timeout),
            PREFIX + "SEND_TIMEOUT": repr(self.send_timeout),
            PREFIX + "KEEP_ALIVE_TIMEOUT": str(self.keep_alive_timeout),
            PREFIX + "MAX_CONNECTIONS_PER_CLIENT": str(self.max_connections_per_client),
            PREFIX + "MAX_CONNECTIONS": str(self.max_connections),
        })

    def uvicorn_options(self) -> dict[str, Any]:
        """uvicorn's own settings for what it does itself; the protocol does the rest."""
        return {"http": "app.api.connections:GuardedH11Protocol",
                "ws": "none",  # the app has no websockets: an Upgrade stays an HTTP request
                "timeout_keep_alive": self.keep_alive_timeout,
                "h11_max_incomplete_event_size": MAX_HEAD_BYTES}


# -------------------------------------------------------------- backprop-lab serve's flags


def _flag_type(parse: Any) -> Any:
    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    convert.__name__ = parse.__name__.lstrip("_")
    return convert


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The serve subcommand's flags for hosts, timeouts, caps and the rate limit; each
    defaults to its environment variable, then to Serving's default."""
    d = Serving()
    group = parser.add_argument_group(
        "serving on a network", "see SECURITY.md, 'Serving on a network'; each flag's "
        f"default can also be set by its {PREFIX}* environment variable")
    group.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="a Host the server answers to besides localhost, 127.0.0.1, [::1] "
                       "and --host; repeatable; '*' answers any (behind a proxy that checks "
                       "it)")
    group.add_argument("--rate-limit", type=_flag_type(_rate_text), metavar="RATE/BURST",
                       help="per client: a bucket of BURST requests refilled at RATE a second "
                       "for uncached POST /api/graph and /api/network (1 each) and "
                       "/api/train (10); 'off' for none (default "
                       f"{_rate_text_of(d.rate_limit)})")
    group.add_argument("--header-timeout", type=_flag_type(_seconds), metavar="SECONDS",
                       help="time for a request's line and headers to arrive "
                       f"(default {d.header_timeout:g})")
    group.add_argument("--body-timeout", type=_flag_type(_seconds), metavar="SECONDS",
                       help=f"time for a request's body to arrive (default {d.body_timeout:g})")
    group.add_argument("--send-timeout", type=_flag_type(_seconds), metavar="SECONDS",
                       help="a client that reads nothing of its answer for this long is "
                       f"disconnected (default {d.send_timeout:g})")
    group.add_argument("--keep-alive-timeout", type=_flag_type(_seconds), metavar="SECONDS",
                       help="an idle connection between requests is closed after this "
                       f"(default {d.keep_alive_timeout})")
    group.add_argument("--max-connections-per-client", type=_flag_type(_count), metavar="N",
                       help="open connections from one address (an IPv6 /64) "
                       f"(default {d.max_connections_per_client})")
    group.add_argument("--max-connections", type=_flag_type(_count), metavar="N",
                       help=f"open connections in all (default {d.max_connections})")


def from_args(args: argparse.Namespace, env: Mapping[str, str] | None = None) -> Serving:
    """serve's flags over the environment over the defaults. A --host that names one
    address or name is allowed as a Host too; a wildcard (0.0.0.0, ::) is not a name."""
    base = Serving.from_env(env)
    hosts = list(base.allowed_hosts)
    if args.host not in WILDCARD_BINDS:
        hosts.append(args.host)
    hosts.extend(args.allowed_host)
    given: dict[str, Any] = {
        "header_timeout": args.header_timeout, "body_timeout": args.body_timeout,
        "send_timeout": args.send_timeout,
        "keep_alive_timeout": (None if args.keep_alive_timeout is None
                               else math.ceil(args.keep_alive_timeout)),
        "max_connections_per_client": args.max_connections_per_client,
        "max_connections": args.max_connections}
    changes = {k: v for k, v in given.items() if v is not None}
    if args.rate_limit is not None:
        changes["rate_limit"] = parse_rate(args.rate_limit)
    return replace(base, allowed_hosts=tuple(hosts), **changes)
