"""The decorator API: ``weft.App``, ``weft.Response``, ``weft.HTTPException``.

```python
import weft

app = weft.App()

@app.get("/users/{id}")
def user(id: int, request: weft.Request):
    return {"id": id, "agent": request.header("user-agent")}

@app.post("/echo")
async def echo(request: weft.Request):
    return weft.Response(request.body(), media_type="application/octet-stream")

app.run("127.0.0.1", 8000, workers=2)
```

Handlers are plain functions or coroutines. Parameters are filled by name: a path
parameter (converted by its annotation: ``int``, ``float``, ``str``, ``bool``), a
parameter annotated ``weft.Request`` (or named ``request``), or else a query-string
parameter (converted likewise, optional when it has a default). Return a ``str``
(text/plain), ``bytes``, a ``dict`` / ``list`` (JSON), ``None`` (204), a
``Response`` (status, headers, body; the body may be an iterator or async iterator
of chunks, which is streamed), or a ``(body, status)`` / ``(body, status, headers)``
tuple.

``def`` handlers run on a pool of handler threads and ``async def`` handlers on the
server's asyncio loop; the sockets are served by Rust threads that never wait for
Python, so a slow handler never blocks the I/O of other connections.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import traceback
from typing import Any, Callable, Coroutine, Iterable, Optional
from urllib.parse import parse_qs

from . import _runtime, _weft
from ._weft import ClientDisconnected, Request
from .websocket import WebSocket, WebSocketDisconnect

logger = logging.getLogger("weft")

_PARAM = re.compile(r"\{\*?([A-Za-z_][A-Za-z0-9_]*)\}")
_REQUIRED = object()


class HTTPException(Exception):
    """Raise from a handler to answer with ``status`` and a JSON ``{"detail": ...}``."""

    def __init__(self, status: int, detail: Any = None, headers: Optional[Iterable] = None):
        super().__init__(status, detail)
        self.status = status
        self.detail = detail
        self.headers = list(headers or [])


class BadRequestBody(HTTPException, ValueError):
    """The request body is not what the handler read it as: ``Request.json()`` on a body
    that is not JSON, ``Request.text()`` on one that is not UTF-8. The client's mistake,
    so it is answered 400 unless the handler catches it; also a ``ValueError``, as
    ``json.loads`` and ``bytes.decode`` raise, so existing ``except ValueError`` code
    keeps working."""

    def __init__(self, detail: str):
        super().__init__(400, detail)


class Response:
    """A response with a status, headers and a body.

    ``body`` is ``bytes`` / ``str`` (sent whole), or an iterator / async iterator of
    ``bytes`` / ``str`` chunks (streamed). ``media_type`` sets ``content-type``.
    """

    __slots__ = ("body", "status", "headers")

    def __init__(
        self,
        body: Any = b"",
        status: int = 200,
        headers: Optional[Iterable] = None,
        media_type: Optional[str] = None,
    ):
        self.status = status
        self.headers = [(str(k), str(v)) for k, v in (headers.items() if isinstance(headers, dict) else headers or [])]
        if media_type is not None and not any(k.lower() == "content-type" for k, _ in self.headers):
            self.headers.append(("content-type", media_type))
        self.body = body

    def __repr__(self) -> str:
        return f"<weft.Response {self.status}>"


_TEXT = [("content-type", "text/plain; charset=utf-8")]
_BYTES = [("content-type", "application/octet-stream")]
_JSON = [("content-type", "application/json")]


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def _plain(result: Any):
    """``(status, headers, body)`` for a result with a body known in full, or
    ``None`` when the result needs streaming or is a ``Response``."""
    kind = type(result)
    if kind is str:
        return 200, _TEXT, result.encode()
    if kind is dict or kind is list:
        return 200, _JSON, _json(result)
    if kind is bytes:
        return 200, _BYTES, result
    if result is None:
        return 204, [], b""
    return None


def _normalise(result: Any):
    """``(status, headers, body)``; ``body`` is bytes or an (async) iterator."""
    plain = _plain(result)
    if plain is not None:
        return plain
    if isinstance(result, Response):
        body = result.body
        if isinstance(body, str):
            body = body.encode()
        elif isinstance(body, (bytearray, memoryview)):
            body = bytes(body)
        return result.status, result.headers, body
    if isinstance(result, tuple) and 2 <= len(result) <= 3:
        status, headers, body = _normalise(result[0])
        status = result[1]
        if len(result) == 3:
            extra = result[2]
            headers = list(headers) + [(str(k), str(v)) for k, v in (extra.items() if isinstance(extra, dict) else extra)]
        return status, headers, body
    if isinstance(result, (bytearray, memoryview)):
        return 200, _BYTES, bytes(result)
    if isinstance(result, (int, float, bool)):
        return 200, _JSON, _json(result)
    raise TypeError(f"cannot make a response from {type(result).__name__}")


def _error_response(exc: BaseException):
    if isinstance(exc, HTTPException):
        return exc.status, _JSON + exc.headers, _json({"detail": exc.detail})
    return 500, _TEXT, b"Internal Server Error"


class _ParamError(Exception):
    def __init__(self, name: str, where: str, message: str):
        super().__init__(f"{where} parameter {name!r}: {message}")
        self.detail = {"loc": [where, name], "msg": message}


def _converter(annotation: Any) -> Callable[[str], Any]:
    if annotation is int:
        return int
    if annotation is float:
        return float
    if annotation is bool:
        return lambda v: v.lower() in ("1", "true", "yes", "on")
    return str


class _Route:
    """A handler and the plan for calling it."""

    __slots__ = ("method", "path", "endpoint", "is_async", "plan", "simple", "direct")

    # The parameter that receives the request: by annotation, or else by name.
    _receiver_type: Any = Request
    _receiver_names: "tuple[str, ...]" = ("request",)

    def __init__(self, method: str, path: str, endpoint: Callable):
        self.method = method
        self.path = path
        self.endpoint = endpoint
        self.is_async = inspect.iscoroutinefunction(endpoint)
        path_names = set(_PARAM.findall(path))
        self.plan = []
        try:
            hints = inspect.get_annotations(endpoint, eval_str=True)  # type: ignore[attr-defined]
        except Exception:
            hints = getattr(endpoint, "__annotations__", {})
        for name, param in inspect.signature(endpoint).parameters.items():
            annotation = hints.get(name, param.annotation)
            if annotation is self._receiver_type or (
                name in self._receiver_names and annotation is inspect.Parameter.empty
            ):
                self.plan.append(("request", name, None, None))
            elif name in path_names:
                self.plan.append(("path", name, _converter(annotation), None))
            else:
                default = _REQUIRED if param.default is inspect.Parameter.empty else param.default
                self.plan.append(("query", name, _converter(annotation), default))
        # The common handlers take nothing or only the request.
        self.simple = all(kind == "request" for kind, *_ in self.plan)
        # How the server may call the handler itself (decided once, here):
        # ``(pass_request,)`` for ``f()`` or ``f(request)``, else None.
        self.direct = None
        if not self.plan:
            self.direct = (False,)
        elif len(self.plan) == 1 and self.plan[0][0] == "request":
            param = next(iter(inspect.signature(endpoint).parameters.values()))
            if param.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
                self.direct = (True,)

    def arguments(self, request: Request) -> dict:
        if self.simple:
            return {name: request for _, name, _, _ in self.plan}
        kwargs = {}
        path_params = None
        query = None
        for kind, name, convert, default in self.plan:
            if kind == "request":
                kwargs[name] = request
            elif kind == "path":
                if path_params is None:
                    path_params = request.path_params
                try:
                    kwargs[name] = convert(path_params[name])
                except (ValueError, KeyError) as exc:
                    raise _ParamError(name, "path", str(exc)) from None
            else:
                if query is None:
                    query = parse_qs(request.query, keep_blank_values=True)
                values = query.get(name)
                if not values:
                    if default is _REQUIRED:
                        raise _ParamError(name, "query", "field required")
                    kwargs[name] = default
                    continue
                try:
                    kwargs[name] = convert(values[-1])
                except ValueError as exc:
                    raise _ParamError(name, "query", str(exc)) from None
        return kwargs


class _WsRoute(_Route):
    """A WebSocket handler: the socket goes to the parameter annotated
    ``weft.WebSocket`` (or named ``ws`` / ``websocket``), path and query parameters as
    for HTTP routes."""

    __slots__ = ("subprotocols",)
    _receiver_type = WebSocket
    _receiver_names = ("ws", "websocket")

    def __init__(self, path: str, endpoint: Callable, subprotocols: Iterable[str] = ()):
        if not inspect.iscoroutinefunction(endpoint):
            raise TypeError("a WebSocket handler must be declared async def")
        super().__init__("GET", path, endpoint)
        self.subprotocols = list(subprotocols)


class App:
    """Routes and handlers, served by ``run()`` on weft's Rust server."""

    def __init__(self) -> None:
        self._routes: "list[_Route]" = []
        self._ws_routes: "list[_WsRoute]" = []

    def route(self, path: str, methods: Iterable[str] = ("GET",)) -> Callable:
        """Registers the decorated function for ``methods`` on ``path``
        (``/users/{id}``, ``/files/{*rest}``)."""

        def decorate(endpoint: Callable) -> Callable:
            for method in methods:
                self._routes.append(_Route(method.upper(), path, endpoint))
            return endpoint

        return decorate

    def websocket(self, path: str, subprotocols: Iterable[str] = ()) -> Callable:
        """``@app.websocket(path)``: WebSocket upgrades on ``path`` (RFC 6455), handled
        by an ``async def`` that takes a ``weft.WebSocket`` (see ``weft.websocket``).
        ``subprotocols``, most preferred first: the first the client offers is agreed."""

        def decorate(endpoint: Callable) -> Callable:
            self._ws_routes.append(_WsRoute(path, endpoint, subprotocols))
            return endpoint

        return decorate

    def get(self, path: str) -> Callable:
        """``@app.get(path)``: GET (and HEAD) requests."""
        return self.route(path, ("GET",))

    def post(self, path: str) -> Callable:
        """``@app.post(path)``."""
        return self.route(path, ("POST",))

    def put(self, path: str) -> Callable:
        """``@app.put(path)``."""
        return self.route(path, ("PUT",))

    def patch(self, path: str) -> Callable:
        """``@app.patch(path)``."""
        return self.route(path, ("PATCH",))

    def delete(self, path: str) -> Callable:
        """``@app.delete(path)``."""
        return self.route(path, ("DELETE",))

    def head(self, path: str) -> Callable:
        """``@app.head(path)``."""
        return self.route(path, ("HEAD",))

    def options(self, path: str) -> Callable:
        """``@app.options(path)``."""
        return self.route(path, ("OPTIONS",))

    # -- dispatch (called by the server) ------------------------------------------

    def _dispatch_sync(self, index: int, request: Request, reply) -> None:
        route = self._routes[index]
        try:
            result = route.endpoint(**route.arguments(request))
            if reply.send_result(result):
                return
            self._respond_sync(route, result, reply)
        except Exception as exc:
            self._fail(route, exc, reply)

    def _finish_sync(self, index: int, request: Request, reply, result: Any, error: Optional[BaseException]) -> None:
        """The server called the handler itself (``Server.set_direct``) and got a
        result it cannot answer alone, or an error (the handler's, or the conversion's)."""
        route = self._routes[index]
        try:
            if error is not None:
                raise error
            self._respond_sync(route, result, reply)
        except Exception as exc:
            self._fail(route, exc, reply)

    def _respond_sync(self, route: _Route, result: Any, reply) -> None:
        if inspect.isawaitable(result):
            raise TypeError("a def handler returned an awaitable; declare it async def")
        status, headers, body = _normalise(result)
        if type(body) is bytes:
            reply.send(status, headers, body)
            return
        if hasattr(body, "__aiter__"):
            raise TypeError("a def handler cannot stream an async iterator; use async def")
        writer = reply.start(status, headers)
        try:
            for chunk in body:
                writer.write(chunk.encode() if isinstance(chunk, str) else chunk)
        except ClientDisconnected:
            return
        except BaseException:
            writer.abort()
            raise
        writer.close()

    def _fail(self, route: _Route, exc: Exception, reply) -> None:
        if isinstance(exc, _ParamError):
            reply.send(422, _JSON, _json({"detail": [exc.detail]}))
        elif isinstance(exc, HTTPException):
            reply.send(*_error_response(exc))
        else:
            logger.error(
                "handler %s %s failed:\n%s",
                route.method,
                route.path,
                "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
            )
            if not reply.answered:
                reply.send(*_error_response(exc))

    def _dispatch_async(self, index: int, request: Request, reply) -> Optional[Coroutine]:
        """Makes an async handler's coroutine, which the server runs as a task
        (``Server.drain``); ``None`` once an error in the arguments is answered."""
        route = self._routes[index]
        try:
            return route.endpoint(**route.arguments(request))
        except Exception as exc:
            self._fail(route, exc, reply)
            return None

    def _finish_async(
        self, index: int, request: Request, reply, result: Any, error: Optional[BaseException]
    ) -> Optional[Coroutine]:
        """An async handler's task ended with a result the server cannot answer
        alone, or with an error. Returns the coroutine that streams the body, if any;
        the server runs it as a task too."""
        route = self._routes[index]
        try:
            if error is not None:
                raise error
            status, headers, body = _normalise(result)
            if type(body) is bytes:
                reply.send(status, headers, body)
                return None
            writer = reply.start(status, headers)
        except (Exception, asyncio.CancelledError) as exc:
            self._fail(route, exc, reply)
            return None
        return self._stream_async(route, body, writer, reply)

    def _dispatch_ws(self, index: int, raw: Any) -> Coroutine:
        """The coroutine the server runs for an accepted WebSocket (``Server.drain``)."""
        return self._run_ws(self._ws_routes[index], raw)

    async def _run_ws(self, route: _WsRoute, ws: WebSocket) -> None:
        # RFC 6455 §7.4.1: 1000 when the handler is done, 1011 when it failed.
        code = 1000
        try:
            await route.endpoint(**route.arguments(ws))
        except (WebSocketDisconnect, ClientDisconnected):
            return
        except _ParamError as exc:
            logger.warning("weft: websocket %s: %s", route.path, exc)
            code = 1008
        except Exception:
            logger.exception("weft: websocket handler %s failed", route.path)
            code = 1011
        if ws.close_status is None:
            await ws.close(code)

    async def _stream_async(self, route: _Route, body: Any, writer, reply) -> None:
        try:
            if hasattr(body, "__aiter__"):
                async for chunk in body:
                    await writer.write_async(chunk.encode() if isinstance(chunk, str) else chunk)
            else:
                for chunk in body:
                    await writer.write_async(chunk.encode() if isinstance(chunk, str) else chunk)
        except ClientDisconnected:
            return
        except Exception as exc:
            writer.abort()
            self._fail(route, exc, reply)
            return
        except BaseException:
            writer.abort()
            raise
        writer.close()

    # -- running ------------------------------------------------------------------

    def run(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        workers: int = 1,
        threads: int = 4,
        certfile: Optional[str] = None,
        keyfile: Optional[str] = None,
        on_ready: Optional[Callable[[str, int], None]] = None,
        loop: str = "auto",
        **server_options: Any,
    ) -> None:
        """Serves the app until SIGINT / SIGTERM.

        ``workers`` processes each bind ``host:port`` with SO_REUSEPORT; ``threads``
        handler threads per process run ``def`` handlers. With ``certfile`` and
        ``keyfile`` the port speaks TLS with ALPN (h2, http/1.1); without, HTTP/1.1
        and HTTP/2 with prior knowledge (h2c). Extra keyword arguments go to the
        server (``max_body``, ``max_connections``, ``keep_alive_timeout``,
        ``shutdown_timeout``, ``io_threads``; ``h3=True`` serves HTTP/3 over QUIC
        too, on UDP at the TLS port or at ``h3_bind=(host, port)``, and needs
        ``certfile``). ``loop`` picks the asyncio loop for
        ``async def`` handlers: ``"auto"`` (uvloop if installed), ``"uvloop"``,
        ``"asyncio"``.
        """
        if not self._routes and not self._ws_routes:
            raise RuntimeError("the app has no routes")
        has_sync = any(not r.is_async for r in self._routes)

        def configure(server) -> None:
            for index, route in enumerate(self._routes):
                if route.direct is None:
                    server.add_route(route.method, route.path, index, route.is_async)
                else:
                    server.add_route(route.method, route.path, index, route.is_async, route.endpoint, route.direct[0])
            server.set_direct(self._finish_sync, self._finish_async, _json)
            for index, ws_route in enumerate(self._ws_routes):
                server.add_ws_route(ws_route.path, index, self._dispatch_ws, ws_route.subprotocols)

        def run_one(reuse_port: bool = False) -> None:
            _runtime.run_server(
                configure,
                host=host,
                port=port,
                certfile=certfile,
                keyfile=keyfile,
                threads=threads,
                reuse_port=reuse_port,
                dispatch_sync=self._dispatch_sync if has_sync else None,
                dispatch_async=self._dispatch_async,
                on_ready=on_ready,
                server_options=server_options,
                loop_kind=loop,
            )

        if workers > 1:
            _runtime.supervise(workers, lambda: run_one(reuse_port=True))
        else:
            run_one()
