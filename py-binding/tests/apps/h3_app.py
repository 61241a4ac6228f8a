"""The HTTP/3 tests' apps: an ASGI one (``tests.apps.h3_app:asgi``, run by the ``weft``
command) and a decorator one (``python -m tests.apps.h3_app PORT CERTFILE KEYFILE``,
run by ``App.run(h3=True)``). Each answers with the request's HTTP version, echoes a
POST body and streams a response in pieces; both echo WebSocket messages on /ws (over
HTTP/3, an extended CONNECT, RFC 9220)."""

import asyncio
import json
import sys

import weft

#: The pieces of the streamed response, sent with a pause between them.
PIECES = [b"piece%d;" % i for i in range(5)]


async def asgi(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = "startup" if message["type"] == "lifespan.startup" else "shutdown"
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    if scope["type"] == "websocket":
        # Over HTTP/3 the handshake was an extended CONNECT (RFC 9220).
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                text = f"echo:{message['text']}"
                if message["text"] == "version":
                    text = scope["http_version"]
                elif message["text"] == "tls":
                    text = json.dumps(scope["extensions"].get("tls"))
                await send({"type": "websocket.send", "text": text})
            else:
                await send({"type": "websocket.send", "bytes": message["bytes"]})
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for piece in PIECES:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            await asyncio.sleep(0.02)
        await send({"type": "http.response.body", "body": b""})
        return
    answer = {"http_version": scope["http_version"], "method": scope["method"], "scheme": scope["scheme"]}
    answer["tls"] = scope.get("extensions", {}).get("tls")
    headers = [(b"content-type", b"application/json")]
    if scope["path"] == "/echo":
        headers = [(b"content-type", b"application/octet-stream"), (b"x-version", scope["http_version"].encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


app = weft.App()


@app.get("/version")
def version(request: weft.Request):
    return {"http_version": request.http_version, "method": request.method}


@app.post("/echo")
async def echo(request: weft.Request):
    headers = {"x-version": request.http_version}
    return weft.Response(request.body(), headers=headers, media_type="application/octet-stream")


@app.get("/stream")
async def stream():
    async def pieces():
        for piece in PIECES:
            yield piece
            await asyncio.sleep(0.02)

    return weft.Response(pieces(), media_type="text/plain")


@app.websocket("/ws")
async def ws_echo(ws: weft.WebSocket):
    async for message in ws:
        if isinstance(message, str):
            await ws.send_text(f"echo:{message}")
        else:
            await ws.send_bytes(message)


if __name__ == "__main__":
    port, certfile, keyfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    app.run("127.0.0.1", port, certfile=certfile, keyfile=keyfile, h3=True, shutdown_timeout=5.0)
