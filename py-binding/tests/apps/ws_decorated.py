"""Decorator WebSocket routes for tests/test_ws_server.py (`python -m tests.apps.ws_decorated PORT [CERT KEY]`)."""

import sys

import weft

app = weft.App()

# What the handlers saw end, read back through /log.
LOG = []


@app.websocket("/echo/{room}")
async def echo(ws: weft.WebSocket, room: str, prefix: str = ""):
    async for message in ws:
        if isinstance(message, str):
            await ws.send_text(f"{prefix}{room}:{message}")
        else:
            await ws.send_bytes(message[::-1])
    LOG.append(("echo ended", ws.close_status[0] if ws.close_status else None))


@app.websocket("/typed", subprotocols=["chat", "superchat"])
async def typed(websocket):
    text = await websocket.receive_text()
    data = await websocket.receive_bytes()
    await websocket.send_text(f"{text}|{len(data)}|{websocket.subprotocol}")
    await websocket.send_bytes(data)


@app.websocket("/close/{code}")
async def close(ws, code: int):
    await ws.send_text("bye")
    await ws.close(code, "server says bye")


@app.websocket("/returns")
async def returns(ws):
    await ws.send_text("done")


@app.websocket("/raises")
async def raises(ws):
    await ws.send_text("about to fail")
    raise RuntimeError("handler failure")


@app.websocket("/vanish")
async def vanish(ws):
    try:
        while True:
            await ws.receive()
    except weft.WebSocketDisconnect as e:
        LOG.append(("vanished", e.code))
        raise


@app.websocket("/awaited")
async def awaited(ws):
    # Every send is an awaitable whose value is None; a wrong type fails at the call.
    values = [await ws.send_text("sent"), await ws.send_bytes(b"sent")]
    for wrong in (lambda: ws.send_text(b"bytes"), lambda: ws.send_bytes("text")):
        try:
            wrong()
        except TypeError:
            values.append("TypeError")
    values.append(await ws.receive())
    values.append(await ws.close(4005, "done"))
    try:
        await ws.receive()
    except weft.WebSocketDisconnect as e:
        values.append(["disconnect", e.code, e.reason])
    LOG.append(("awaited", repr(values)))


@app.get("/log")
def log():
    return [list(entry) for entry in LOG]


if __name__ == "__main__":
    port = int(sys.argv[1])
    certfile = sys.argv[2] if len(sys.argv) > 2 else None
    keyfile = sys.argv[3] if len(sys.argv) > 3 else None
    app.run("127.0.0.1", port, certfile=certfile, keyfile=keyfile, shutdown_timeout=5.0)
