"""Hosting ASGI 3 applications: ``weft.serve("module:app")`` and
``python -m weft module:app``.

The ``http`` scope is served over HTTP/1.1 and HTTP/2 (h2c prior knowledge, or TLS
with ALPN), with streamed request and response bodies, ``http.disconnect`` once the
exchange is over or the client is gone, and the ``lifespan`` protocol (with
``state``) around the server's life. WebSocket upgrades get a ``websocket`` scope
(ASGI 2.4, with the ``websocket.http.response`` extension) over HTTP/1.1, cleartext or
TLS; ``--ws none`` serves them as plain HTTP.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Any, Callable, Optional, Union

from . import _runtime
from ._ws_cli import add_ws_arguments, ws_server_options


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


def main(argv: Optional["list[str]"] = None) -> None:
    """``python -m weft module:app [--host H] [--port P] [--workers N] ...``"""
    parser = argparse.ArgumentParser(prog="weft", description="Serve an ASGI 3 application with weft.")
    parser.add_argument("app", help="the application, as module:attribute")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes (SO_REUSEPORT)")
    parser.add_argument("--certfile", help="TLS certificate chain (PEM); enables TLS with ALPN h2/http1.1")
    parser.add_argument("--keyfile", help="TLS private key (PEM)")
    parser.add_argument("--lifespan", choices=["auto", "on", "off"], default="auto")
    parser.add_argument("--root-path", default="")
    parser.add_argument("--factory", action="store_true", help="app is a factory to call")
    parser.add_argument("--loop", choices=["auto", "uvloop", "asyncio"], default="auto")
    parser.add_argument("--log-level", default="info")
    limits = parser.add_argument_group("server limits")
    limits.add_argument("--no-h2c", action="store_true", help="refuse HTTP/2 with prior knowledge on a cleartext port")
    limits.add_argument("--io-threads", type=int, default=1, help="I/O threads per worker process (default 1)")
    limits.add_argument("--max-body", type=int, default=10 * 1024 * 1024, help="largest request body in bytes; 413 beyond (default 10 MiB)")
    limits.add_argument("--max-connections", type=int, default=25_000, help="most open connections per worker (default 25000)")
    limits.add_argument("--keep-alive-timeout", type=float, default=60.0, help="seconds an idle keep-alive connection stays open (default 60)")
    limits.add_argument("--shutdown-timeout", type=float, default=30.0, help="seconds a graceful shutdown waits for in-flight requests (default 30)")
    add_ws_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(message)s")
    serve(
        args.app,
        args.host,
        args.port,
        workers=args.workers,
        certfile=args.certfile,
        keyfile=args.keyfile,
        lifespan=args.lifespan,
        root_path=args.root_path,
        factory=args.factory,
        loop=args.loop,
        h2c=not args.no_h2c,
        io_threads=args.io_threads,
        max_body=args.max_body,
        max_connections=args.max_connections,
        keep_alive_timeout=args.keep_alive_timeout,
        shutdown_timeout=args.shutdown_timeout,
        **ws_server_options(args),
    )
