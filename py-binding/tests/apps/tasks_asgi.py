"""Probes of asyncio semantics inside request handlers, and the ASGI apps that serve them
(``python -m weft tests.apps.tasks_asgi:app`` and ``tests.apps.tasks_asgi:starlette_app``).

Each probe is an ``async def probe(v) -> dict`` that runs inside the handler's own
coroutine and reports what it observed; the tests assert on those values, so a host that
runs handlers with broken task, cancellation or context semantics gives wrong answers
rather than passing by accident. ``tests/apps/tasks_decorated.py`` serves the same probes
through the decorator API.
"""

import asyncio
import contextvars
import json
import random
from urllib.parse import parse_qs

import anyio
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from tests.apps import complete_lifespan

# Set by each request to its own value: must never be seen by another request.
CURRENT = contextvars.ContextVar("weft_test_current", default=None)
# Set while the module is imported, before the server and its loop exist: every request
# runs in a copy of that context, so every request sees it.
IMPORTED = contextvars.ContextVar("weft_test_imported", default="unset")
IMPORTED.set("set at import")

# A loop that never runs: its futures belong to another loop than the server's.
_FOREIGN_LOOP = asyncio.new_event_loop()

# What probes and background tasks did, for the tests to read back with ``events``.
EVENTS: "list[str]" = []


async def _current_in_child() -> "tuple[object, object]":
    await asyncio.sleep(0)
    return CURRENT.get(), asyncio.current_task()


async def task_identity(v: str) -> dict:
    first = asyncio.current_task()
    await asyncio.sleep(0)
    after_yield = asyncio.current_task()
    await asyncio.sleep(0.01)
    after_sleep = asyncio.current_task()
    return {
        "v": v,
        "present": first is not None,
        "same_after_sleep0": first is not None and after_yield is first,
        "same_after_sleep": first is not None and after_sleep is first,
        "done_inside": first is None or first.done(),
        "name_is_str": first is not None and isinstance(first.get_name(), str),
    }


async def timeout_unfired(v: str) -> dict:
    async with asyncio.timeout(1):
        first = await asyncio.sleep(0.01, result="timeout body ran")
    second = await asyncio.wait_for(asyncio.sleep(0.01, result="wait_for result"), 1)
    after = await asyncio.sleep(0, result="still running")
    return {"v": v, "first": first, "second": second, "after": after, "cancelling": asyncio.current_task().cancelling()}


async def _timed_sleep(enter_first: bool) -> dict:
    loop = asyncio.get_running_loop()
    if not enter_first:
        await asyncio.sleep(0.01)
    start = loop.time()
    try:
        # With enter_first, this is the handler's very first suspension: the deadline is
        # armed while the handler runs its first step and fires once it has suspended.
        async with asyncio.timeout(0.05):
            await asyncio.sleep(10)
        outcome = "not timed out"
    except TimeoutError:
        outcome = "timed out"
    elapsed = loop.time() - start
    task = asyncio.current_task()
    cancelling = task.cancelling()
    # Nothing of the timeout's cancellation is left over.
    after = await asyncio.sleep(0.01, result="still running")
    return {"outcome": outcome, "quick": elapsed < 5, "cancelling": cancelling, "after": after}


async def timeout_fires_first_step(v: str) -> dict:
    return {"v": v, **(await _timed_sleep(enter_first=True))}


async def timeout_fires_after_suspension(v: str) -> dict:
    return {"v": v, **(await _timed_sleep(enter_first=False))}


async def wait_for_fires(v: str) -> dict:
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        await asyncio.wait_for(asyncio.sleep(10), 0.05)
        outcome = "not timed out"
    except asyncio.TimeoutError:
        outcome = "timed out"
    elapsed = loop.time() - start
    after = await asyncio.sleep(0.01, result="still running")
    return {"v": v, "outcome": outcome, "quick": elapsed < 5, "after": after}


async def _cancel_self(suspend_first: bool) -> dict:
    task = asyncio.current_task()
    if suspend_first:
        await asyncio.sleep(0.01)
    task.cancel("cancelled by the handler")
    counts = [task.cancelling()]
    message = None
    try:
        await asyncio.sleep(0)
        caught = False
    except asyncio.CancelledError as exc:
        caught = True
        message = exc.args[0] if exc.args else None
    counts.append(task.cancelling())
    counts.append(task.uncancel())
    counts.append(task.cancelling())
    # Cancelled once, caught once: the handler carries on through real suspensions.
    after = await asyncio.sleep(0.01, result="carried on")
    return {"caught": caught, "message": message, "counts": counts, "after": after, "done_inside": task.done()}


