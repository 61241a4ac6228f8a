"""asyncio semantics inside request handlers, black-box: what an ``async def`` handler or
an ASGI application observes about its task, timeouts, cancellation, contextvars, anyio
and Starlette, and how the server copes when a handler misbehaves.

Each probe (``tests/apps/tasks_asgi.py``) runs inside the handler and reports what it saw;
these tests assert on those reports. Every semantic test runs against four ways a
handler is hosted: a raw ASGI app, a Starlette app, a decorator handler the server calls
itself (it takes only the request) and one that goes through ``App._dispatch_async``
(it takes a query parameter).
"""

import asyncio
import concurrent.futures
import random
import sys
import time

import httpx
import pytest

from .conftest import ServerProcess, free_port

# asyncio.timeout, Task.cancelling / uncancel and TaskGroup are 3.11+; the package runs
# on 3.9, but the suite runs on 3.11 where none of these is skipped.
needs_311 = pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio API of Python 3.11+")

ASGI_ARGS = ["-m", "weft", "tests.apps.tasks_asgi:app", "--port"]
STARLETTE_ARGS = ["-m", "weft", "tests.apps.tasks_asgi:starlette_app", "--port"]
DECORATED_ARGS = ["-m", "tests.apps.tasks_decorated"]

# host name -> (server fixture, URL prefix of the probes)
HOSTS = {
    "asgi": ("asgi_server", "/probe/"),
    "starlette": ("starlette_server", "/probe/"),
    "direct": ("decorated_server", "/probe/"),
    "dispatched": ("decorated_server", "/q/"),
}


def _serve(args):
    port = free_port()
    return ServerProcess([*args, str(port)], port)


@pytest.fixture(scope="module")
def asgi_server():
    with _serve(ASGI_ARGS) as proc:
        yield proc


@pytest.fixture(scope="module")
def starlette_server():
    with _serve(STARLETTE_ARGS) as proc:
        yield proc


@pytest.fixture(scope="module")
def decorated_server():
    with _serve(DECORATED_ARGS) as proc:
        yield proc


class Host:
    """One way of hosting the probes: a server and the URL prefix of its probe routes."""

    def __init__(self, name: str, url: str, prefix: str):
        self.name = name
        self.url = url
        self.prefix = prefix

    def probe_url(self, probe: str) -> str:
        return self.url + self.prefix + probe

    def get(self, probe: str, v: str = "", client=None, timeout: float = 8.0) -> httpx.Response:
        getter = client.get if client is not None else httpx.get
        return getter(self.probe_url(probe), params={"v": v}, timeout=timeout)

    def report(self, probe: str, v: str = "", client=None) -> dict:
        r = self.get(probe, v, client)
        assert r.status_code == 200, f"{self.name} {probe}: {r.status_code} {r.text!r}"
        report = r.json()
        assert report.pop("v") == v, "the answer belongs to another request"
        return report

    def assert_still_serving(self) -> None:
        # A probe that never suspends and checks nothing but the routing.
        assert "events" in self.report("events", "alive")


@pytest.fixture(scope="module", params=list(HOSTS))
def host(request) -> Host:
    fixture, prefix = HOSTS[request.param]
    server = request.getfixturevalue(fixture)
    return Host(request.param, server.url, prefix)


# -- 1. the current task --------------------------------------------------------------


def test_current_task_is_one_object_across_suspensions(host):
    assert host.report("task_identity", "t1") == {
        "present": True,
        "same_after_sleep0": True,
        "same_after_sleep": True,
        "done_inside": False,
        "name_is_str": True,
    }


def test_all_tasks_lists_the_suspended_handler(host):
    assert host.report("all_tasks", "at") == {"listed": True}


# -- 2. timeouts ----------------------------------------------------------------------


@needs_311
def test_timeouts_that_do_not_fire(host):
    assert host.report("timeout_unfired", "tu") == {
        "first": "timeout body ran",
        "second": "wait_for result",
        "after": "still running",
        "cancelling": 0,
    }


@needs_311
@pytest.mark.parametrize("probe", ["timeout_fires_first_step", "timeout_fires_after_suspension"])
def test_timeout_fires_on_a_long_sleep(host, probe):
    # The probe sleeps 10 s under a 0.05 s timeout; with first_step the timeout is entered
    # before the handler has ever suspended, which an eager first step must not break.
    start = time.monotonic()
    report = host.report(probe, "tf")
    took = time.monotonic() - start
    assert report == {"outcome": "timed out", "quick": True, "cancelling": 0, "after": "still running"}
    assert took < 5, f"the request took {took:.1f}s: the timeout did not cut the sleep short"


def test_wait_for_fires_on_a_long_sleep(host):
    start = time.monotonic()
    report = host.report("wait_for_fires", "wf")
    took = time.monotonic() - start
    assert report == {"outcome": "timed out", "quick": True, "after": "still running"}
    assert took < 5, f"the request took {took:.1f}s"


# -- 3. cancellation ------------------------------------------------------------------


@needs_311
@pytest.mark.parametrize("probe", ["self_cancel_first_step", "self_cancel_after_suspension"])
def test_a_handler_cancels_itself_catches_it_and_answers(host, probe):
    assert host.report(probe, "sc") == {
        "caught": True,
        "message": "cancelled by the handler",
        # cancelling() after cancel(), after the catch, uncancel()'s result, after it
        "counts": [1, 1, 0, 0],
        "after": "carried on",
        "done_inside": False,
    }


@needs_311
def test_two_cancel_requests_are_counted_and_delivered_once(host):
    assert host.report("double_cancel", "dc") == {"raised": 1, "counts": [2, 1, 0], "after": "carried on"}


