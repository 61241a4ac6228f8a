"""ASGI middleware behind the uvicorn-style options. Each wraps the application only
when its option is on, so a server without them runs the application as it is.

The ones that only look at the scope return the application's coroutine instead of
awaiting it, so they add a call but no coroutine frame per request.
"""

from __future__ import annotations

import logging
from typing import Callable

logger = logging.getLogger("weft")


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
