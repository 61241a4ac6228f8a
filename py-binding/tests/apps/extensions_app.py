"""ASGI extensions: trailers (and a gRPC-style service that needs them), pathsend, and
what the scope declares."""

import json
import struct
from urllib.parse import parse_qs


async def read_body(receive) -> bytes:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def grpc_frame(payload: bytes) -> bytes:
    """A gRPC length-prefixed message: no compression, 4-byte big-endian length."""
    return struct.pack(">?I", False, len(payload)) + payload


async def grpc(scope, receive, send):
    body = await read_body(receive)
    _, length = struct.unpack(">?I", body[:5])
    payload = body[5 : 5 + length]
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/grpc")],
            "trailers": True,
        }
    )
    if scope["path"] == "/demo.Echo/Say":
        await send({"type": "http.response.body", "body": grpc_frame(payload[::-1])})
        status, message = b"0", b""
    else:
        await send({"type": "http.response.body", "body": b""})
        status, message = b"5", b"nothing here"
    await send(
        {
            "type": "http.response.trailers",
            "headers": [(b"grpc-status", status), (b"grpc-message", message)],
        }
    )


async def app(scope, receive, send):
    if scope["type"] == "websocket" and scope["path"] == "/tls":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        extensions = scope["extensions"]
        await send({"type": "websocket.send", "text": json.dumps([sorted(extensions), extensions.get("tls")])})
        await send({"type": "websocket.close", "code": 1000})
        return
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path.startswith("/demo.Echo/"):
        return await grpc(scope, receive, send)
    query = parse_qs(scope["query_string"].decode())
    if path == "/extensions":
        body = json.dumps(sorted(scope.get("extensions", {}))).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
    elif path == "/early-hints":
        # Two 103s (RFC 8297 allows several), then the final response.
        await send({"type": "http.response.early_hint", "links": [b"</style.css>; rel=preload; as=style"]})
        await send(
            {
                "type": "http.response.early_hint",
                "links": [b"</app.js>; rel=preload; as=script", b"<https://cdn.example>; rel=preconnect"],
            }
        )
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"after the hints"})
    elif path == "/early-hint-too-late":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await send({"type": "http.response.early_hint", "links": [b"</late.css>; rel=preload"]})
            body = b"accepted"
        except RuntimeError:
            body = b"RuntimeError"
        await send({"type": "http.response.body", "body": body})
    elif path == "/tls":
        body = json.dumps(scope["extensions"].get("tls")).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
    elif path == "/trailers":
        await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
        if "single" in query:
            await send({"type": "http.response.body", "body": b"all at once"})
        else:
            await send({"type": "http.response.body", "body": b"hello ", "more_body": True})
            await send({"type": "http.response.body", "body": b"world"})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")], "more_trailers": True})
        await send({"type": "http.response.trailers", "headers": [(b"x-count", b"2")]})
    elif path == "/trailers-never-sent":
        await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
        await send({"type": "http.response.body", "body": b"no trailers after all"})
    elif path == "/file":
        target = query["path"][0]
        size = str(len(open(target, "rb").read())).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", size)]})
        await send({"type": "http.response.pathsend", "path": target})
    elif path == "/missing-file":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        try:
            await send({"type": "http.response.pathsend", "path": "/nonexistent/file"})
        except OSError as error:
            # Nothing went out: the application can still answer.
            body = type(error).__name__.encode()
            await send({"type": "http.response.body", "body": body})
