"""Type stubs for the native module ``weft._weft`` (built from py-binding/src)."""

from typing import Any, Awaitable, Callable, Iterable, Optional, Sequence, Tuple, Union

from . import hpack as hpack, http1 as http1, http2 as http2

_Bytes = Union[bytes, bytearray, memoryview, str]

class Sentinel:
    """A named singleton (h11 style), compared with ``is``."""
    @property
    def name(self) -> str: ...

CLIENT: Sentinel
SERVER: Sentinel
NEED_DATA: Sentinel
PAUSED: Sentinel
IDLE: Sentinel
SEND_RESPONSE: Sentinel
SEND_BODY: Sentinel
DONE: Sentinel
MUST_CLOSE: Sentinel
CLOSED: Sentinel
ERROR: Sentinel
MIGHT_SWITCH_PROTOCOL: Sentinel
SWITCHED_PROTOCOL: Sentinel

class WeftError(Exception):
    """Base class of every exception weft raises."""

class InsertError(WeftError):
    """A route conflicts with an existing one or is malformed."""

class MatchError(WeftError):
    """No route matches the path."""

class ClientDisconnected(OSError):
    """The client went away while the response was being sent."""

class Match:
    """The result of ``Router.at``."""
    @property
    def value(self) -> Any: ...
    @property
    def params(self) -> dict[str, str]: ...

class Router:
    """A path router: ``{name}`` parameters, ``{*rest}`` catch-alls."""
    def __init__(self) -> None: ...
    def insert(self, route: str, value: Any) -> None:
        """Raises ``InsertError`` on a conflict or a malformed route."""
    def at(self, path: str) -> Match:
        """Raises ``MatchError`` when no route matches."""
    def remove(self, route: str) -> Optional[Any]: ...

class Request:
    """A request to a decorator-API handler; the body is already read."""
    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def query(self) -> str: ...
    @property
    def path_params(self) -> dict[str, str]: ...
    @property
    def headers(self) -> list[Tuple[str, str]]: ...
    def header(self, name: str, default: Optional[str] = None) -> Optional[str]: ...
    @property
    def http_version(self) -> str: ...
    @property
    def client(self) -> Optional[Tuple[str, int]]: ...
    def body(self) -> bytes: ...
    def text(self) -> str: ...
    def json(self) -> Any: ...

class BodyWriter:
    """Writes a streamed response body."""
    def write(self, chunk: _Bytes) -> None: ...
    def write_async(self, chunk: _Bytes) -> Awaitable[None]: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...

class Reply:
    """Where a handler's answer goes."""
    def send(self, status: int, headers: Iterable[Tuple[_Bytes, _Bytes]], body: _Bytes) -> None: ...
    def send_result(self, result: Any) -> bool:
        """Answers a ``str``, ``bytes``, ``dict`` / ``list`` (JSON) or ``None`` result;
        False (unanswered) for anything else."""
    def start(self, status: int, headers: Iterable[Tuple[_Bytes, _Bytes]]) -> BodyWriter: ...
    @property
    def answered(self) -> bool: ...

class FlushReplies:
    """Sends the deferred wake-ups of answers given on the event loop (scheduled
    with ``call_soon`` once per loop turn)."""
    def __call__(self) -> None: ...

class Ready:
    """An awaitable that is already complete."""
    def __await__(self) -> Any: ...

class Done:
    """An awaitable already complete with ``None`` (one shared instance)."""
    def __await__(self) -> Any: ...

class Receive:
    """ASGI ``receive``."""
    def __call__(self) -> Awaitable[dict[str, Any]]: ...

class Send:
    """ASGI ``send``."""
    def __call__(self, message: dict[str, Any]) -> Awaitable[None]: ...
    def finish(self, failed: bool) -> None: ...
    @property
    def started(self) -> bool: ...

class Server:
    """A server-smol server driven from Python (used by ``App.run`` and ``serve``)."""
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        certfile: Optional[str] = None,
        keyfile: Optional[str] = None,
        h2c: bool = True,
        io_threads: int = 1,
        reuse_port: bool = False,
        max_body: int = ...,
        max_connections: int = 25000,
        keep_alive_timeout: float = 60.0,
        shutdown_timeout: float = 30.0,
    ) -> None: ...
    def add_route(
        self,
        method: str,
        path: str,
        index: int,
        on_loop: bool,
        endpoint: Optional[Callable[..., Any]] = None,
        pass_request: bool = False,
    ) -> None: ...
    def set_direct(
        self,
        finish_sync: Callable[[int, Request, Reply, Any, Optional[BaseException]], None],
        finish_async: Callable[[Any, int, Request, Reply], Any],
        json: Callable[[Any], bytes],
    ) -> None: ...
    def set_asgi(self, root_path: str = "", state: Optional[dict] = None) -> None: ...
    def start(self, event_loop: Any) -> Tuple[str, int]: ...
    @property
    def wake_fd(self) -> int: ...
    def drain(
        self,
        dispatch_async: Callable[..., Any],
        asgi_app: Callable[..., Any],
    ) -> None: ...
    def serve_threads(self, dispatch_sync: Callable[[int, Request, Reply], None]) -> None: ...
    def stop_threads(self) -> None: ...
    def shutdown(self) -> None: ...
    def join(self) -> None: ...
