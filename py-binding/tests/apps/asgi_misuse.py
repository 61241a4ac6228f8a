"""An ASGI 3 app that misuses `send` and `receive` on purpose (tests/test_asgi_misuse.py).

`/start/<case>` sends one malformed `http.response.start` and reports what `send()`
did: the body names the exception it raised, or says "accepted". `/body/<case>` does
the same for a malformed `http.response.body` after a valid start. The other paths
each get one ordering mistake; what happened to the app is kept in `EVENTS` and read
back through `/events/<name>`.
"""

import asyncio
import json

from tests.apps import complete_lifespan


class Truthy:
    def __bool__(self):
        return True


class BadBool:
    def __bool__(self):
        raise ZeroDivisionError("no truth here")


START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}

BAD_STARTS = {
    "type-missing": {"status": 200, "headers": []},
    "type-bytes": {"type": b"http.response.start", "status": 200, "headers": []},
    "type-unknown": {"type": "http.response.bogus", "status": 200, "headers": []},
    "type-websocket": {"type": "websocket.accept"},
    "status-str": {"type": "http.response.start", "status": "200", "headers": []},
    "status-float": {"type": "http.response.start", "status": 200.0, "headers": []},
    "status-bool": {"type": "http.response.start", "status": True, "headers": []},
    "status-none": {"type": "http.response.start", "status": None, "headers": []},
    "status-missing": {"type": "http.response.start", "headers": []},
    "status-negative": {"type": "http.response.start", "status": -200, "headers": []},
    "status-huge": {"type": "http.response.start", "status": 70000, "headers": []},
    "status-1000": {"type": "http.response.start", "status": 1000, "headers": []},
    "status-42": {"type": "http.response.start", "status": 42, "headers": []},
    "status-0": {"type": "http.response.start", "status": 0, "headers": []},
    "status-101": {"type": "http.response.start", "status": 101, "headers": []},
    "status-103": {"type": "http.response.start", "status": 103, "headers": []},
    "headers-none": {"type": "http.response.start", "status": 200, "headers": None},
    "headers-dict-bytes": {"type": "http.response.start", "status": 200, "headers": {b"x-a": b"1"}},
    "headers-dict-str": {"type": "http.response.start", "status": 200, "headers": {"x-ab": "1"}},
    "headers-str": {"type": "http.response.start", "status": 200, "headers": "x-a"},
    "headers-str-items": {"type": "http.response.start", "status": 200, "headers": ["xy", "ab"]},
    "headers-bytes-items": {"type": "http.response.start", "status": 200, "headers": [b"xy"]},
    "headers-str-pair": {"type": "http.response.start", "status": 200, "headers": [("x-a", "1")]},
    "headers-triple": {"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1", b"2")]},
    "headers-single": {"type": "http.response.start", "status": 200, "headers": [(b"x-a",)]},
    "headers-int-value": {"type": "http.response.start", "status": 200, "headers": [(b"x-a", 1)]},
    "headers-list-of-ints": {"type": "http.response.start", "status": 200, "headers": [(b"x-a", [49])]},
    "name-space": {"type": "http.response.start", "status": 200, "headers": [(b"x a", b"1")]},
    "name-colon": {"type": "http.response.start", "status": 200, "headers": [(b"x:a", b"1")]},
    "name-empty": {"type": "http.response.start", "status": 200, "headers": [(b"", b"1")]},
    "name-nonascii": {"type": "http.response.start", "status": 200, "headers": [(b"x-\xe9", b"1")]},
    "name-crlf": {"type": "http.response.start", "status": 200, "headers": [(b"x-a\r\nx-b", b"1")]},
    "value-crlf": {"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1\r\nx-b: 2")]},
    "value-nul": {"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1\x002")]},
    "message-list": [("type", "http.response.start"), ("status", 200)],
}

BAD_BODIES = {
    "str": {"type": "http.response.body", "body": "text"},
    "none": {"type": "http.response.body", "body": None},
    "int": {"type": "http.response.body", "body": 5},
    "list-of-ints": {"type": "http.response.body", "body": [104, 105]},
    "more-body-raises": {"type": "http.response.body", "body": b"x", "more_body": BadBool()},
}

# Accepted forms: each must produce the body "ok" (or stream it as such).
GOOD_BODIES = {
    "bytearray": [{"type": "http.response.body", "body": bytearray(b"ok")}],
    "memoryview": [{"type": "http.response.body", "body": memoryview(b"xoky")[1:3]}],
    "bytes-subclass": [{"type": "http.response.body", "body": type("B", (bytes,), {})(b"ok")}],
    "more-body-truthy": [
        {"type": "http.response.body", "body": b"o", "more_body": Truthy()},
        {"type": "http.response.body", "body": b"k", "more_body": 0},
    ],
    "more-body-int": [
        {"type": "http.response.body", "body": b"o", "more_body": 1},
        {"type": "http.response.body", "body": b"k", "more_body": None},
    ],
    "extra-keys": [{"type": "http.response.body", "body": b"ok", "more_body": False, "x-weft-unknown": object()}],
    "empty-message": [{"type": "http.response.body", "body": b"ok", "more_body": True}, {"type": "http.response.body"}],
}

