"""WebSocket echo as a raw ASGI 3 app (weft, granian and uvicorn serve the same one)."""

ACCEPT = {"type": "websocket.accept"}


async def app(scope, receive, send):
    if scope["type"] != "websocket":
        return
    await receive()
    await send(ACCEPT)
    while True:
        message = await receive()
        if message["type"] != "websocket.receive":
            return
        text = message.get("text")
        if text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