async def self_cancel_first_step(v: str) -> dict:
    return {"v": v, **(await _cancel_self(suspend_first=False))}


async def self_cancel_after_suspension(v: str) -> dict:
    return {"v": v, **(await _cancel_self(suspend_first=True))}


async def double_cancel(v: str) -> dict:
    task = asyncio.current_task()
    await asyncio.sleep(0)
    task.cancel()
    task.cancel()
    counts = [task.cancelling()]
    raised = 0
    try:
        await asyncio.sleep(0.01)
    except asyncio.CancelledError:
        raised += 1
    # Two requests, one delivery; both must be withdrawn before the task is clear.
    counts.append(task.uncancel())
    counts.append(task.uncancel())
    after = await asyncio.sleep(0.01, result="carried on")
    return {"v": v, "raised": raised, "counts": counts, "after": after}


async def cancel_uncaught(v: str) -> dict:
    await asyncio.sleep(0.01)
    asyncio.current_task().cancel()
    await asyncio.sleep(0)
    return {"v": v, "unreachable": True}


async def context(v: str) -> dict:
    at_start = CURRENT.get()
    CURRENT.set(v)
    await asyncio.sleep(random.uniform(0, 0.01))
    after_sleep = CURRENT.get()
    child_value, child_task = await asyncio.create_task(_current_in_child())
    return {
        "v": v,
        "at_start": at_start,
        "after_sleep": after_sleep,
        "in_child_task": child_value,
        "child_is_other_task": child_task is not None and child_task is not asyncio.current_task(),
        "imported": IMPORTED.get(),
    }


async def all_tasks(v: str) -> dict:
    await asyncio.sleep(0.01)
    me = asyncio.current_task()
    return {"v": v, "listed": me is not None and me in asyncio.all_tasks()}


async def combinators(v: str) -> dict:
    me = asyncio.current_task()
    gathered = await asyncio.gather(asyncio.sleep(0.01, result="a"), asyncio.sleep(0, result="b"))

    async def child() -> str:
        await asyncio.sleep(0.01)
        return "child of " + v if asyncio.current_task() is not me else "ran in the parent"

    created = await asyncio.create_task(child())
    shielded = await asyncio.shield(asyncio.sleep(0.01, result="shielded"))
    # A shield holds when the timeout around it fires: the inner task runs on.
    inner = asyncio.ensure_future(asyncio.sleep(0.05, result="inner finished"))
    try:
        async with asyncio.timeout(0.01):
            await asyncio.shield(inner)
        outer = "not timed out"
    except TimeoutError:
        outer = "timed out"
    inner_result = await inner
    return {
        "v": v,
        "gathered": gathered,
        "created": created,
        "shielded": shielded,
        "outer": outer,
        "inner": inner_result,
        "same_task": asyncio.current_task() is me,
    }


async def task_group(v: str) -> dict:
    order = []

    async def child(n: int) -> int:
        await asyncio.sleep(0.01 * n)
        order.append(n)
        return n * 10

    async with asyncio.TaskGroup() as group:
        slow = group.create_task(child(2))
        fast = group.create_task(child(1))
    # A failing child cancels its sibling and the error reaches the handler.
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(asyncio.sleep(10))
            group.create_task(_fail_soon())
        failure = "none"
    except Exception as group_error:  # an ExceptionGroup (no ``except*``: 3.9 must import this)
        failure = " ".join(str(e) for e in getattr(group_error, "exceptions", [group_error]))
    return {
        "v": v,
        "results": [slow.result(), fast.result()],
        "order": order,
        "failure": failure,
    }


async def _fail_soon() -> None:
    await asyncio.sleep(0.01)
    raise ValueError("child failed")


async def anyio_scopes(v: str) -> dict:
    # Both scopes are entered before the handler's first suspension.
    with anyio.fail_after(1):
        first = await _anyio_sleep_result(0.01, "fail_after body ran")
    start = anyio.current_time()
    with anyio.move_on_after(0.05) as scope:
        await anyio.sleep(10)
    elapsed = anyio.current_time() - start
    after = await _anyio_sleep_result(0.01, "still running")
    return {
        "v": v,
        "first": first,
        "moved_on": scope.cancelled_caught,
        "quick": elapsed < 5,
        "after": after,
        "cancelling": asyncio.current_task().cancelling(),
    }


