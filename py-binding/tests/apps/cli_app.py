"""An ASGI app for the command-line tests: who answered (process, client, scheme),
an environment variable, a slow route, and a route with its own server header."""

import asyncio
import json
import os

STARTED = {"lifespan": False}


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                STARTED["lifespan"] = True
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "websocket":
        # Who the server says connected, in the first text message.
        await receive()
        await send({"type": "websocket.accept"})
        who = {"client": list(scope["client"]) if scope.get("client") else None, "scheme": scope["scheme"]}
        await send({"type": "websocket.send", "text": json.dumps(who)})
        await send({"type": "websocket.close", "code": 1000})
        return
    path = scope["path"]
    headers = [(b"content-type", b"application/json")]
    if path == "/slow":
        await asyncio.sleep(float(dict(scope["headers"]).get(b"x-sleep", b"0.5")))
    if path == "/own-server":
        headers.append((b"server", b"mine"))
    body = {
        "pid": os.getpid(),
        "client": list(scope["client"]) if scope.get("client") else None,
        "server": list(scope["server"]) if scope.get("server") else None,
        "scheme": scope["scheme"],
        "root_path": scope.get("root_path", ""),
        "env": os.environ.get("WEFT_TEST_VALUE"),
        "lifespan": STARTED["lifespan"],
    }
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def make_app():
    """For --factory."""
    return app
