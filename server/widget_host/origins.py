"""The one rule that says whether a browser origin may use a widget key.

An allowlist entry is either an exact origin (`https://www.garage-du-parc.fr`) or a host with any
port (`http://localhost:*`). Scheme and host compare case-insensitively, a trailing slash and a
default port (`:443` for https, `:80` for http) are ignored. Nothing else is a pattern: `*` alone,
`null` (sandboxed frames, `file:`) and anything with a path, query or credentials never match.
The intake API (server.intake) imports `origin_allowed` from here: keep its name and signature.
"""

from __future__ import annotations

DEFAULT_PORTS = {"http": "80", "https": "443"}
ANY_PORT = "*"


def parse_origin(value: str, *, pattern: bool = False) -> tuple[str, str, str] | None:
    """`(scheme, host, port)` normalised, port "" for the default; None when not an origin.

    With `pattern=True` the port may be `*` (any port).
    """
    scheme, sep, rest = value.strip().removesuffix("/").partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in DEFAULT_PORTS or not rest:
        return None
    if any(char in rest for char in "/?#@\\ \t"):
        return None
    if rest.startswith("["):  # IPv6 literal: [::1]:8080
        end = rest.find("]")
        if end < 0:
            return None
        host, after = rest[: end + 1], rest[end + 1 :]
        if after and not after.startswith(":"):
            return None
        port = after[1:] if after else None
    else:
        host, colon, port = rest.partition(":")
        port = port if colon else None
    host = host.lower()
    if not host or port == "":
        return None
    if port is None:
        return scheme, host, ""
    if port == ANY_PORT:
        return (scheme, host, ANY_PORT) if pattern else None
    if not port.isdigit() or not 0 < int(port) < 65536:
        return None
    port = str(int(port))
    return scheme, host, "" if port == DEFAULT_PORTS[scheme] else port


def origin_allowed(allowed: list[str], origin: str) -> bool:
    """True when `origin` (a request's `Origin` header) matches an entry of `allowed`."""
    if not origin:
        return False
    asked = parse_origin(origin)
    if asked is None:
        return False
    for entry in allowed or []:
        rule = parse_origin(entry or "", pattern=True)
        if rule is None:
            continue
        scheme, host, port = rule
        if scheme == asked[0] and host == asked[1] and port in (ANY_PORT, asked[2]):
            return True
    return False