async def _anyio_sleep_result(seconds: float, result: str) -> str:
    await anyio.sleep(seconds)
    return result


async def anyio_task_group(v: str) -> dict:
    done = []

    async def child(n: int) -> None:
        await anyio.sleep(0.01 * n)
        done.append(n)

    async with anyio.create_task_group() as group:
        group.start_soon(child, 2)
        group.start_soon(child, 1)
    return {"v": v, "done": done}


async def anyio_current_task(v: str) -> dict:
    before = anyio.get_current_task()
    await anyio.sleep(0.01)
    after = anyio.get_current_task()
    return {
        "v": v,
        "same_id": before.id == after.id,
        "id_is_asyncio_task": before.id == id(asyncio.current_task()),
        "name": before.name == asyncio.current_task().get_name(),
    }


async def echo(v: str) -> dict:
    me = asyncio.current_task()
    CURRENT.set(v)
    await asyncio.sleep(random.uniform(0, 0.02))
    await asyncio.sleep(0)
    return {"v": v, "context": CURRENT.get(), "same_task": asyncio.current_task() is me}


async def raise_after_suspension(v: str) -> dict:
    await asyncio.sleep(0.01)
    raise RuntimeError("handler failed after a suspension")


async def foreign_future(v: str) -> dict:
    await asyncio.sleep(0)
    await _FOREIGN_LOOP.create_future()
    return {"v": v, "unreachable": True}


async def foreign_future_caught(v: str) -> dict:
    try:
        await _FOREIGN_LOOP.create_future()
        error = "none"
    except RuntimeError as exc:
        error = type(exc).__name__
    after = await asyncio.sleep(0.01, result="still running")
    return {"v": v, "error": error, "after": after}


async def slow(v: str) -> dict:
    EVENTS.append("started " + v)
    await asyncio.sleep(0.5)
    EVENTS.append("finished " + v)
    return {"v": v, "slept": True}


async def events(v: str) -> dict:
    return {"v": v, "events": list(EVENTS)}


PROBES = {
    probe.__name__: probe
    for probe in (
        task_identity,
        timeout_unfired,
        timeout_fires_first_step,
        timeout_fires_after_suspension,
        wait_for_fires,
        self_cancel_first_step,
        self_cancel_after_suspension,
        double_cancel,
        cancel_uncaught,
        context,
        all_tasks,
        combinators,
        task_group,
        anyio_scopes,
        anyio_task_group,
        anyio_current_task,
        echo,
        raise_after_suspension,
        foreign_future,
        foreign_future_caught,
        slow,
        events,
    )
}


async def stream_chunks(v: str):
    """Chunks produced with suspensions in between, in the handler's own task."""
    me = asyncio.current_task()
    CURRENT.set(v)
    for i in range(5):
        await asyncio.sleep(0.005)
        yield f"{i}:{CURRENT.get()}:{asyncio.current_task() is me}\n"


# -- raw ASGI 3 ---------------------------------------------------------------------


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await complete_lifespan(receive, send)
    v = parse_qs(scope["query_string"].decode()).get("v", [""])[-1]
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        async for chunk in stream_chunks(v):
            await send({"type": "http.response.body", "body": chunk.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    probe = PROBES.get(path.removeprefix("/probe/"))
    if not path.startswith("/probe/") or probe is None:
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b"no such probe"})
        return
    body = json.dumps(await probe(v)).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


# -- Starlette ----------------------------------------------------------------------


async def run_probe(request: Request):
    probe = PROBES.get(request.path_params["name"])
    if probe is None:
        return JSONResponse({"detail": "no such probe"}, status_code=404)
    return JSONResponse(await probe(request.query_params.get("v", "")))


async def with_background(request: Request):
    v = request.query_params.get("v", "")
    me = asyncio.current_task()

    async def after_response() -> None:
        # Suspends first: the work must still run once the response has gone out.
        await asyncio.sleep(0.02)
        EVENTS.append(f"background {v} same_task={asyncio.current_task() is me}")

    return JSONResponse({"v": v}, background=BackgroundTask(after_response))


async def streaming(request: Request):
    return StreamingResponse(stream_chunks(request.query_params.get("v", "")), media_type="text/plain")


starlette_app = Starlette(
    routes=[
        Route("/probe/{name}", run_probe),
        Route("/background", with_background),
        Route("/stream", streaming),
    ]
)