def test_an_uncaught_cancellation_is_a_500_and_serving_goes_on(host):
    r = host.get("cancel_uncaught", "cu")
    assert r.status_code == 500
    host.assert_still_serving()


# -- 4. contextvars -------------------------------------------------------------------


def test_each_request_runs_in_its_own_copy_of_the_context(host):
    with httpx.Client() as client:
        for i in range(5):
            # echo sets the variable and leaves it set; the next request must not see it.
            assert host.report("echo", f"leak{i}", client)["context"] == f"leak{i}"
            assert host.report("context", f"c{i}", client) == {
                "at_start": None,
                "after_sleep": f"c{i}",
                "in_child_task": f"c{i}",
                "child_is_other_task": True,
                "imported": "set at import",
            }


# -- 5. anyio and Starlette -----------------------------------------------------------


@needs_311
def test_anyio_cancel_scopes(host):
    start = time.monotonic()
    report = host.report("anyio_scopes", "as")
    took = time.monotonic() - start
    assert report == {
        "first": "fail_after body ran",
        "moved_on": True,
        "quick": True,
        "after": "still running",
        "cancelling": 0,
    }
    assert took < 5, f"the request took {took:.1f}s: move_on_after did not cut the sleep short"


def test_anyio_task_group_runs_both_children(host):
    assert host.report("anyio_task_group", "tg") == {"done": [1, 2]}


def test_anyio_current_task(host):
    assert host.report("anyio_current_task", "ct") == {"same_id": True, "id_is_asyncio_task": True, "name": True}


@pytest.mark.parametrize("server", ["asgi_server", "starlette_server", "decorated_server"])
def test_a_streamed_body_is_produced_in_the_handler_task(request, server):
    url = request.getfixturevalue(server).url
    with httpx.stream("GET", url + "/stream", params={"v": "st"}, timeout=8) as r:
        assert r.status_code == 200
        lines = list(r.iter_lines())
    assert lines == [f"{i}:st:True" for i in range(5)]


def test_starlette_background_task_runs_after_the_response(starlette_server):
    url = starlette_server.url
    r = httpx.get(url + "/background", params={"v": "bg1"}, timeout=8)
    assert r.json() == {"v": "bg1"}
    expected = "background bg1 same_task=True"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        events = httpx.get(url + "/probe/events", timeout=8).json()["events"]
        if expected in events:
            return
        time.sleep(0.02)
    pytest.fail(f"the background task never ran to its end: {events}")


# -- 7. combinators -------------------------------------------------------------------


@needs_311
def test_gather_create_task_and_shield(host):
    assert host.report("combinators", "cb") == {
        "gathered": ["a", "b"],
        "created": "child of cb",
        "shielded": "shielded",
        "outer": "timed out",
        "inner": "inner finished",
        "same_task": True,
    }


@needs_311
def test_asyncio_task_group(host):
    assert host.report("task_group", "ag") == {"results": [20, 10], "order": [1, 2], "failure": "child failed"}


# -- 8. errors ------------------------------------------------------------------------


def test_an_error_after_a_suspension_is_a_500(host):
    for _ in range(3):
        assert host.get("raise_after_suspension", "e").status_code == 500
    host.assert_still_serving()


def test_awaiting_a_future_of_another_loop_is_a_500_not_a_hang(host):
    start = time.monotonic()
    r = host.get("foreign_future", "ff", timeout=8)
    assert r.status_code == 500
    assert time.monotonic() - start < 5
    # The handler itself sees a RuntimeError it can catch, and carries on.
    assert host.report("foreign_future_caught", "fc") == {"error": "RuntimeError", "after": "still running"}
    host.assert_still_serving()


# -- 9. many requests at once ---------------------------------------------------------


@pytest.mark.parametrize("http2", [False, True], ids=["http1", "h2"])
def test_many_concurrent_requests_each_get_their_own_answer(host, http2):
    count = 200

    async def one(client, i):
        v = f"r{i}-{random.randrange(1 << 30)}"
        r = await client.get(host.probe_url("echo"), params={"v": v})
        assert r.status_code == 200, r.text
        return v, r.json()

    async def all_of_them():
        # h2: one connection carries every stream; HTTP/1.1: a pool of connections.
        async with httpx.AsyncClient(http1=not http2, http2=http2, timeout=20) as client:
            return await asyncio.gather(*(one(client, i) for i in range(count)))

    answers = asyncio.run(all_of_them())
    assert len(answers) == count
    for v, report in answers:
        assert report == {"v": v, "context": v, "same_task": True}


# -- 10. graceful shutdown ------------------------------------------------------------


@pytest.mark.parametrize("args", [ASGI_ARGS, STARLETTE_ARGS, DECORATED_ARGS], ids=["asgi", "starlette", "decorated"])
def test_shutdown_waits_for_a_suspended_handler(args):
    proc = _serve(args)
    with proc, concurrent.futures.ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(httpx.get, proc.url + "/probe/slow", params={"v": "inflight"}, timeout=10)
        # SIGTERM only once the handler is known to be suspended in its 0.5 s sleep.
        deadline = time.monotonic() + 5
        while "started inflight" not in httpx.get(proc.url + "/probe/events", timeout=5).json()["events"]:
            assert time.monotonic() < deadline, "the slow handler never started"
            time.sleep(0.01)
        assert proc.stop() == 0
        r = in_flight.result(timeout=10)
    assert r.status_code == 200
    assert r.json() == {"v": "inflight", "slept": True}
