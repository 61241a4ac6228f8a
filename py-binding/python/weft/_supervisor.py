"""Worker processes under a supervising parent.

The parent binds the listening socket once and hands it to every worker (they
accept from its one queue); it never imports the application. Workers are fresh
interpreters (``python -c``), so a replacement imports the code as it is now.

Replacing a worker (SIGHUP, ``--reload``, ``--limit-max-requests``,
``--workers-max-rss``) drops nothing: the new worker starts, runs the lifespan
startup and reports ready over a pipe; only then is the old one told to stop
(SIGTERM), and it stops accepting and finishes what it has. The socket stays open in
the parent throughout, so connections that arrive meanwhile wait in its queue rather
than being refused, which separate ``SO_REUSEPORT`` sockets cannot promise (closing
one drops the connections queued on it). A replacement that fails to start leaves
the old worker serving. A worker that dies is started again, with back-off.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import logging
import os
import random
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Deque, Dict, List, Optional

from ._config import Config

logger = logging.getLogger("weft")

#: How long a new worker may take to import the application and run its lifespan
#: startup before it counts as failed.
READY_TIMEOUT = 60.0

#: Back-off between restarts of workers that keep dying: doubling, capped.
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 10.0
#: A worker that lived this long before dying restarts the back-off.
BACKOFF_RESET_AFTER = 10.0

_CONFIG_ENV = "WEFT_WORKER_CONFIG"


def listening_socket(config: Config):
    """The socket every worker accepts on: ``--uds``'s, ``--fd``'s, or a new one on
    host:port."""
    if config.uds is not None:
        from . import _uds

        return _uds.bind(config.uds, config.backlog)
    if config.fd is not None:
        sock = socket.socket(fileno=os.dup(config.fd))
    else:
        family, kind, proto, _, address = socket.getaddrinfo(
            config.host, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(config.backlog)
    sock.set_inheritable(True)
    return sock


def rss_bytes(pid: int) -> int:
    """Resident memory of process ``pid`` (Linux ``/proc``), 0 if unknown."""
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


@dataclasses.dataclass
class Worker:
    process: subprocess.Popen
    notify: int  # read end of the worker's pipe
    started: float
    ready: bool = False
    retiring: bool = False
    replaces: Optional[int] = None  # the pid this worker takes over from
    #: Why it was started as a replacement ("reload", "SIGHUP", ...), if it was.
    reason: str = ""

    @property
    def pid(self) -> int:
        return self.process.pid


class Supervisor:
    """Runs ``config.worker_count`` workers until SIGINT / SIGTERM (see the module)."""

    def __init__(self, config: Config):
        self.config = config
        self.count = config.worker_count
        self.workers: Dict[int, Worker] = {}
        self.queue: Deque[tuple] = deque()  # (pid to replace, reason)
        self.incoming: Optional[Worker] = None
        self.stopping = False
        self.failures = 0
        self.restart_at = 0.0
        self.startup_failed = False
        self._wake_r, self._wake_w = os.pipe()
        for fd in (self._wake_r, self._wake_w):
            os.set_blocking(fd, False)
        self._signals: List[int] = []

    # Processes.

    def spawn(self, reason: str = "", replaces: Optional[int] = None) -> Worker:
        read, write = os.pipe()
        os.set_blocking(read, False)
        settings = dataclasses.asdict(self.config)
        # The workers accept on the supervisor's socket, whatever made it.
        settings["fd"] = self.sock.fileno()
        settings["uds"] = None
        env = {**os.environ, _CONFIG_ENV: json.dumps({"config": settings, "notify": write})}
        process = subprocess.Popen(
            [sys.executable, "-c", "from weft._supervisor import worker_main; worker_main()"],
            env=env,
            pass_fds=(self.sock.fileno(), write),
        )
        os.close(write)
        worker = Worker(process, read, time.monotonic(), replaces=replaces, reason=reason)
        self.workers[worker.pid] = worker
        return worker

    def serving(self) -> "list[Worker]":
        return [w for w in self.workers.values() if not w.retiring and w is not self.incoming]

    def retire(self, worker: Worker) -> None:
        worker.retiring = True
        try:
            worker.process.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass

    def replace_all(self, reason: str) -> None:
        """Queues every serving worker for replacement, one at a time. A request that
        arrives while a round is queued does not queue a second one."""
        queued = {pid for pid, _ in self.queue}
        for worker in self.serving():
            if worker.pid not in queued:
                self.queue.append((worker.pid, reason))

    # The loop.

    def run(self) -> None:
        self.sock = listening_socket(self.config)
        if self.config.uds is not None:
            where = f"unix socket {self.config.uds}"
        else:
            host, port = self.sock.getsockname()[:2]
            where = f"{'https' if self.config.ssl_certfile else 'http'}://{host}:{port}"
        logger.info("weft: supervising %d worker(s) on %s (pid %d)", self.count, where, os.getpid())
        handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        previous_wakeup = signal.set_wakeup_fd(self._wake_w)
        watcher = self._start_reloader() if self.config.reload else None
        try:
            for _ in range(self.count):
                self.spawn()
            self._loop()
        finally:
            if watcher is not None:
                watcher.set()
            for worker in list(self.workers.values()):
                self.retire(worker)
            for worker in list(self.workers.values()):
                worker.process.wait()
                os.close(worker.notify)
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.sock.close()
        if self.startup_failed:
            raise SystemExit("weft: a worker failed to start")

    def _on_signal(self, signum, _frame) -> None:
        self._signals.append(signum)

    def _loop(self) -> None:
        last_rss_check = time.monotonic()
        while True:
            for signum in self._signals[:]:
                self._signals.remove(signum)
                if signum in (signal.SIGINT, signal.SIGTERM):
                    logger.info("weft: shutting down")
                    self.stopping = True
                elif signum == signal.SIGHUP:
                    logger.info("weft: SIGHUP; replacing the workers one at a time")
                    self.replace_all("SIGHUP")
            if self.stopping:
                return
            self._reap()
            if self.startup_failed:
                return
            self._read_notifications()
            self._advance()
            now = time.monotonic()
            if self.config.workers_max_rss is not None and now - last_rss_check >= 1.0:
                last_rss_check = now
                self._check_rss()
            watched = [self._wake_r] + [w.notify for w in self.workers.values()]
            try:
                select.select(watched, [], [], 0.2)
            except InterruptedError:
                pass
            try:
                while os.read(self._wake_r, 512):
                    pass
            except BlockingIOError:
                pass

    def _reap(self) -> None:
        for worker in list(self.workers.values()):
            code = worker.process.poll()
            if code is None:
                continue
            del self.workers[worker.pid]
            self._drain_pipe(worker)
            os.close(worker.notify)
            if worker.retiring:
                continue
            lived = time.monotonic() - worker.started
            if worker is self.incoming:
                self.incoming = None
                logger.error(
                    "weft: the replacement worker %d exited with %s before it was ready; "
                    "worker %s keeps serving",
                    worker.pid,
                    code,
                    worker.replaces,
                )
                if worker.reason == "reload":
                    self.queue.clear()  # the code is broken: wait for the next change
                continue
            if not worker.ready and not self._ever_ready:
                logger.error("weft: worker %d exited with %s during startup", worker.pid, code)
                self.startup_failed = True
                return
            self.failures = 0 if lived > BACKOFF_RESET_AFTER else self.failures + 1
            delay = 0.0 if self.failures == 0 else min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (self.failures - 1))
            self.restart_at = time.monotonic() + delay
            logger.warning("weft: worker %d exited with %s; starting a new one in %.1f s", worker.pid, code, delay)

    _ever_ready = False

    def _read_notifications(self) -> None:
        for worker in list(self.workers.values()):
            self._drain_pipe(worker)

    def _drain_pipe(self, worker: Worker) -> None:
        try:
            data = os.read(worker.notify, 64)
        except (BlockingIOError, OSError):
            return
        if b"R" in data and not worker.ready:
            worker.ready = True
            self._ever_ready = True
            if worker is self.incoming:
                self.incoming = None
                old = self.workers.get(worker.replaces) if worker.replaces else None
                if old is not None:
                    logger.info("weft: worker %d ready (%s); stopping worker %d", worker.pid, worker.reason, old.pid)
                    self.retire(old)
        if b"M" in data and not worker.retiring:
            self.queue.append((worker.pid, "limit-max-requests"))

    def _advance(self) -> None:
        if self.incoming is not None:
            if time.monotonic() - self.incoming.started > READY_TIMEOUT:
                logger.error("weft: worker %d did not become ready in %.0f s; stopping it", self.incoming.pid, READY_TIMEOUT)
                self.incoming.reason = "timeout"
                self.incoming.process.kill()
            return
        while self.queue:
            pid, reason = self.queue.popleft()
            old = self.workers.get(pid)
            if old is None or old.retiring:
                continue
            self.incoming = self.spawn(reason=reason, replaces=pid)
            return
        missing = self.count - len(self.serving())
        if missing > 0 and time.monotonic() >= self.restart_at:
            for _ in range(missing):
                self.spawn()

    def _check_rss(self) -> None:
        limit = float(self.config.workers_max_rss) * 1024 * 1024  # type: ignore[arg-type]
        queued = {pid for pid, _ in self.queue}
        for worker in self.serving():
            if worker.ready and worker.pid not in queued and rss_bytes(worker.pid) > limit:
                logger.warning("weft: worker %d is past --workers-max-rss; replacing it", worker.pid)
                self.queue.append((worker.pid, "workers-max-rss"))

    def _start_reloader(self) -> threading.Event:
        try:
            import watchfiles
        except ImportError:
            raise SystemExit("weft: --reload needs watchfiles (pip install watchfiles)") from None
        stop = threading.Event()
        dirs = list(self.config.reload_dirs or [os.getcwd()])
        matches = ReloadFilter(self.config.reload_includes, self.config.reload_excludes)

        def watch() -> None:
            step = max(50, int(self.config.reload_delay * 1000))
            for changes in watchfiles.watch(*dirs, watch_filter=matches, stop_event=stop, step=step, yield_on_timeout=False):
                names = sorted({os.path.relpath(path) for _, path in changes})
                logger.info("weft: changes in %s; reloading", ", ".join(names))
                self.replace_all("reload")
                try:
                    os.write(self._wake_w, b"r")
                except BlockingIOError:
                    pass

        threading.Thread(target=watch, name="weft-reload", daemon=True).start()
        logger.info("weft: watching %s for changes", ", ".join(dirs))
        return stop


class ReloadFilter:
    """uvicorn's reload rules: file names matching an include glob (``*.py`` by
    default) and no exclude glob (``.*``, ``.py[cod]``, ``.sw.*``, ``~*`` by default);
    an exclude that names a directory excludes everything below it."""

    def __init__(self, includes=None, excludes=None):
        import fnmatch

        self._match = fnmatch.fnmatch
        self.includes = list(includes or ["*.py"])
        self.excludes = [e for e in (excludes or [".*", ".py[cod]", ".sw.*", "~*"]) if e not in self.includes]
        self.exclude_dirs = [os.path.abspath(e) for e in self.excludes if os.path.isdir(e)]

    def __call__(self, _change, path: str) -> bool:
        name = os.path.basename(path)
        if any(path.startswith(d + os.sep) for d in self.exclude_dirs):
            return False
        if not any(self._match(name, pattern) for pattern in self.includes):
            return False
        parts = os.path.normpath(path).split(os.sep)
        return not any(self._match(part, pattern) for part in parts for pattern in self.excludes)


def worker_main() -> None:
    """A worker process: the parent passes the options, the socket and a pipe."""
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # the parent's signal, not ours
    handed = json.loads(os.environ.pop(_CONFIG_ENV))
    settings = handed["config"]
    settings["headers"] = [tuple(h) for h in settings["headers"] or []] or None
    config = Config(**settings)
    notify = handed["notify"]
    fcntl.fcntl(notify, fcntl.F_SETFD, fcntl.FD_CLOEXEC)
    from ._run import prepare, run_worker

    prepare(config)
    jitter = random.randint(0, config.limit_max_requests_jitter) if config.limit_max_requests_jitter else 0

    def say(message: bytes) -> None:
        try:
            os.write(notify, message)
        except OSError:
            pass  # the parent is gone; SIGTERM will follow or the worker is orphaned

    run_worker(config, on_ready=lambda: say(b"R"), on_recycle=lambda: say(b"M"), extra_requests=jitter)
