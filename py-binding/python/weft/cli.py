"""``weft app:app``: uvicorn's command line (same flag names, meanings and defaults),
plus weft's own flags. Replacing the word ``uvicorn`` with ``weft`` in a command
line works; a flag weft cannot honour stops it with status 2 and the reason."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from ._config import DEFAULT_ACCESS_LOG_FORMAT, LOG_LEVELS, Config, UnsupportedOption
from ._ws_cli import add_ws_arguments


def _header(value: str) -> "tuple[str, str]":
    name, sep, field = value.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME:VALUE, got {value!r}")
    return name.strip(), field.strip()


def _switch(group, name: str, default: bool, help: str) -> None:
    """``--name`` / ``--no-name``, as uvicorn spells its switches."""
    dest = name.replace("-", "_")
    group.add_argument(f"--{name}", dest=dest, action="store_true", default=default, help=help)
    group.add_argument(f"--no-{name}", dest=dest, action="store_false", help=argparse.SUPPRESS)


def add_binding_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("binding")
    group.add_argument("--host", default="127.0.0.1", help="bind socket to this host (default 127.0.0.1)")
    group.add_argument("--port", type=int, default=8000, help="bind socket to this port; 0 picks a free one (default 8000)")
    group.add_argument("--uds", help="bind to a UNIX domain socket (cleartext HTTP/1.1 and h2c)")
    group.add_argument("--fd", type=int, help="accept on this already-listening socket's file descriptor")
    group.add_argument("--backlog", type=int, default=2048, help="listen(2) queue length (default 2048)")


def add_development_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("development")
    group.add_argument("--reload", action="store_true", help="replace the workers when files change (watchfiles)")
    group.add_argument("--reload-dir", dest="reload_dirs", action="append", help="directory to watch (repeatable; default: the current one)")
    group.add_argument("--reload-include", dest="reload_includes", action="append", help="glob of files to watch (repeatable; default *.py)")
    group.add_argument("--reload-exclude", dest="reload_excludes", action="append", help="glob of files to ignore (repeatable; default .*, .py[cod], .sw.*, ~*)")
    group.add_argument("--reload-delay", type=float, default=0.25, help="seconds between checks (default 0.25)")


def add_process_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("processes")
    group.add_argument("--workers", type=int, help="worker processes (default $WEB_CONCURRENCY or 1)")
    group.add_argument("--limit-concurrency", type=int, help="requests in progress per worker before answering 503")
    group.add_argument("--limit-max-requests", type=int, help="replace a worker after this many requests")
    group.add_argument("--limit-max-requests-jitter", type=int, default=0, help="up to this many more requests, at random per worker")
    group.add_argument("--workers-max-rss", type=float, metavar="MIB", help="replace a worker whose resident memory passes this many MiB")
    group.add_argument("--timeout-worker-healthcheck", type=float, default=5.0, help=argparse.SUPPRESS)


def add_timeout_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("timeouts")
    group.add_argument("--timeout-keep-alive", "--keep-alive-timeout", dest="timeout_keep_alive", type=float, default=5.0, help="seconds an idle keep-alive connection stays open (default 5)")
    group.add_argument("--timeout-graceful-shutdown", "--shutdown-timeout", dest="timeout_graceful_shutdown", type=float, help="seconds a shutdown waits for in-flight requests (default 30)")


def add_application_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("application")
    group.add_argument("--env-file", help="environment variables to load first (python-dotenv)")
    group.add_argument("--app-dir", default="", help="directory to import the application from (default: the current one)")
    group.add_argument("--factory", action="store_true", help="APP is a factory: call it for the application")
    group.add_argument("--root-path", default="", help="the ASGI root_path, for an application mounted below a URL path")
    group.add_argument("--lifespan", choices=["auto", "on", "off"], default="auto", help="ASGI lifespan (default auto)")
    group.add_argument("--interface", default="auto", help="auto or asgi3 (weft hosts ASGI 3)")
    group.add_argument("--loop", default="auto", help="auto, asyncio or uvloop (default auto: uvloop when installed)")
    group.add_argument("--http", default="auto", help="accepted: auto, h11, httptools (weft serves HTTP/1.1 and HTTP/2 itself)")
    group.add_argument("--http2", action="store_true", help="accepted: HTTP/2 is always on (h2c prior knowledge, ALPN over TLS)")
    group.add_argument("--reset-contextvars", action="store_true", help="not supported: exits with the reason")


def add_logging_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("logging")
    group.add_argument("--log-config", help="logging configuration: .json or .yaml (dictConfig) or .ini (fileConfig)")
    group.add_argument("--log-level", choices=LOG_LEVELS, help="level of weft's loggers (default info)")
    _switch(group, "access-log", True, "log each request on 'weft.access' (--no-access-log: off)")
    group.add_argument("--access-log-format", default=DEFAULT_ACCESS_LOG_FORMAT, help=f"gunicorn-style atoms, e.g. '%%(h)s %%(r)s %%(s)s %%(M)sms' (default {DEFAULT_ACCESS_LOG_FORMAT!r})".replace("%(", "%%("))
    _switch(group, "use-colors", False, "accepted: weft's log lines carry no colours")


def add_proxy_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("proxies")
    _switch(group, "proxy-headers", True, "client and scheme from Forwarded / X-Forwarded-For / X-Forwarded-Proto of trusted peers (on; --no-proxy-headers: off)")
    group.add_argument("--forwarded-allow-ips", help="trusted proxies: addresses, networks or '*' (default $FORWARDED_ALLOW_IPS or 127.0.0.1,::1)")


def add_header_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("response headers")
    _switch(group, "server-header", True, "send 'server: weft' (--no-server-header: off)")
    _switch(group, "date-header", True, "send 'date' (--no-date-header: off)")
    group.add_argument("--header", dest="headers", action="append", type=_header, metavar="NAME:VALUE", help="a header every response carries (repeatable)")


def add_tls_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("TLS")
    group.add_argument("--ssl-certfile", "--certfile", dest="ssl_certfile", help="certificate chain (PEM); serves TLS with ALPN h2 and http/1.1")
    group.add_argument("--ssl-keyfile", "--keyfile", dest="ssl_keyfile", help="private key (PEM)")
    group.add_argument("--ssl-keyfile-password", help="not supported (unencrypted keys only): exits with the reason")
    group.add_argument("--ssl-version", type=int, default=17, help="only the default (17, TLS 1.2 and 1.3) is supported")
    group.add_argument("--ssl-cert-reqs", type=int, default=0, help="client certificates: 0 none, 1 optional, 2 required")
    group.add_argument("--ssl-ca-certs", help="authorities client certificates must chain to (PEM)")
    group.add_argument("--ssl-ciphers", default="TLSv1", help="only the default is supported (rustls' safe suites)")
    group.add_argument("--h3", action="store_true", help="serve HTTP/3 over QUIC too, on UDP at the TLS port, advertised by Alt-Svc (needs --ssl-certfile)")
    group.add_argument("--h3-bind", metavar="HOST:PORT", help="UDP address for HTTP/3 instead of the TLS port (implies --h3)")


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("limits")
    group.add_argument("--h11-max-incomplete-event-size", type=int, help="largest HTTP/1.1 request head in bytes; 431 beyond (default 16384)")
    group.add_argument("--no-h2c", dest="h2c", action="store_false", help="refuse HTTP/2 with prior knowledge on a cleartext port")
    group.add_argument("--io-threads", type=int, default=1, help="I/O threads per worker process (default 1)")
    group.add_argument("--max-body", type=int, default=10 * 1024 * 1024, help="largest request body in bytes; 413 beyond (default 10 MiB)")
    group.add_argument("--max-connections", type=int, default=25_000, help="most open connections per worker (default 25000)")


def add_websocket_options(parser: argparse.ArgumentParser) -> None:
    """uvicorn's WebSocket flags; the values reach ``Config`` (``ws_*``)."""
    add_ws_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="weft",
        description="Serve an ASGI 3 application with weft. Takes uvicorn's flags: `uvicorn app:app ...` becomes `weft app:app ...`.",
    )
    parser.add_argument("app", nargs="?", help="the application, as module:attribute")
    parser.add_argument("--version", action="store_true", help="print weft's version and exit")
    for add in (
        add_binding_options,
        add_development_options,
        add_process_options,
        add_timeout_options,
        add_application_options,
        add_logging_options,
        add_proxy_options,
        add_header_options,
        add_tls_options,
        add_limit_options,
        add_websocket_options,
    ):
        add(parser)
    return parser


def config_from_args(args: argparse.Namespace) -> Config:
    options = vars(args).copy()
    options.pop("version")
    return Config(**options)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """The ``weft`` command and ``python -m weft``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import PackageNotFoundError, version

        try:
            number = version("weft")
        except PackageNotFoundError:
            number = "unknown"
        print(f"weft {number} with CPython {sys.version.split()[0]} on {sys.platform}")  # noqa: T201
        return
    if not args.app:
        parser.error("the APP argument (module:attribute) is required")
    config = config_from_args(args)
    try:
        config.check()
    except UnsupportedOption as error:
        parser.error(str(error))
    from ._run import run_config

    try:
        run_config(config)
    except UnsupportedOption as error:
        parser.error(str(error))
    except KeyboardInterrupt:
        pass
