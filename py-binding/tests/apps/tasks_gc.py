"""Handlers whose task ends up in a reference cycle, for the garbage-collection tests:
each request's task is watched through a weak reference, and ``/alive`` reports how many
watched tasks a full collection leaves alive.

- ``/raise``: the handler keeps its task in a local and raises, so the task's exception
  (its traceback, its frame) refers back to the task.
- ``/suspend-raise``: as ``/raise``, after a real suspension.
"""

import asyncio
import gc
import sys
import weakref

import weft

watched: "list[weakref.ref]" = []


def _watch_current_task():
    task = asyncio.current_task()
    watched.append(weakref.ref(task))
    return task


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/alive":
        gc.collect()
        alive = sum(1 for ref in watched if ref() is not None)
        body = f"{alive}/{len(watched)}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
        return
    task = _watch_current_task()
    if path == "/suspend-raise":
        await asyncio.sleep(0.001)
    raise RuntimeError(f"failing on purpose with {task!r} in a local")


decorated = weft.App()


@decorated.get("/alive")
def alive():
    gc.collect()
    return f"{sum(1 for ref in watched if ref() is not None)}/{len(watched)}"


@decorated.get("/raise")
async def raise_with_task():
    task = _watch_current_task()
    raise RuntimeError(f"failing on purpose with {task!r} in a local")


@decorated.get("/suspend-raise")
async def suspend_then_raise():
    task = _watch_current_task()
    await asyncio.sleep(0.001)
    raise RuntimeError(f"failing on purpose with {task!r} in a local")


if __name__ == "__main__":
    decorated.run("127.0.0.1", int(sys.argv[1]), threads=1)
