"""ASGI middleware behind the uvicorn-style options. Each wraps the application only
when its option is on, so a server without them runs the application as it is.

The ones that only look at the scope return the application's coroutine instead of
awaiting it, so they add a call but no coroutine frame per request.
"""

from __future__ import annotations

import logging
from typing import Callable, Optional, Tuple

from ._config import ProxyTrust

logger = logging.getLogger("weft")

_SCHEMES = {"http", "https", "ws", "wss"}


def _parse_node(node: str) -> Optional[Tuple[str, int]]:
    """An RFC 7239 §6 node (``192.0.2.1``, ``"[2001:db8::1]:8080"``, ``_hidden``,
    ``unknown``) as ``(host, port)``; obfuscated and unknown nodes have no address
    but still name a hop."""
    node = node.strip().strip('"')
    if node.startswith("["):
        host, _, rest = node[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif node.count(":") == 1:
        host, _, port = node.partition(":")
    else:
        host, port = node, ""
    return host, int(port) if port.isdigit() else 0


def _forwarded(value: str) -> "list[dict]":
    """The elements of a ``Forwarded`` field (RFC 7239 §4), each a dict of its
    lowercase parameters, first hop first."""
    elements = []
    for element in value.split(","):
        pairs = {}
        for pair in element.split(";"):
            name, sep, token = pair.partition("=")
            if sep:
                pairs[name.strip().lower()] = token.strip().strip('"')
        elements.append(pairs)
    return elements


class ProxyHeaders:
    """Sets ``scope["client"]`` and ``scope["scheme"]`` from ``Forwarded`` (RFC 7239)
    or, without it, ``X-Forwarded-For`` / ``X-Forwarded-Proto``, when the peer is a
    trusted proxy. The client is the nearest hop that is not itself trusted (every
    trusted proxy on the way appended the address it saw), so a client cannot pass
    itself off by sending the headers itself."""

    def __init__(self, app: Callable, trust: ProxyTrust):
        self.app = app
        self.trust = trust

    def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            if (client[0] if client else None) in self.trust:
                self._apply(scope)
        return self.app(scope, receive, send)

    def _apply(self, scope) -> None:
        forwarded = proto = forwarded_for = None
        for name, value in scope["headers"]:
            if name == b"forwarded":
                forwarded = value if forwarded is None else forwarded + b"," + value
            elif name == b"x-forwarded-proto":
                proto = value
            elif name == b"x-forwarded-for":
                forwarded_for = value if forwarded_for is None else forwarded_for + b"," + value
        hops: "list[tuple[Optional[Tuple[str, int]], Optional[str]]]" = []
        if forwarded is not None:
            for element in _forwarded(forwarded.decode("latin-1")):
                node = element.get("for")
                hops.append((_parse_node(node) if node else None, element.get("proto")))
        else:
            if forwarded_for is not None:
                hops = [((host.strip(), 0), None) for host in forwarded_for.decode("latin-1").split(",")]
            if proto is not None:
                last = proto.decode("latin-1").split(",")[-1].strip()
                if hops:
                    hops[-1] = (hops[-1][0], last)
                else:
                    hops = [(None, last)]
        if not hops:
            return
        # From the nearest hop back: the first one that is not a trusted proxy is the
        # client; if every one is trusted, the farthest is.
        chosen = 0
        for index in range(len(hops) - 1, -1, -1):
            node = hops[index][0]
            chosen = index
            if node is None or node[0] not in self.trust:
                break
        node, scheme = hops[chosen]
        if scheme is None:
            scheme = next((s for _, s in reversed(hops) if s), None)
        if node is not None and node[0]:
            scope["client"] = node
        if scheme is not None:
            scheme = scheme.lower()
            if scheme in _SCHEMES:
                if scope["type"] == "websocket":
                    scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
                scope["scheme"] = scheme


class LimitConcurrency:
    """Answers 503 to requests beyond ``limit`` in progress at once (uvicorn's
    ``--limit-concurrency``), so that an overloaded worker sheds load quickly
    instead of queueing without bound."""

    def __init__(self, app: Callable, limit: int):
        self.app = app
        self.limit = limit
        self.active = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        if self.active >= self.limit:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})
                return
            body = b"Service Unavailable"
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


class MaxRequests:
    """Calls ``on_limit`` once, when the ``limit``-th request starts (uvicorn's
    ``--limit-max-requests``); the worker is then replaced."""

    def __init__(self, app: Callable, limit: int, on_limit: Callable[[], None]):
        self.app = app
        self.remaining = limit
        self.on_limit = on_limit

    def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            self.remaining -= 1
            if self.remaining == 0:
                logger.info("weft: maximum number of requests reached; recycling this worker")
                self.on_limit()
        return self.app(scope, receive, send)
