"""The options of ``weft app:app`` and ``weft.run``: uvicorn's names and meanings,
weft's own, and the check that refuses what weft cannot honour instead of ignoring it."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import ssl
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

#: uvicorn's default when ``--forwarded-allow-ips`` and ``$FORWARDED_ALLOW_IPS`` are unset.
DEFAULT_FORWARDED_ALLOW_IPS = "127.0.0.1,::1"

#: uvicorn's access line: ``127.0.0.1:52540 - "GET / HTTP/1.1" 200``, in gunicorn's atoms.
DEFAULT_ACCESS_LOG_FORMAT = '%(h)s - "%(r)s" %(s)s'

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class UnsupportedOption(ValueError):
    """An option weft understands but cannot honour (yet), or a value it refuses.
    The command line reports it and exits with status 2."""


@dataclasses.dataclass
class Config:
    """Everything ``weft.run`` accepts. The names are ``uvicorn.run``'s keywords (same
    meanings, same defaults), then weft's own options."""

    app: Union[str, Callable, None] = None
    # Binding.
    host: str = "127.0.0.1"
    port: int = 8000
    uds: Optional[str] = None
    fd: Optional[int] = None
    backlog: int = 2048
    # Implementations: weft has one of each; the names uvicorn offers are accepted
    # where they mean what weft does anyway.
    loop: str = "auto"
    http: str = "auto"
    http2: bool = False
    ws: str = "auto"
    interface: str = "auto"
    lifespan: str = "auto"
    # Development.
    reload: bool = False
    reload_dirs: Optional[Sequence[str]] = None
    reload_includes: Optional[Sequence[str]] = None
    reload_excludes: Optional[Sequence[str]] = None
    reload_delay: float = 0.25
    # Processes.
    workers: Optional[int] = None
    limit_concurrency: Optional[int] = None
    limit_max_requests: Optional[int] = None
    limit_max_requests_jitter: int = 0
    timeout_worker_healthcheck: float = 5.0
    # Timeouts.
    timeout_keep_alive: float = 5.0
    timeout_graceful_shutdown: Optional[float] = None
    # Application.
    env_file: Optional[str] = None
    app_dir: Optional[str] = ""
    factory: bool = False
    root_path: str = ""
    reset_contextvars: bool = False
    # Logging.
    log_config: Any = None
    log_level: Optional[Union[str, int]] = None
    access_log: bool = True
    use_colors: Optional[bool] = None
    # Proxies.
    proxy_headers: bool = True
    forwarded_allow_ips: Optional[Union[str, List[str]]] = None
    # Headers.
    server_header: bool = True
    date_header: bool = True
    headers: Optional[List[Tuple[str, str]]] = None
    # TLS.
    ssl_keyfile: Optional[str] = None
    ssl_certfile: Optional[str] = None
    ssl_keyfile_password: Optional[str] = None
    ssl_version: int = int(ssl.PROTOCOL_TLS_SERVER)
    ssl_cert_reqs: int = int(ssl.CERT_NONE)
    ssl_ca_certs: Optional[str] = None
    ssl_ciphers: str = "TLSv1"
    # Limits.
    h11_max_incomplete_event_size: Optional[int] = None
    # WebSocket (uvicorn's names; see ``cli.add_websocket_options``).
    ws_max_size: int = 16 * 1024 * 1024
    ws_max_queue: int = 32
    ws_ping_interval: Optional[float] = 20.0
    ws_ping_timeout: Optional[float] = 20.0
    ws_per_message_deflate: bool = True
    # weft's own.
    access_log_format: str = DEFAULT_ACCESS_LOG_FORMAT
    workers_max_rss: Optional[float] = None
    h2c: bool = True
    io_threads: int = 1
    max_body: int = 10 * 1024 * 1024
    max_connections: int = 25_000
    h3: bool = False
    h3_bind: Optional[str] = None

    @property
    def worker_count(self) -> int:
        """``--workers``, else ``$WEB_CONCURRENCY``, else 1 (uvicorn's rule)."""
        if self.workers is not None:
            return self.workers
        return int(os.environ.get("WEB_CONCURRENCY", "1"))

    @property
    def supervised(self) -> bool:
        """Whether a parent process runs the workers: for several workers, and for
        anything that replaces a worker (reload, recycling by requests or memory)."""
        return (
            self.worker_count > 1
            or self.reload
            or self.limit_max_requests is not None
            or self.workers_max_rss is not None
        )

    def trusted_proxies(self) -> "ProxyTrust":
        value = self.forwarded_allow_ips
        if value is None:
            value = os.environ.get("FORWARDED_ALLOW_IPS", DEFAULT_FORWARDED_ALLOW_IPS)
        if isinstance(value, str):
            value = value.split(",")
        return ProxyTrust(value)

    def response_headers(self) -> "list[tuple[str, str]]":
        """The fields every response carries unless the application set its own:
        ``--header`` values, and ``server: weft`` unless ``--no-server-header`` or a
        ``--header server:...`` of its own (uvicorn's rule)."""
        headers = list(self.headers or [])
        if self.server_header and not any(name.lower() == "server" for name, _ in headers):
            headers.insert(0, ("server", "weft"))
        return headers

    def check(self) -> None:
        """Raises :class:`UnsupportedOption` for what weft cannot honour."""
        app_is_object = self.app is not None and not isinstance(self.app, str)
        if self.supervised and app_is_object:
            raise UnsupportedOption(
                "workers, reload, limit_max_requests and workers_max_rss start fresh "
                "processes that import the application: pass it as an import string 'module:app'"
            )
        if self.worker_count < 1:
            raise UnsupportedOption("--workers must be at least 1")
        if self.uds is not None and self.fd is not None:
            raise UnsupportedOption("--uds and --fd each name the socket to listen on: give one")
        if self.fd is not None and (self.host != "127.0.0.1" or self.port != 8000):
            raise UnsupportedOption("--fd replaces --host/--port: give one or the other")
        if self.loop not in ("auto", "asyncio", "uvloop"):
            raise UnsupportedOption(f"--loop {self.loop}: weft runs on 'auto', 'asyncio' or 'uvloop'")
        if self.http not in ("auto", "h11", "httptools"):
            raise UnsupportedOption(
                f"--http {self.http}: weft speaks HTTP/1.1 and HTTP/2 with its own parser "
                "('auto', 'h11' and 'httptools' are accepted and mean the same)"
            )
        if self.interface not in ("auto", "asgi3"):
            raise UnsupportedOption(f"--interface {self.interface}: weft hosts ASGI 3 applications only")
        if self.lifespan not in ("auto", "on", "off"):
            raise UnsupportedOption("--lifespan must be 'auto', 'on' or 'off'")
        if self.ws not in ("auto", "none", "websockets", "wsproto"):
            raise UnsupportedOption(f"--ws {self.ws}: weft has one WebSocket implementation ('auto')")
        if self.reset_contextvars:
            raise UnsupportedOption("--reset-contextvars is not supported yet")
        if self.ssl_keyfile_password is not None:
            raise UnsupportedOption(
                "--ssl-keyfile-password: weft reads unencrypted PEM keys only; decrypt the key "
                "(openssl pkey -in key.pem -out plain.pem) and keep it readable by the server only"
            )
        if self.ssl_version not in (int(ssl.PROTOCOL_TLS_SERVER), int(ssl.PROTOCOL_TLS)):
            raise UnsupportedOption("--ssl-version: weft negotiates TLS 1.2 and 1.3 (rustls) and nothing else")
        if self.ssl_ciphers != "TLSv1":
            raise UnsupportedOption("--ssl-ciphers: weft uses rustls' safe default cipher suites only")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise UnsupportedOption("--ssl-certfile and --ssl-keyfile go together")
        if self.ssl_cert_reqs not in (0, 1, 2):
            raise UnsupportedOption("--ssl-cert-reqs must be 0 (none), 1 (optional) or 2 (required)")
        if self.ssl_cert_reqs and (self.ssl_ca_certs is None or self.ssl_certfile is None):
            raise UnsupportedOption("--ssl-cert-reqs 1 or 2 needs --ssl-ca-certs and TLS (--ssl-certfile)")
        if (self.h3 or self.h3_bind is not None) and self.ssl_certfile is None:
            raise UnsupportedOption(
                "--h3: HTTP/3 runs over QUIC, which needs TLS: give --ssl-certfile and --ssl-keyfile"
            )
        if self.h3_bind is not None:
            self.h3_address()  # a malformed address is refused now
        if self.log_level is not None and isinstance(self.log_level, str) and self.log_level.lower() not in LOG_LEVELS:
            raise UnsupportedOption(f"--log-level must be one of {', '.join(LOG_LEVELS)}")
        if self.limit_concurrency is not None and self.limit_concurrency < 1:
            raise UnsupportedOption("--limit-concurrency must be at least 1")
        if self.limit_max_requests is not None and self.limit_max_requests < 1:
            raise UnsupportedOption("--limit-max-requests must be at least 1")
        if self.h11_max_incomplete_event_size is not None and self.h11_max_incomplete_event_size < 1024:
            raise UnsupportedOption("--h11-max-incomplete-event-size must be at least 1024 bytes")
        self.trusted_proxies()  # a malformed address is refused now, not per request
        for name, value in self.headers or []:
            if not name or any(c in name + value for c in "\r\n\0"):
                raise UnsupportedOption(f"--header {name}:{value}: not a valid header field")
        try:
            from . import _access

            _access.compile_format(self.access_log_format)
        except ValueError as error:
            raise UnsupportedOption(f"--access-log-format: {error}") from None

    def h3_address(self) -> "Optional[tuple[str, int]]":
        """``--h3-bind HOST:PORT`` as ``(host, port)`` (``[::1]:443`` for IPv6)."""
        if self.h3_bind is None:
            return None
        host, sep, port = self.h3_bind.rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise UnsupportedOption(f"--h3-bind {self.h3_bind}: expected HOST:PORT")
        return host.strip("[]"), int(port)

    def server_options(self) -> dict:
        """The keyword arguments of ``weft._weft.Server`` these options give."""
        options = {
            "h2c": self.h2c,
            "io_threads": self.io_threads,
            "max_body": self.max_body,
            "max_connections": self.max_connections,
            "keep_alive_timeout": float(self.timeout_keep_alive),
            "backlog": self.backlog,
            "headers": self.response_headers(),
            "date_header": self.date_header,
            "cert_reqs": self.ssl_cert_reqs,
            "ca_certs": self.ssl_ca_certs,
            # A worker being replaced answers the requests keep-alive clients are
            # already sending instead of closing under them.
            "linger_idle_on_shutdown": True,
            # WebSocket: 'websockets' and 'wsproto' name uvicorn's implementations;
            # weft has one, so they mean what 'auto' means.
            "ws": self.ws != "none",
            "ws_max_size": self.ws_max_size,
            "ws_ping_interval": self.ws_ping_interval,
            "ws_per_message_deflate": self.ws_per_message_deflate,
        }
        # uvicorn's `--ws-ping-timeout` None waits without limit; weft keeps its default.
        if self.ws_ping_timeout is not None:
            options["ws_ping_timeout"] = float(self.ws_ping_timeout)
        # uvicorn waits without limit when no timeout is given; weft keeps its own
        # bound of 30 s for in-flight requests then.
        if self.timeout_graceful_shutdown is not None:
            options["shutdown_timeout"] = float(self.timeout_graceful_shutdown)
        if self.h3 or self.h3_bind is not None:
            options["h3"] = True
            options["h3_bind"] = self.h3_address()
        if self.h11_max_incomplete_event_size is not None:
            options["max_head"] = self.h11_max_incomplete_event_size
        return options


class ProxyTrust:
    """The peers whose proxy headers are believed: addresses, networks, or ``*``."""

    def __init__(self, entries: Sequence[str]):
        self.everyone = False
        self.hosts: "set[str]" = set()
        self.networks: list = []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            if entry == "*":
                self.everyone = True
            elif "/" in entry:
                try:
                    self.networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    raise UnsupportedOption(f"--forwarded-allow-ips: {entry!r} is not a network") from None
            else:
                # An address, or a literal such as a UNIX socket path (uvicorn's rule).
                try:
                    self.hosts.add(str(ipaddress.ip_address(entry)))
                except ValueError:
                    self.hosts.add(entry)

    def for_server(self) -> "Tuple[bool, List[str], List[str]]":
        """``(everyone, hosts, networks)`` for ``Server.set_asgi``, which applies the
        proxy headers while it builds each scope."""
        return self.everyone, sorted(self.hosts), [str(network) for network in self.networks]
