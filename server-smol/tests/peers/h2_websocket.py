"""WebSocket over HTTP/2 (RFC 8441) against server-smol's /ws echo, from independent
implementations: python-hyper's h2 speaks HTTP/2 and wsproto speaks WebSocket.

Over h2c (prior knowledge) and over TLS (ALPN h2), on one HTTP/2 connection each:
the server must advertise SETTINGS_ENABLE_CONNECT_PROTOCOL = 1; two extended CONNECT
streams open WebSockets while ordinary GETs are answered beside them; text, binary
and messages larger than a flow-control window are echoed on both sockets; each
closes with the closing handshake (1000 both ways) and END_STREAM both ways; and an
extended CONNECT to a path without a WebSocket route is refused with an HTTP status.

Usage: h2_websocket.py PLAIN_ADDR TLS_ADDR   (host:port each)
"""
import pathlib
import ssl
import sys

from wsproto.events import CloseConnection, Message

# The client is shared with the Python package's tests.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / "testdata" / "peers"))
from h2_websocket_client import Failure, H2Client, check  # noqa: E402


def connect(addr, tls):
    """A client on `addr`; over TLS it takes the server's test certificate unchecked."""
    host, port = addr.rsplit(":", 1)
    context = None
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return H2Client(host, port, context, server_hostname="localhost")


def whole(messages):
    """Joins fragments (wsproto may report a message in parts) into whole messages."""
    out, current = [], None
    for m in messages:
        current = m.data if current is None else current + m.data
        if m.message_finished:
            out.append(current)
            current = None
    return out


def exercise(addr, tls):
    label = "h2 over TLS" if tls else "h2c"
    c = connect(addr, tls)
    c.pump(lambda: c.settings_seen, "the server's SETTINGS")
    value = c.h2.remote_settings.enable_connect_protocol
    check(value == 1, f"SETTINGS_ENABLE_CONNECT_PROTOCOL is {value}, not 1")

    # Two WebSockets and ordinary requests, interleaved on the one connection.
    first = c.open_ws("/ws")
    before = c.get("/")
    second = c.open_ws("/ws")
    c.pump(
        lambda: all(s in c.responses for s in (first, second)) and before in c.ended,
        "the 200s and the first GET",
    )
    for s in (first, second):
        status, _, headers = c.responses[s]
        check(status == 200, f"extended CONNECT on stream {s} answered {status}")
        check("content-length" not in headers, "a 200 to CONNECT carries no content-length")
    check(c.responses[before][0] == 200, f"GET / answered {c.responses[before][0]}")
    check(c.responses[before][1] == b"Hello, World!", f"GET / body {c.responses[before][1]!r}")

    big = bytes(i * 7 % 256 for i in range(200_000))  # three windows and more
    plan = {
        first: [("text", "hello over HTTP/2"), ("bytes", bytes(range(256))), ("bytes", big)],
        second: [("text", "ünïcödé ✓"), ("text", "x" * 70_000), ("bytes", b"\x00\xff")],
    }
    for i in range(3):
        for s, items in plan.items():
            kind, payload = items[i]
            c.send_ws(s, Message(data=payload))
        during = c.get("/users/42")
        c.pump(lambda: during in c.ended, "a GET between messages")
        check(c.responses[during][0] == 200, "GET between WebSocket messages")
    for s, items in plan.items():
        expected = [payload for _, payload in items]
        c.pump(lambda: len(whole(c.messages(s))) >= len(expected), f"echoes on stream {s}")
        got = whole(c.messages(s))
        for (kind, payload), echoed in zip(items, got):
            check(type(echoed) is type(payload), f"{kind} came back as {type(echoed).__name__}")
            check(echoed == payload, f"stream {s}: echo of a {len(payload)}-long {kind} differs")

    # The closing handshake on each socket, then END_STREAM both ways.
    for s in (first, second):
        c.send_ws(s, CloseConnection(code=1000, reason="done"))
    for s in (first, second):
        c.pump(
            lambda: any(isinstance(e, CloseConnection) for e in c.received[s]),
            f"the server's Close on stream {s}",
        )
        close = next(e for e in c.received[s] if isinstance(e, CloseConnection))
        check(close.code == 1000, f"the server closed with {close.code}")
        c.h2.end_stream(s)
        c.flush()
    c.pump(lambda: first in c.ended and second in c.ended, "END_STREAM from the server")

    # An extended CONNECT to a path with no WebSocket route gets an HTTP answer.
    refused = c.open_ws("/")
    c.pump(lambda: refused in c.responses, "the refusal")
    status = c.responses[refused][0]
    check(400 <= status < 500, f"extended CONNECT to / answered {status}, not a 4xx")

    after = c.get("/")
    c.pump(lambda: after in c.ended, "a GET after the WebSockets")
    check(c.responses[after][1] == b"Hello, World!", "GET / after the WebSockets")
    c.h2.close_connection()
    c.flush()
    c.sock.close()
    print(f"h2 + wsproto over {label} via {addr}: ok")


def main():
    plain, tls = sys.argv[1], sys.argv[2]
    try:
        exercise(plain, tls=False)
        exercise(tls, tls=True)
    except Failure as failure:
        print(f"h2_websocket: FAIL: {failure}")
        sys.exit(1)


if __name__ == "__main__":
    main()
