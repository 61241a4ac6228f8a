"""Running a weft server from Python: the event loop, handler threads, ASGI
lifespan, signals and worker processes. Used by ``App.run`` and ``weft.serve``."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import time
import traceback
from typing import Any, Callable, Optional

from . import _weft

logger = logging.getLogger("weft")


async def awaiting(awaitable):
    """A coroutine for any awaitable: handler tasks step coroutines, and an ASGI
    application may return another kind of awaitable."""
    return await awaitable


class Lifespan:
    """The ASGI lifespan protocol (startup / shutdown) for one application."""

    def __init__(self, app, mode: str, state: dict):
        if mode not in ("auto", "on", "off"):
            raise ValueError("lifespan must be 'auto', 'on' or 'off'")
        self.app = app
        self.mode = mode
        self.state = state
        self.supported = mode != "off"
        self._inbox: Optional[asyncio.Queue] = None
        self._task: Optional[asyncio.Task] = None
        self._startup: Optional[asyncio.Future] = None
        self._shutdown: Optional[asyncio.Future] = None

    async def startup(self) -> None:
        if not self.supported:
            return
        loop = asyncio.get_running_loop()
        self._inbox = asyncio.Queue()
        self._startup = loop.create_future()
        self._shutdown = loop.create_future()
        scope = {
            "type": "lifespan",
            "asgi": {"version": "3.0", "spec_version": "2.0"},
            "state": self.state,
        }
        self._task = loop.create_task(self._run(scope))
        await self._inbox.put({"type": "lifespan.startup"})
        await asyncio.wait([self._startup, self._task], return_when=asyncio.FIRST_COMPLETED)
        if self._startup.done():
            self._startup.result()  # raises on lifespan.startup.failed
            return
        # The application returned or raised without completing startup: it does not
        # speak lifespan (allowed in "auto" mode).
        error = self._task.exception()
        if self.mode == "on":
            raise RuntimeError("the application does not support ASGI lifespan") from error
        self.supported = False
        if error is not None:
            logger.info("ASGI lifespan unsupported by the application: %r", error)

    async def _run(self, scope) -> None:
        async def receive():
            return await self._inbox.get()

        async def send(message):
            kind = message["type"]
            if kind == "lifespan.startup.complete":
                self._startup.set_result(None)
            elif kind == "lifespan.startup.failed":
                self._startup.set_exception(RuntimeError(message.get("message", "startup failed")))
            elif kind == "lifespan.shutdown.complete":
                self._shutdown.set_result(None)
            elif kind == "lifespan.shutdown.failed":
                self._shutdown.set_exception(RuntimeError(message.get("message", "shutdown failed")))

        await self.app(scope, receive, send)

    async def shutdown(self) -> None:
        if not self.supported or self._task is None:
            return
        await self._inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait([self._shutdown, self._task], return_when=asyncio.FIRST_COMPLETED)
        if self._shutdown.done():
            self._shutdown.result()


def new_event_loop(kind: str = "auto") -> asyncio.AbstractEventLoop:
    """The event loop handlers run on: ``"uvloop"``, ``"asyncio"``, or ``"auto"``
    (uvloop when it is installed, as granian and uvicorn do)."""
    if kind not in ("auto", "uvloop", "asyncio"):
        raise ValueError("loop must be 'auto', 'uvloop' or 'asyncio'")
    if kind != "asyncio":
        try:
            import uvloop
        except ImportError:
            if kind == "uvloop":
                raise
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run_server(
    configure: Callable[[Any], None],
    *,
    host: str,
    port: int,
    certfile: Optional[str] = None,
    keyfile: Optional[str] = None,
    threads: int = 4,
    reuse_port: bool = False,
    dispatch_sync: Optional[Callable] = None,
    dispatch_async: Optional[Callable] = None,
    asgi_app: Optional[Callable] = None,
    lifespan: Optional[Lifespan] = None,
    on_ready: Optional[Callable[[str, int], None]] = None,
    server_options: Optional[dict] = None,
    loop_kind: str = "auto",
) -> None:
    """Serves until SIGINT / SIGTERM, then shuts down gracefully. Blocks."""
    loop = new_event_loop(loop_kind)
    asyncio.set_event_loop(loop)
    server = _weft.Server(
        host,
        port,
        certfile=certfile,
        keyfile=keyfile,
        reuse_port=reuse_port,
        **(server_options or {}),
    )
    configure(server)

    def unused(*_args):
        raise RuntimeError("no dispatcher for this kind of work")

    async def main() -> None:
        stop = asyncio.Event()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
        if lifespan is not None:
            await lifespan.startup()
        # Tasks the application started during its lifespan startup (Litestar's
        # event emitter, say) live until its shutdown: the graceful shutdown below
        # must not wait for them, or it waits out the whole timeout.
        services = asyncio.all_tasks(loop) - {asyncio.current_task()}
        bound_host, bound_port = server.start(loop)
        loop.add_reader(
            server.wake_fd,
            server.drain,
            dispatch_async or unused,
            asgi_app or unused,
        )
        workers = []
        if dispatch_sync is not None:

            for i in range(max(1, threads)):
                t = threading.Thread(target=server.serve_threads, args=(dispatch_sync,), name=f"weft-handler-{i}", daemon=True)
                t.start()
                workers.append(t)
        if bound_port == 0:
            # A Unix domain socket: the host is its path.
            logger.info("weft: serving on unix socket %s (pid %d)", bound_host, os.getpid())
        else:
            scheme = "https" if certfile else "http"
            logger.info("weft: serving on %s://%s:%d (pid %d)", scheme, bound_host, bound_port, os.getpid())
        if server.h3_address is not None:
            logger.info("weft: serving HTTP/3 on udp://%s:%d", *server.h3_address)
        if on_ready is not None:
            on_ready(bound_host, bound_port)
        try:
            await stop.wait()
        finally:
            # One budget for the whole graceful shutdown: in-flight exchanges first,
            # then calls still running after their connections were answered or let go.
            deadline = loop.time() + float((server_options or {}).get("shutdown_timeout", 30.0))
            server.shutdown()
            # The loop keeps draining while the I/O threads finish in-flight requests.
            await loop.run_in_executor(None, server.join)
            loop.remove_reader(server.wake_fd)
            server.stop_threads()
            for t in workers:
                await loop.run_in_executor(None, t.join)
            # The lifespan task waits for its shutdown message, sent below: waiting for
            # it here would hold every shutdown for the full timeout.
            own = {asyncio.current_task(), lifespan._task if lifespan is not None else None}
            pending = [t for t in asyncio.all_tasks(loop) if t not in own and t not in services]
            if pending:
                # What is left of the shutdown timeout (background work after a
                # response, say), then they are cancelled, as uvicorn does, with a
                # moment to run their cleanup.
                _, still = await asyncio.wait(pending, timeout=max(0.0, deadline - loop.time()))
                for task in still:
                    task.cancel()
                if still:
                    await asyncio.wait(still, timeout=1.0)
            if lifespan is not None:
                await lifespan.shutdown()

    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


def supervise(workers: int, run_one: Callable[[], None]) -> None:
    """Runs ``run_one`` in ``workers`` forked processes sharing the port with
    SO_REUSEPORT. A worker that dies (crash, signal) is replaced; SIGINT / SIGTERM to
    this process stops them all gracefully, and this process returns once every worker
    has exited. A worker that keeps dying right after start stops the whole server."""
    children: "dict[int, float]" = {}  # pid -> start time
    stopping = False
    quick_deaths = 0

    def forward(signum, _frame):
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)
            code = 0
            try:
                run_one()
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        children[pid] = time.monotonic()

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    failed = 0
    try:
        for _ in range(workers):
            spawn()
        while children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            started = children.pop(pid, None)
            if started is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if stopping:
                failed += code != 0
                continue
            if code == 0:
                continue  # stopped on purpose (e.g. SIGTERM sent to the worker itself)
            quick_deaths = quick_deaths + 1 if time.monotonic() - started < 1.0 else 0
            if quick_deaths >= 5:
                logger.error("weft: workers keep dying at start; stopping")
                failed += 1
                forward(signal.SIGTERM, None)
                continue
            logger.warning("weft: worker %d exited with %d; starting a new one", pid, code)
            spawn()
        if failed:
            raise SystemExit(f"weft: {failed} worker process(es) failed")
    finally:
        forward(signal.SIGTERM, None)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
