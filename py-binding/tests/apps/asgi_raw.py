"""Plain ASGI 3 apps for the host tests (no framework)."""

import asyncio

events = []


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["started"] = "yes"
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    assert scope["type"] == "http"
    path = scope["path"]
    if path == "/scope":
        import json

        body = json.dumps(
            {
                "method": scope["method"],
                "path": scope["path"],
                "raw_path": scope["raw_path"].decode(),
                "query_string": scope["query_string"].decode(),
                "http_version": scope["http_version"],
                "scheme": scope["scheme"],
                "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
                "state": scope.get("state", {}),
                "client": list(scope["client"]) if scope["client"] else None,
            }
        ).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})
    elif path == "/sched":
        import os

        # The scheduling policy of the thread the application runs on (the loop's).
        body = str(os.sched_getscheduler(0)).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
    elif path == "/echo":
        chunks = []
        while True:
            message = await receive()
            assert message["type"] == "http.request"
            chunks.append(message["body"])
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-chunks", str(len(chunks)).encode())]})
        await send({"type": "http.response.body", "body": body})
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for i in range(100):
            await send({"type": "http.response.body", "body": b"line %d\n" % i, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path == "/big":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        block = b"x" * 65536
        for _ in range(64):
            await send({"type": "http.response.body", "body": block, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/forever":
        # Streams until the client goes away; records that send() raised.
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            while True:
                await send({"type": "http.response.body", "body": b"." * 1024, "more_body": True})
                await asyncio.sleep(0.001)
        except OSError:
            events.append("disconnected")
    elif path == "/watch-disconnect":
        # Reads the request, starts a response, then waits in receive() for the client
        # to go away (ASGI: http.disconnect once the exchange is over).
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"waiting", "more_body": True})
        message = await receive()
        events.append("receive:" + message["type"])
    elif path == "/long-poll":
        # Waits in receive() before any response: the client giving up is the only
        # way this request ends.
        while (await receive()).get("more_body"):
            pass
        message = await receive()
        events.append("long-poll:" + message["type"])
    elif path == "/after-response":
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})
        message = await receive()
        events.append("after:" + message["type"])
    elif path == "/events":
        body = ",".join(events).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
    elif path == "/crash":
        raise RuntimeError("app bug")
    elif path == "/bad-header":
        # CR LF in a value: a response-splitting attempt that must not reach the wire.
        headers = [(b"x-bad", b"a\r\nx-injected: 1")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"never sent"})
    elif path == "/nothing":
        return
    else:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"Hello, world!"})
