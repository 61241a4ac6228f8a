"""ASGI websocket apps for tests/test_asgi_ws.py: a raw ASGI app with one behaviour per
path, and the same echo in Starlette and FastAPI (`python -m weft tests.apps.asgi_ws:raw`)."""

import asyncio
import json

from fastapi import FastAPI, WebSocket as FastAPIWebSocket
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.apps import complete_lifespan

# What the apps saw, read back over HTTP at /log.
LOG = []


async def _receive_in_task(receive):
    return await receive()


async def raw(scope, receive, send):
    if scope["type"] == "lifespan":
        return await complete_lifespan(receive, send)
    if scope["type"] == "http":
        body = json.dumps(LOG).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
        return
    assert (await receive())["type"] == "websocket.connect"
    path = scope["path"]
    if path == "/echo":
        offered = scope["subprotocols"]
        await send({"type": "websocket.accept", "subprotocol": offered[-1] if offered else None, "headers": [(b"x-accepted", b"yes")]})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                LOG.append(["echo disconnect", message["code"]])
                try:
                    await receive()
                except OSError:
                    LOG.append(["second receive raised"])
                return
            if message.get("text") is not None:
                await send({"type": "websocket.send", "text": message["text"]})
            else:
                await send({"type": "websocket.send", "bytes": message["bytes"]})
    elif path == "/scope":
        await send({"type": "websocket.accept"})
        keys = ("type", "scheme", "path", "raw_path", "query_string", "subprotocols", "extensions", "http_version", "asgi")
        shown = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in scope.items() if k in keys}
        shown["has_method"] = "method" in scope
        shown["header_names"] = [n.decode() for n, _ in scope["headers"]]
        await send({"type": "websocket.send", "text": json.dumps(shown)})
        await send({"type": "websocket.close"})
    elif path == "/deny":
        await send({"type": "websocket.http.response.start", "status": 401, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "websocket.http.response.body", "body": b"no ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"entry"})
    elif path == "/close-before-accept":
        await send({"type": "websocket.close"})
    elif path == "/undecided":
        return
    elif path == "/raises-before-accept":
        raise RuntimeError("before accept")
    elif path == "/raises-after-accept":
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "about to fail"})
        raise RuntimeError("after accept")
    elif path == "/server-close":
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "closing"})
        await send({"type": "websocket.close", "code": 4003, "reason": "server says bye"})
        try:
            await send({"type": "websocket.send", "text": "too late"})
        except OSError:
            LOG.append(["send after close raised"])
    elif path == "/awaited":
        # ASGI 2.4: send() and receive() are awaitables; send's value is None.
        accepted = await send({"type": "websocket.accept"})
        sent = await send({"type": "websocket.send", "text": "sent"})
        message = await receive()
        echoed = await send({"type": "websocket.send", "text": message["text"]})
        closed = await send({"type": "websocket.close"})
        LOG.append(["awaited", repr(accepted), repr(sent), repr(echoed), repr(closed)])
    elif path == "/cancelled-receive":
        # A receive() given up on must not take the next message with it: once by
        # asyncio.wait_for (which cancels the awaitable itself), once by cancelling
        # the task that waits on it.
        await send({"type": "websocket.accept"})
        try:
            await asyncio.wait_for(receive(), 0.2)
        except asyncio.TimeoutError:
            await send({"type": "websocket.send", "text": "timed out"})
        task = asyncio.current_task()
        asyncio.get_running_loop().call_later(0.2, task.cancel)
        try:
            await receive()
        except asyncio.CancelledError:
            await send({"type": "websocket.send", "text": "cancelled"})
        # And a receive() awaited by a plain asyncio.Task still gets the message.
        message = await asyncio.ensure_future(_receive_in_task(receive))
        await send({"type": "websocket.send", "text": message["text"]})
    elif path == "/returns":
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "bytes": b"\x00done"})


async def starlette_echo(websocket: WebSocket):
    await websocket.accept(subprotocol="chat" if "chat" in websocket.scope["subprotocols"] else None)
    try:
        while True:
            text = await websocket.receive_text()
            if text == "close please":
                await websocket.close(code=4004, reason="as asked")
                return
            await websocket.send_text("starlette:" + text)
    except WebSocketDisconnect as e:
        LOG.append(["starlette disconnect", e.code])


starlette_app = Starlette(routes=[WebSocketRoute("/ws", starlette_echo)])

fastapi_app = FastAPI()


@fastapi_app.websocket("/items/{item_id}")
async def fastapi_echo(websocket: FastAPIWebSocket, item_id: int):
    await websocket.accept()
    async for data in websocket.iter_json():
        await websocket.send_json({"item": item_id, "got": data})


async def echo(scope, receive, send):
    """Echoes every message on any path: the Autobahn suite's peer, and the benchmark's."""
    if scope["type"] == "lifespan":
        return await complete_lifespan(receive, send)
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        try:
            await send({"type": "websocket.send", "bytes": message.get("bytes"), "text": message.get("text")})
        except OSError:
            # The peer closed meanwhile (ASGI 2.4: send() on a closed connection raises).
            return