# Accepted start messages: each answers 200 with body "ok".
GOOD_STARTS = {
    "list-of-lists": {"type": "http.response.start", "status": 200, "headers": [[b"x-a", b"1"]]},
    "tuple-of-tuples": {"type": "http.response.start", "status": 200, "headers": ((b"x-a", b"1"),)},
    # Made per request: a generator is used up by the first.
    "generator": lambda: {"type": "http.response.start", "status": 200, "headers": ((b"x-a", b"1") for _ in range(1))},
    "iterator-pairs": lambda: {"type": "http.response.start", "status": 200, "headers": [iter((b"x-a", b"1"))]},
    "intenum-status": {"type": "http.response.start", "status": __import__("http").HTTPStatus.OK, "headers": [(b"x-a", b"1")]},
    "bytearray-items": {"type": "http.response.start", "status": 200, "headers": [(bytearray(b"x-a"), bytearray(b"1"))]},
    "uppercase-name": {"type": "http.response.start", "status": 200, "headers": [(b"X-A", b"1")]},
    "no-headers": {"type": "http.response.start", "status": 200},
    "extra-keys": {"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")], "trailers": False, "x-unknown": 1},
}

EVENTS = {}


def outcome(error):
    if error is None:
        return "accepted"
    return f"{type(error).__name__}: {error}"


async def report(send, text, status=200):
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": text.encode()})


async def try_send(send, message):
    try:
        await send(message)
    except Exception as error:  # noqa: BLE001 - what the app saw is the point
        return error
    return None


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        return await complete_lifespan(receive, send)
    assert scope["type"] == "http"
    parts = scope["path"].strip("/").split("/")
    kind, case = parts[0], "/".join(parts[1:])

    if kind == "start":
        error = await try_send(send, BAD_STARTS[case])
        if error is None:
            # The malformed head was taken: finish the response so the test sees
            # what went out.
            await send({"type": "http.response.body", "body": b"accepted"})
        else:
            await report(send, outcome(error))
    elif kind == "good-start":
        message = GOOD_STARTS[case]
        await send(message() if callable(message) else message)
        await send({"type": "http.response.body", "body": b"ok"})
    elif kind == "body":
        await send(START)
        error = await try_send(send, BAD_BODIES[case])
        # Whatever the outcome, the response must still be completable.
        rest = await try_send(send, {"type": "http.response.body", "body": (" | " + outcome(error)).encode()})
        EVENTS[scope["path"]] = [outcome(error), outcome(rest)]
    elif kind == "good-body":
        await send(START)
        for message in GOOD_BODIES[case]:
            await send(message)
    elif kind == "scope":
        await report(send, repr(sorted(scope.get("extensions", {}) or {})))
    elif kind == "extension":
        # Extensions weft does not advertise must be refused; the ones it does
        # (trailers, pathsend, early_hint) are refused here for coming in the middle of
        # the body.
        await send({**START, "trailers": True})
        messages = {
            "trailers": {"type": "http.response.trailers", "headers": [(b"x-t", b"1")], "more_trailers": False},
            "pathsend": {"type": "http.response.pathsend", "path": "/etc/hostname"},
            "zerocopysend": {"type": "http.response.zerocopysend", "file": 0},
            "early-hint": {"type": "http.response.early_hint", "links": []},
            "push": {"type": "http.response.push", "path": "/x", "headers": []},
        }
        await send({"type": "http.response.body", "body": b"body", "more_body": True})
        error = await try_send(send, messages[case])
        await send({"type": "http.response.body", "body": (" " + outcome(error)).encode()})
    elif kind == "order":
        await order(case, scope, receive, send)
    elif kind == "head":
        await head(case, send)
    elif kind == "not-a-coroutine":
        return None
    elif kind == "framing":
        await framing(case, send)
    elif kind == "hop-by-hop":
        # Fields that mean something for one HTTP/1.1 connection only.
        fields = {
            "connection-close": [(b"connection", b"close")],
            "keep-alive": [(b"connection", b"keep-alive"), (b"keep-alive", b"timeout=5")],
            "chunked": [(b"transfer-encoding", b"chunked")],
            "upgrade": [(b"upgrade", b"websocket"), (b"connection", b"upgrade")],
            "proxy-connection": [(b"proxy-connection", b"keep-alive")],
            "te": [(b"te", b"trailers")],
            "date": [(b"date", b"Tue, 01 Jan 2030 00:00:00 GMT")],
            "length-and-chunked": [(b"content-length", b"5"), (b"transfer-encoding", b"chunked")],
            "gzip-coding": [(b"transfer-encoding", b"gzip")],
            "identity-coding": [(b"transfer-encoding", b"identity")],
        }[case]
        await send({**START, "headers": [(b"content-type", b"text/plain"), *fields]})
        await send({"type": "http.response.body", "body": b"he", "more_body": True})
        await send({"type": "http.response.body", "body": b"llo"})
    elif kind == "events":
        await report(send, json.dumps(EVENTS.get("/" + case)))
    elif kind == "upgrade":
        await report(send, "plain http " + scope["http_version"])
    else:
        await report(send, "not found", 404)


