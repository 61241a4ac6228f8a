"""Supervised workers: replaced one at a time with no failed request (SIGHUP,
``--reload``, ``--limit-max-requests``, ``--workers-max-rss``), restarted when they
die, stopped gracefully."""

import os
import signal
import threading
import time

import httpx

from .conftest import PACKAGE_DIR, ServerProcess

APP = "tests.apps.cli_app:app"


def children(pid: int) -> "set[int]":
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return {int(p) for p in f.read().split()}


def wait_until(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def wait_ready(port: int, workers: int) -> None:
    """Until ``workers`` different processes have answered (started and past their
    lifespan startup)."""
    pids = set()

    def answered() -> bool:
        try:
            pids.add(httpx.get(f"http://127.0.0.1:{port}/", timeout=30).json()["pid"])
        except httpx.HTTPError:
            pass
        return len(pids) >= workers

    wait_until(answered, what=f"{workers} workers answering")


class Load:
    """Clients sending requests without pause: HTTP/1.1 keep-alive connections, and a
    new connection per request (through the shared accept queue the workers hand
    over). Counts answers and failures.

    No HTTP/2 client: httpx's h2 package fails a request in flight when a graceful
    GOAWAY is followed by the PING that measures the drain (RFC 9113 §6.8 allows
    it; h2 treats the connection as closed on the first GOAWAY)."""

    def __init__(self, url: str):
        self.url = url
        self.ok = 0
        self.failed: list = []
        self.pids: "set[int]" = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(keep_alive,), daemon=True)
            for keep_alive in (True, True, False, False)
        ]

    def _record(self, response=None, error=None):
        with self._lock:
            if error is None and response.status_code == 200:
                self.ok += 1
                self.pids.add(response.json()["pid"])
            else:
                self.failed.append(error or response.status_code)

    def _run(self, keep_alive: bool):
        client = httpx.Client(timeout=30) if keep_alive else None
        while not self._stop.is_set():
            try:
                response = client.get(self.url) if client else httpx.get(self.url, timeout=30)
            except httpx.HTTPError as error:
                self._record(error=repr(error))
            else:
                self._record(response)
        if client:
            client.close()

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(60)


def test_twenty_sighups_under_load_fail_no_request(port):
    with ServerProcess(["-m", "weft", APP, "--port", str(port), "--workers", "2", "--no-access-log"], port) as server:
        parent = server.proc.pid
        wait_ready(port, 2)
        url = f"http://127.0.0.1:{port}/"
        seen_workers = set(children(parent))
        with Load(url) as load:
            wait_until(lambda: load.ok > 20, what="load to start")
            for _ in range(20):
                before = children(parent)
                os.kill(parent, signal.SIGHUP)
                # The round is over once neither worker of before is left.
                wait_until(lambda: not (children(parent) & before) and len(children(parent)) == 2, what="a round of replacements")
                seen_workers |= children(parent)
            answered = load.ok
            wait_until(lambda: load.ok > answered + 20, what="answers after the last round")
        assert load.failed == [], load.failed[:5]
        assert len(seen_workers) == 2 + 2 * 20
        # Requests were answered by many generations of workers, not only the last.
        assert len(load.pids) > 20, len(load.pids)


def test_a_worker_that_dies_is_replaced(port):
    with ServerProcess(["-m", "weft", APP, "--port", str(port), "--workers", "2", "--no-access-log"], port) as server:
        parent = server.proc.pid
        wait_ready(port, 2)
        first = children(parent)
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: victim not in children(parent) and len(children(parent)) == 2, what="a replacement")
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200


def test_limit_max_requests_recycles_without_failures(port):
    args = ["-m", "weft", APP, "--port", str(port), "--workers", "1", "--limit-max-requests", "50", "--no-access-log"]
    with ServerProcess(args, port):
        wait_ready(port, 1)
        with Load(f"http://127.0.0.1:{port}/") as load:
            wait_until(lambda: len(load.pids) >= 4, what="three recycles")
        assert load.failed == [], load.failed[:5]


def test_workers_max_rss_recycles(port):
    args = ["-m", "weft", APP, "--port", str(port), "--workers", "1", "--workers-max-rss", "1", "--no-access-log"]
    with ServerProcess(args, port) as server:
        parent = server.proc.pid
        wait_ready(port, 1)
        first = children(parent)
        # Every worker is past 1 MiB, so each is replaced once it is ready.
        wait_until(lambda: children(parent) and not (children(parent) & first), what="a replacement")
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=30).status_code == 200
    assert "past --workers-max-rss" in server.output()


def test_reload_replaces_workers_when_a_file_changes(port, tmp_path):
    module = tmp_path / "reloaded.py"
    template = (
        "async def app(scope, receive, send):\n"
        "    if scope['type'] != 'http':\n"
        "        return\n"
        "    await send({'type': 'http.response.start', 'status': 200, 'headers': []})\n"
        "    await send({'type': 'http.response.body', 'body': b'%s'})\n"
    )
    module.write_text(template % b"first".decode())
    args = ["-m", "weft", "reloaded:app", "--port", str(port), "--reload", "--reload-dir", str(tmp_path)]
    args += ["--app-dir", str(tmp_path), "--reload-delay", "0.1"]
    with ServerProcess(args, port, env={"PYTHONPATH": str(PACKAGE_DIR)}) as server:
        url = f"http://127.0.0.1:{port}/"
        assert httpx.get(url, timeout=30).text == "first"
        time.sleep(0.5)  # the watcher has started
        module.write_text(template % b"second".decode())
        wait_until(lambda: httpx.get(url, timeout=30).text == "second", what="the reloaded code")
        # A change that breaks the code leaves the last good worker serving.
        module.write_text("this is not python\n")
        time.sleep(3)
        assert httpx.get(url, timeout=30).text == "second"
    assert "before it was ready" in server.output()


def test_sigterm_lets_requests_in_progress_finish(port):
    with ServerProcess(["-m", "weft", APP, "--port", str(port), "--workers", "2"], port) as server:
        parent = server.proc.pid
        wait_ready(port, 2)
        result = []
        slow = threading.Thread(
            target=lambda: result.append(httpx.get(f"http://127.0.0.1:{port}/slow", headers={"x-sleep": "1.0"}, timeout=30))
        )
        slow.start()
        time.sleep(0.4)
        assert server.stop() == 0
        slow.join()
        assert result[0].status_code == 200
