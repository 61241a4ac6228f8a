"""The CPU time the FastAPI endpoint of fastapi_bench.py costs per request with no
server at all: its ASGI app called in this process with the scope a server would
build for wrk's request, a `receive` with the empty body and a `send` that keeps
nothing. No server can spend less per request on this endpoint; what a server's CPU
per request has beyond this figure is the server's own.

CPU time of this thread (`time.thread_time`), so a busy machine slows it down less
than a wall clock would.

Usage: taskset -c 0 python fastapi_floor.py [CALLS]  (prints JSON)
"""

import asyncio
import json
import statistics
import sys
import time

from fastapi_items import app

SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0", "spec_version": "2.4"},
    "http_version": "1.1",
    "scheme": "http",
    "root_path": "",
    "server": ("127.0.0.1", 8000),
    "client": ("127.0.0.1", 54321),
    "method": "GET",
    "path": "/items/42",
    "raw_path": b"/items/42",
    "query_string": b"q=hello",
    "headers": [(b"host", b"127.0.0.1:8000")],
    "extensions": {},
}
REQUEST = {"type": "http.request", "body": b"", "more_body": False}


async def receive():
    return REQUEST


SENT = []


async def send(message):
    SENT.append(message)


async def calls(n: int) -> float:
    """CPU microseconds per call, over `n` calls on the running loop."""
    start = time.thread_time()
    for _ in range(n):
        await app(dict(SCOPE), receive, send)
    per_call = (time.thread_time() - start) * 1e6 / n
    SENT.clear()
    return per_call


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    loop = asyncio.new_event_loop()
    try:
        import uvloop

        loop = uvloop.new_event_loop()
    except ImportError:
        pass
    loop.run_until_complete(send_check())
    loop.run_until_complete(calls(2_000))  # warm-up
    runs = [loop.run_until_complete(calls(n)) for _ in range(5)]
    print(json.dumps({"fastapi_floor_cpu_us": round(statistics.median(runs), 1), "runs": [round(r, 1) for r in runs]}))


async def send_check() -> None:
    """The app answers 200 with the model's JSON, so the loop above measures a real answer."""
    await app(dict(SCOPE), receive, send)
    start, body = SENT[0], SENT[1]
    assert start["status"] == 200, start
    assert json.loads(body["body"]) == {"item_id": 42, "q": "hello", "price": 9.5, "tags": ["a", "b"]}
    SENT.clear()


if __name__ == "__main__":
    main()
