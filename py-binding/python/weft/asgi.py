"""Hosting ASGI 3 applications: ``weft.serve("module:app")`` (the command line,
``weft module:app``, is ``weft.cli``).

The ``http`` scope is served over HTTP/1.1 and HTTP/2 (h2c prior knowledge, or TLS
with ALPN), with streamed request and response bodies, ``http.disconnect`` once the
exchange is over or the client is gone, and the ``lifespan`` protocol (with
``state``) around the server's life. WebSocket upgrades get a ``websocket`` scope
(ASGI 2.4, with the ``websocket.http.response`` extension) over HTTP/1.1, cleartext or
TLS; ``--ws none`` serves them as plain HTTP.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Callable, Optional, Union

from . import _runtime


def load_app(target: str, factory: bool = False) -> Any:
    """Imports ``"module:attribute"`` (attribute may be dotted)."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"expected 'module:app', got {target!r}")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    obj: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj() if factory else obj


def serve(
    app: Union[str, Callable],
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    workers: int = 1,
    certfile: Optional[str] = None,
    keyfile: Optional[str] = None,
    lifespan: str = "auto",
    root_path: str = "",
    factory: bool = False,
    on_ready: Optional[Callable[[str, int], None]] = None,
    loop: str = "auto",
    **server_options: Any,
) -> None:
    """Serves the ASGI 3 application ``app`` (an object or ``"module:app"``) until
    SIGINT / SIGTERM. ``workers`` processes share the port with SO_REUSEPORT."""

    def run_one(reuse_port: bool = False) -> None:
        application = load_app(app, factory) if isinstance(app, str) else app
        state: dict = {}
        life = _runtime.Lifespan(application, lifespan, state)

        def configure(server) -> None:
            server.set_asgi(root_path, state if life.supported else None)

        _runtime.run_server(
            configure,
            host=host,
            port=port,
            certfile=certfile,
            keyfile=keyfile,
            reuse_port=reuse_port,
            asgi_app=application,
            lifespan=life,
            on_ready=on_ready,
            server_options=server_options,
            loop_kind=loop,
        )

    if workers > 1:
        _runtime.supervise(workers, lambda: run_one(reuse_port=True))
    else:
        run_one()
