"""The least interpreter work an ASGI host does per hello-world request on this CPython,
with no I/O and no bridge (BENCHMARKS.md, py-binding). Two figures:

- "app only": a fresh scope (one copy of a ready dict), and the app's coroutine run to
  completion in a copied context, with a `send` that costs one C call. No ASGI server
  on this interpreter goes under it.
- "scope built in Python": the same, with the scope's keys filled in one by one, as a
  host written in Python does.

Usage: taskset -c 0 python asgi_floor.py [--json]
"""

import contextvars
import functools
import itertools
import json
import statistics
import sys
import time

from hello_asgi import app


class _Done:
    def __await__(self):
        return iter(())


# next(repeat(DONE), message) -> DONE: an awaitable that is already complete, in C.
send = functools.partial(next, itertools.repeat(_Done()))
BASE = {"type": "http", "scheme": "http", "root_path": "", "server": ("127.0.0.1", 8000)}
ASGI = {"version": "3.0", "spec_version": "2.4"}


SCOPE = {
    **BASE,
    "asgi": ASGI,
    "http_version": "1.1",
    "method": "GET",
    "path": "/",
    "raw_path": b"/",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1:8000")],
    "client": ("127.0.0.1", 54321),
}


def app_only() -> None:
    coro = app(SCOPE.copy(), send, send)
    try:
        contextvars.copy_context().run(coro.send, None)
    except StopIteration:
        pass


def scope_in_python() -> None:
    scope = BASE.copy()
    scope["asgi"] = ASGI.copy()
    scope["http_version"] = "1.1"
    scope["method"] = "GET"
    scope["path"] = "/"
    scope["raw_path"] = b"/"
    scope["query_string"] = b""
    scope["headers"] = [(b"host", b"127.0.0.1:8000")]
    scope["client"] = ("127.0.0.1", 54321)
    coro = app(scope, send, send)
    try:
        contextvars.copy_context().run(coro.send, None)
    except StopIteration:
        pass


def per_call_us(function) -> float:
    """Median of 7 runs of 200,000 calls, less the cost of the loop itself."""
    runs = []
    for _ in range(7):
        n = 200_000
        start = time.perf_counter()
        for _ in range(n):
            function()
        runs.append((time.perf_counter() - start) / n * 1e6)
    return statistics.median(runs)


def nothing() -> None:
    pass


def main() -> None:
    loop = per_call_us(nothing)
    figures = {
        "app_only_us": round(per_call_us(app_only) - loop, 2),
        "scope_in_python_us": round(per_call_us(scope_in_python) - loop, 2),
    }
    if "--json" in sys.argv:
        print(json.dumps({"asgi_floor": figures}))
    else:
        print(f"ASGI floor, app only: {figures['app_only_us']:.2f} us per request")
        print(f"ASGI floor, scope built in Python: {figures['scope_in_python_us']:.2f} us per request")


if __name__ == "__main__":
    main()
