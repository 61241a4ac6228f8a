"""weft: sans-IO HTTP/1.1, HTTP/2 and HPACK in Rust, a router, and an application server.

- ``weft.hpack``: ``Encoder`` / ``Decoder`` (names of the ``hpack`` package).
- ``weft.http1``: ``Connection`` and events (names of ``h11``).
- ``weft.http2``: ``Connection`` and events (names of ``h2``).
- ``weft.Router``: a path router.
- ``weft.ws``: ``WSConnection`` and events (names of ``wsproto``).
- ``weft.App``: a decorator API served by the Rust server (``@app.websocket`` routes get a
  ``weft.WebSocket``); ``weft.serve`` hosts ASGI 3 apps.
- ``weft.run(app, **options)``: ``uvicorn.run``'s options; ``weft app:app`` is uvicorn's CLI.
"""

from ._weft import (
    CLIENT,
    SERVER,
    ClientDisconnected,
    InsertError,
    Match,
    MatchError,
    Request,
    Router,
    Sentinel,
    WeftError,
)
from .app import App, BadRequestBody, HTTPException, Response
from ._config import UnsupportedOption
from ._run import run
from .asgi import serve
from .websocket import WebSocket, WebSocketDisconnect

__all__ = [
    "App",
    "ClientDisconnected",
    "BadRequestBody",
    "HTTPException",
    "Request",
    "Response",
    "serve",
    "run",
    "UnsupportedOption",
    "WebSocket",
    "WebSocketDisconnect",
    "CLIENT",
    "SERVER",
    "InsertError",
    "Match",
    "MatchError",
    "Router",
    "Sentinel",
    "WeftError",
]
