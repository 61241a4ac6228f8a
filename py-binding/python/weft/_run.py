"""``weft.run(app, **options)``: uvicorn.run's options (see ``_config.Config``), one
process or a supervisor with workers (``_supervisor``)."""

from __future__ import annotations

import json
import logging
import logging.config
import os
import signal
import sys
from typing import Any, Callable, Optional

from . import _runtime
from ._config import Config, UnsupportedOption

logger = logging.getLogger("weft")

#: uvicorn's ``trace`` level sits below DEBUG.
TRACE = 5


def configure_logging(config: Config) -> None:
    """``--log-config`` (a dictConfig as a dict, a ``.json`` or ``.yaml`` file, or a
    ``fileConfig`` ``.ini``), then ``--log-level`` on weft's loggers and
    ``--no-access-log``."""
    logging.addLevelName(TRACE, "TRACE")
    source = config.log_config
    if isinstance(source, dict):
        logging.config.dictConfig(source)
    elif isinstance(source, str):
        if source.endswith(".json"):
            with open(source) as f:
                logging.config.dictConfig(json.load(f))
        elif source.endswith((".yaml", ".yml")):
            try:
                import yaml
            except ImportError:
                raise UnsupportedOption("--log-config: a YAML file needs PyYAML (pip install pyyaml)") from None
            with open(source) as f:
                logging.config.dictConfig(yaml.safe_load(f))
        else:
            logging.config.fileConfig(source, disable_existing_loggers=False)
    else:
        weft = logging.getLogger("weft")
        if not weft.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
            weft.addHandler(handler)
            weft.propagate = False
    if config.log_level is not None:
        level = config.log_level
        if isinstance(level, str):
            level = TRACE if level.lower() == "trace" else level.upper()
        logging.getLogger("weft").setLevel(level)
        logging.getLogger("weft.access").setLevel(level)
    elif source is None:
        logging.getLogger("weft").setLevel(logging.INFO)
    if not config.access_log:
        access = logging.getLogger("weft.access")
        access.handlers = []
        access.propagate = False


def prepare(config: Config) -> None:
    """What a process does before it imports the application: ``--env-file``,
    ``--app-dir``, logging."""
    if config.env_file is not None:
        try:
            from dotenv import load_dotenv
        except ImportError:
            raise UnsupportedOption("--env-file needs python-dotenv (pip install python-dotenv)") from None
        if not os.path.isfile(config.env_file):
            raise UnsupportedOption(f"--env-file {config.env_file}: no such file")
        load_dotenv(dotenv_path=config.env_file)
    app_dir = config.app_dir if config.app_dir is not None else ""
    sys.path.insert(0, os.path.abspath(app_dir) if app_dir else os.getcwd())
    configure_logging(config)


def wrap(app: Callable, config: Config, on_recycle: Callable[[], None], extra_requests: int = 0) -> Callable:
    """The application inside the middleware its options turn on (none when off)."""
    from . import _middleware
    from ._access import AccessLog

    # An access log whose logger drops INFO (``--log-level warning``, or a logging
    # configuration that says so) would only cost time: it is left out, as uvicorn's
    # level filter makes its own a no-op.
    if config.access_log and logging.getLogger("weft.access").isEnabledFor(logging.INFO):
        app = AccessLog(app, config.access_log_format)
    if config.limit_concurrency is not None:
        app = _middleware.LimitConcurrency(app, config.limit_concurrency)
    if config.limit_max_requests is not None:
        app = _middleware.MaxRequests(app, config.limit_max_requests + extra_requests, on_recycle)
    return app


def run_worker(
    config: Config,
    *,
    on_ready: Optional[Callable[[], None]] = None,
    on_recycle: Optional[Callable[[], None]] = None,
    extra_requests: int = 0,
    on_bound: Optional[Callable[[str, int], None]] = None,
) -> None:
    """Serves in this process until SIGINT / SIGTERM."""
    from .asgi import load_app

    application = load_app(config.app, config.factory) if isinstance(config.app, str) else config.app

    def stop_self() -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    application = wrap(application, config, on_recycle or stop_self, extra_requests)
    state: dict = {}
    life = _runtime.Lifespan(application, config.lifespan, state)

    def configure(server) -> None:
        # The proxy headers are read while the scope is built, in Rust: no middleware.
        proxy = config.trusted_proxies().for_server() if config.proxy_headers else None
        server.set_asgi(config.root_path, state if life.supported else None, proxy)

    def ready(host: str, port: int) -> None:
        if on_bound is not None:
            on_bound(host, port)
        if on_ready is not None:
            on_ready()

    options = config.server_options()
    unix = None
    if config.uds is not None:
        from . import _uds

        unix = _uds.bind(config.uds, config.backlog)
        options["fd"] = unix.fileno()
    elif config.fd is not None:
        options["fd"] = config.fd
    try:
        _runtime.run_server(
            configure,
            host=config.host,
            port=config.port,
            certfile=config.ssl_certfile,
            keyfile=config.ssl_keyfile,
            asgi_app=application,
            lifespan=life,
            on_ready=ready,
            server_options=options,
            loop_kind=config.loop,
        )
    finally:
        if unix is not None:
            unix.close()


def run(app: Any, **options: Any) -> None:
    """Serves ``app`` (an ASGI 3 application, or ``"module:app"``) like
    ``uvicorn.run(app, **options)``, with the same keyword names and meanings, until
    SIGINT / SIGTERM. Raises ``UnsupportedOption`` for what weft cannot honour.
    ``on_ready(host, port)`` is called once a single-process server accepts."""
    on_bound = options.pop("on_ready", None)
    config = Config(app=app, **options)
    config.check()
    run_config(config, on_bound=on_bound)


def run_config(config: Config, on_bound: Optional[Callable[[str, int], None]] = None) -> None:
    """Runs a checked ``Config``: a supervisor with workers, or this process."""
    if config.supervised:
        configure_logging(config)
        from ._supervisor import Supervisor

        Supervisor(config).run()
    else:
        prepare(config)
        run_worker(config, on_bound=on_bound)
