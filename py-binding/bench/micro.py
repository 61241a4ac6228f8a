"""Sans-IO throughput from Python, weft against the python-hyper peers, side by side.

Prints one JSON object per workload: {"name", "unit", "weft", "peer", "ratio"}, the
figures being medians of interleaved rounds (weft, peer, weft, peer, ...).
"""

import json
import statistics
import sys
import time

import h11
import h2.config
import h2.connection
import hpack
import wsproto.connection
import wsproto.events

import weft
from weft import http1, http2
from weft import hpack as whpack
from weft import ws as wws

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0

# A ~700-byte browser request.
REQUEST_HEADERS = [
    ("host", "www.example.com"),
    ("user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"),
    ("accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
    ("accept-language", "en-GB,en;q=0.7,fr;q=0.3"),
    ("accept-encoding", "gzip, deflate, br, zstd"),
    ("referer", "https://www.example.com/articles/2026/11/sans-io-http-in-rust?utm_source=feed"),
    ("cookie", "session=6f1c0e9b2d4a8f7e3c5b1a9d0e2f4c6b; theme=dark; consent=analytics,ads; lang=en"),
    ("upgrade-insecure-requests", "1"),
    ("sec-fetch-dest", "document"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-site", "same-origin"),
    ("sec-fetch-user", "?1"),
    ("priority", "u=0, i"),
    ("cache-control", "max-age=0"),
    ("if-none-match", 'W/"5e8f-1a2b3c4d5e6f"'),
]
PATH = "/articles/2026/11/sans-io-http-in-rust?page=2&sort=recent"
H1_REQUEST = (
    f"GET {PATH} HTTP/1.1\r\n".encode()
    + b"".join(f"{k.title()}: {v}\r\n".encode() for k, v in REQUEST_HEADERS)
    + b"\r\n"
)


def rate(fn, seconds):
    """Calls fn() (which returns a count) until `seconds` pass; returns count/s."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        count += fn()
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def compare(name, unit, weft_fn, peer_fn):
    weft_fn(), peer_fn()  # warm up and check both work
    ours, theirs = [], []
    for _ in range(ROUNDS):
        ours.append(rate(weft_fn, SECONDS))
        theirs.append(rate(peer_fn, SECONDS))
    a, b = statistics.median(ours), statistics.median(theirs)
    print(json.dumps({"name": name, "unit": unit, "weft": round(a), "peer": round(b), "ratio": round(a / b, 1)}), flush=True)


# -- HTTP/1.1: a new server connection per request; events = Request + EndOfMessage --

def weft_h1():
    total = 0
    for _ in range(100):
        conn = http1.Connection(weft.SERVER)
        conn.receive_data(H1_REQUEST)
        while True:
            event = conn.next_event()
            if event is http1.NEED_DATA or event is http1.PAUSED:
                break
            total += 1
    assert total == 200
    return total


def h11_h1():
    total = 0
    for _ in range(100):
        conn = h11.Connection(h11.SERVER)
        conn.receive_data(H1_REQUEST)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                break
            total += 1
    assert total == 200
    return total


# -- HTTP/2: a client connection's preface and 50 requests, fed to a fresh server ----

def h2_client_bytes(requests=50):
    client = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    client.initiate_connection()
    headers = [(":method", "GET"), (":scheme", "https"), (":authority", "www.example.com"), (":path", PATH)]
    headers += [(k, v) for k, v in REQUEST_HEADERS if k != "host"]
    for i in range(requests):
        client.send_headers(2 * i + 1, headers, end_stream=True)
    return client.data_to_send()


H2_WIRE = h2_client_bytes()


def weft_h2():
    server = http2.Connection(http2.H2Configuration(client_side=False))
    events = server.receive_data(H2_WIRE)
    n = sum(1 for e in events if isinstance(e, (http2.RequestReceived, http2.StreamEnded)))
    assert n == 100, n
    return n


def h2_h2():
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    server.initiate_connection()
    events = server.receive_data(H2_WIRE)
    n = sum(1 for e in events if type(e).__name__ in ("RequestReceived", "StreamEnded"))
    assert n == 100, n
    return n


# -- HPACK: the 50 request blocks of one connection, decoded and encoded --------------

H2_HEADER_LISTS = []
for i in range(50):
    H2_HEADER_LISTS.append(
        [(":method", "GET"), (":scheme", "https"), (":authority", "www.example.com"), (":path", f"{PATH}&n={i}")]
        + [(k, v) for k, v in REQUEST_HEADERS if k != "host"]
    )
_encoder = hpack.Encoder()
HPACK_BLOCKS = [_encoder.encode(h) for h in H2_HEADER_LISTS]


def weft_decode():
    decoder = whpack.Decoder()
    for block in HPACK_BLOCKS:
        decoder.decode(block, raw=True)
    return len(HPACK_BLOCKS)


def hpack_decode():
    decoder = hpack.Decoder()
    for block in HPACK_BLOCKS:
        decoder.decode(block, raw=True)
    return len(HPACK_BLOCKS)


def weft_encode():
    encoder = whpack.Encoder()
    for headers in H2_HEADER_LISTS:
        encoder.encode(headers)
    return len(H2_HEADER_LISTS)


def hpack_encode():
    encoder = hpack.Encoder()
    for headers in H2_HEADER_LISTS:
        encoder.encode(headers)
    return len(H2_HEADER_LISTS)


# -- WebSocket: 100 16-byte text messages per call, after the handshake --------------

WS_MESSAGES = 100
WS_TEXT = "0123456789abcdef"
_ws_client = wsproto.connection.Connection(wsproto.connection.ConnectionType.CLIENT)
# Masked, as a client writes them: one read carrying 100 frames.
WS_WIRE = b"".join(_ws_client.send(wsproto.events.TextMessage(data=WS_TEXT)) for _ in range(WS_MESSAGES))


def ws_receive(conn):
    def run():
        conn.receive_data(WS_WIRE)
        n = 0
        for event in conn.events():
            n += 1
        assert n == WS_MESSAGES, n
        return n

    return run


def ws_send(conn, message):
    def run():
        for _ in range(WS_MESSAGES):
            conn.send(message)
        return WS_MESSAGES

    return run


if __name__ == "__main__":
    assert len(H1_REQUEST) in range(650, 800), len(H1_REQUEST)
    compare("http1: weft.http1 vs h11 (server, events of a %d-byte request)" % len(H1_REQUEST), "events/s", weft_h1, h11_h1)
    compare("http2: weft.http2 vs h2 (server, events of 50 requests on one connection)", "events/s", weft_h2, h2_h2)
    compare("hpack decode: weft.hpack vs hpack (request header blocks)", "blocks/s", weft_decode, hpack_decode)
    compare("hpack encode: weft.hpack vs hpack (request header blocks)", "blocks/s", weft_encode, hpack_encode)
    server, client = wsproto.connection.ConnectionType.SERVER, wsproto.connection.ConnectionType.CLIENT
    compare(
        "ws receive: weft.ws vs wsproto (server, 100 masked 16-byte text frames per read, to events)",
        "messages/s",
        ws_receive(wws.Connection(wws.ConnectionType.SERVER)),
        ws_receive(wsproto.connection.Connection(server)),
    )
    compare(
        "ws send: weft.ws vs wsproto (server, 16-byte TextMessage to bytes)",
        "messages/s",
        ws_send(wws.Connection(wws.ConnectionType.SERVER), wws.TextMessage(data=WS_TEXT)),
        ws_send(wsproto.connection.Connection(server), wsproto.events.TextMessage(data=WS_TEXT)),
    )
    compare(
        "ws send: weft.ws vs wsproto (client, masked, 16-byte TextMessage to bytes)",
        "messages/s",
        ws_send(wws.Connection(wws.ConnectionType.CLIENT), wws.TextMessage(data=WS_TEXT)),
        ws_send(wsproto.connection.Connection(client), wsproto.events.TextMessage(data=WS_TEXT)),
    )