async def order(case, scope, receive, send):
    events = EVENTS.setdefault(scope["path"], [])
    if case == "body-before-start":
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b"x"})))
        await report(send, "after")
    elif case == "start-twice":
        await send(START)
        events.append(outcome(await try_send(send, {**START, "status": 404})))
        await send({"type": "http.response.body", "body": b"once"})
    elif case == "start-after-body":
        await report(send, "done")
        events.append(outcome(await try_send(send, START)))
    elif case == "body-after-end":
        await report(send, "done")
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b"more"})))
    elif case == "body-after-streamed-end":
        await send(START)
        await send({"type": "http.response.body", "body": b"a", "more_body": True})
        await send({"type": "http.response.body", "body": b"b"})
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b"more"})))
    elif case == "nothing":
        return
    elif case == "start-only":
        await send(START)
    elif case == "raise-before-start":
        raise RuntimeError("the app failed")
    elif case == "raise-after-start":
        await send(START)
        raise RuntimeError("the app failed")
    elif case == "raise-mid-stream":
        await send(START)
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise RuntimeError("the app failed")
    elif case == "return-mid-stream":
        await send(START)
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    elif case.startswith("base-exception/"):
        # BaseExceptions an app can raise by mistake (sys.exit() in a handler, a
        # stray cancellation); `/started` raises after http.response.start.
        name, _, when = case[len("base-exception/"):].partition("/")
        if when == "started":
            await send(START)
        elif when == "later":
            # Raised from a later step of the coroutine, resumed by the loop.
            await asyncio.sleep(0.01)
        elif when == "streaming":
            await send(START)
            await send({"type": "http.response.body", "body": b"partial", "more_body": True})
            await asyncio.sleep(0.01)
        error = {
            "systemexit": SystemExit(3),
            "keyboardinterrupt": KeyboardInterrupt(),
            "cancelled": asyncio.CancelledError(),
            "generatorexit": GeneratorExit(),
            "custom": type("Custom", (BaseException,), {})(),
        }[name]
        raise error
    elif case == "never-returns":
        events.append("started")
        await asyncio.Event().wait()
    elif case.split("/")[0] == "receive-after-disconnect":
        # The request body, then the response, then wait for the client to leave.
        # (A suffix after the case only keeps repeated rounds' events apart.)
        while (await receive()).get("more_body"):
            pass
        await send(START)
        # The head leaves with this chunk, so the client cannot have left before it.
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b"x", "more_body": True})))
        first = await receive()
        second = await asyncio.wait_for(receive(), 5)
        events.extend([first["type"], second["type"]])
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b"late"})))
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b"late", "more_body": True})))
    elif case == "send-after-disconnect":
        # Waits for the client to go away before answering at all.
        while (await receive()).get("more_body"):
            pass
        message = await asyncio.wait_for(receive(), 10)
        events.append(message["type"])
        events.append(outcome(await try_send(send, START)))
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b"late"})))
    else:
        await report(send, "no such case", 404)


async def head(case, send):
    # Responses whose body must not go on the wire (HEAD requests, 204, 304).
    if case == "full":
        await send({**START, "headers": [(b"content-length", b"5")]})
        await send({"type": "http.response.body", "body": b"hello"})
    elif case == "full-no-length":
        await send(START)
        await send({"type": "http.response.body", "body": b"hello"})
    elif case == "streamed":
        EVENTS["/head/streamed"] = events = []
        await send(START)
        for chunk in (b"he", b"ll", b"o"):
            events.append(outcome(await try_send(send, {"type": "http.response.body", "body": chunk, "more_body": True})))
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b""})))
    elif case in ("204", "304"):
        await send({**START, "status": int(case)})
        await send({"type": "http.response.body", "body": b"must not be sent"})
    elif case in ("204-streamed", "304-streamed"):
        EVENTS["/head/" + case] = events = []
        await send({**START, "status": int(case[:3])})
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b"must not", "more_body": True})))
        events.append(outcome(await try_send(send, {"type": "http.response.body", "body": b" be sent"})))
    elif case == "204-with-chunked":
        await send({**START, "status": 204, "headers": [(b"transfer-encoding", b"chunked")]})
        await send({"type": "http.response.body", "body": b"must not be sent"})
    elif case == "204-with-length":
        await send({**START, "status": 204, "headers": [(b"content-length", b"16")]})
        await send({"type": "http.response.body", "body": b"must not be sent"})


async def framing(case, send):
    # Framing fields the app set itself, and a body that does not keep to them.
    declared, _, how = case.partition("/")
    await send({**START, "headers": [(b"content-length", declared.encode())]})
    if how == "full":
        await send({"type": "http.response.body", "body": b"hello"})
        return
    await send({"type": "http.response.body", "body": b"hel", "more_body": True})
    await send({"type": "http.response.body", "body": b"lo", "more_body": True})
    await send({"type": "http.response.body", "body": b""})
