"""The least interpreter work an ASGI host does per hello-world request on this CPython:
build the `http` scope (the keys weft fills in), and run the app's coroutine to completion
in a copied context, with a `send` that costs one C call. No I/O, no bridge: a floor that
no ASGI server on this interpreter goes under (BENCHMARKS.md, py-binding).

Usage: taskset -c 0 python asgi_floor.py
"""

import contextvars
import functools
import itertools
import statistics
import time

from hello_asgi import app


class _Done:
    def __await__(self):
        return iter(())


# next(repeat(DONE), message) -> DONE: an awaitable that is already complete, in C.
send = functools.partial(next, itertools.repeat(_Done()))
BASE = {"type": "http", "scheme": "http", "root_path": "", "server": ("127.0.0.1", 8000)}
ASGI = {"version": "3.0", "spec_version": "2.4"}


def request() -> None:
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


def main() -> None:
    runs = []
    for _ in range(7):
        n = 200_000
        start = time.perf_counter()
        for _ in range(n):
            request()
        runs.append((time.perf_counter() - start) / n * 1e6)
    print(f"ASGI floor: {statistics.median(runs):.2f} us per request (median of 7 runs of 200,000)")


if __name__ == "__main__":
    main()
