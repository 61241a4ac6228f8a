"""The ASGI host's websocket scope (ASGI 2.4): a raw app for each rule of the spec, and
Starlette and FastAPI endpoints, over real sockets with the `websockets` client."""

import asyncio
import json
import socket
import time

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from .conftest import ServerProcess, free_port, wss_connect

# Rounds of /scope then /echo over TLS against one server.
TLS_ROUNDS = 50


@pytest.fixture(scope="module")
def raw():
    port = free_port()
    with ServerProcess(["-m", "weft", "tests.apps.asgi_ws:raw", "--port", str(port)], port) as proc:
        yield proc


def url(server, path):
    return f"ws://127.0.0.1:{server.port}{path}"


def log(server):
    return httpx.get(server.url + "/log").json()


def wait_for(server, entry, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if entry in log(server):
            return True
        time.sleep(0.05)
    return False


def test_echo_with_subprotocol_and_headers(raw):
    with connect(url(raw, "/echo"), subprotocols=["one", "two"]) as ws:
        assert ws.subprotocol == "two"
        assert ws.response.headers["x-accepted"] == "yes"
        ws.send("hello")
        assert ws.recv() == "hello"
        ws.send(b"\x00\x01")
        assert ws.recv() == b"\x00\x01"
        ws.send("é" * 50_000)
        assert ws.recv() == "é" * 50_000
        ws.close(4010, "client done")
    # websocket.disconnect carries the peer's code, once; a second receive() raises.
    assert wait_for(raw, ["echo disconnect", 4010])
    assert wait_for(raw, ["second receive raised"])


def test_send_gives_none(raw):
    with connect(url(raw, "/awaited")) as ws:
        assert ws.recv() == "sent"
        ws.send("back")
        assert ws.recv() == "back"
        with pytest.raises(ConnectionClosed):
            ws.recv()
    assert wait_for(raw, ["awaited", "None", "None", "None", "None"]), log(raw)


def test_a_cancelled_receive_takes_no_message(raw):
    with connect(url(raw, "/cancelled-receive")) as ws:
        assert ws.recv(timeout=5) == "timed out"
        assert ws.recv(timeout=5) == "cancelled"
        ws.send("after")
        assert ws.recv(timeout=5) == "after"


def test_scope(raw):
    with connect(url(raw, "/scope?a=1"), subprotocols=["p"]) as ws:
        scope = json.loads(ws.recv())
    assert scope["type"] == "websocket"
    assert scope["scheme"] == "ws"
    assert (scope["path"], scope["raw_path"], scope["query_string"]) == ("/scope", "/scope", "a=1")
    assert scope["subprotocols"] == ["p"]
    assert "websocket.http.response" in scope["extensions"]
    assert scope["http_version"] == "1.1"
    assert scope["asgi"]["spec_version"] == "2.4"
    assert not scope["has_method"]
    assert "sec-websocket-key" in scope["header_names"]


def status_of(server, path):
    with pytest.raises(InvalidStatus) as e:
        with connect(url(server, path)):
            pass
    return e.value.response.status_code, e.value.response.body


def test_handshake_refusals(raw):
    assert status_of(raw, "/deny") == (401, b"no entry")
    assert status_of(raw, "/close-before-accept")[0] == 403
    assert status_of(raw, "/undecided")[0] == 403
    assert status_of(raw, "/raises-before-accept")[0] == 500


def test_close_codes(raw):
    with connect(url(raw, "/raises-after-accept")) as ws:
        assert ws.recv() == "about to fail"
        with pytest.raises(ConnectionClosed) as e:
            ws.recv()
        assert e.value.rcvd.code == 1011
    with connect(url(raw, "/server-close")) as ws:
        assert ws.recv() == "closing"
        with pytest.raises(ConnectionClosed) as e:
            ws.recv()
        assert (e.value.rcvd.code, e.value.rcvd.reason) == (4003, "server says bye")
    assert wait_for(raw, ["send after close raised"])
    with connect(url(raw, "/returns")) as ws:
        assert ws.recv() == b"\x00done"
        with pytest.raises(ConnectionClosed) as e:
            ws.recv()
        assert e.value.rcvd.code == 1000


def test_a_client_that_vanishes(raw):
    sock = socket.create_connection(("127.0.0.1", raw.port))
    sock.sendall(
        b"GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    sock.close()
    assert wait_for(raw, ["echo disconnect", 1006])
    # Plain HTTP on the same paths still works.
    assert httpx.get(raw.url + "/echo").status_code == 200


@pytest.mark.parametrize("target", ["tests.apps.asgi_ws:starlette_app", "tests.apps.asgi_ws:fastapi_app"])
def test_frameworks(target):
    port = free_port()
    with ServerProcess(["-m", "weft", target, "--port", str(port)], port) as server:
        if target.endswith("starlette_app"):
            with connect(url(server, "/ws"), subprotocols=["chat"]) as ws:
                assert ws.subprotocol == "chat"
                ws.send("hi")
                assert ws.recv() == "starlette:hi"
                ws.send("close please")
                with pytest.raises(ConnectionClosed) as e:
                    ws.recv()
                assert (e.value.rcvd.code, e.value.rcvd.reason) == (4004, "as asked")
        else:
            with connect(url(server, "/items/7")) as ws:
                ws.send(json.dumps({"a": 1}))
                assert json.loads(ws.recv()) == {"item": 7, "got": {"a": 1}}


def test_ws_flags(port):
    # uvicorn's flags: --ws-max-size bounds a message (1009 beyond, RFC 6455 §7.4.1).
    args = ["-m", "weft", "tests.apps.asgi_ws:raw", "--port", str(port), "--ws-max-size", "1000", "--ws-per-message-deflate", "false"]
    with ServerProcess(args, port) as server:
        with connect(url(server, "/echo")) as ws:
            assert "permessage-deflate" not in ws.response.headers.get("sec-websocket-extensions", "")
            ws.send("x" * 1000)
            assert ws.recv() == "x" * 1000
            ws.send("x" * 1001)
            with pytest.raises(ConnectionClosed) as e:
                ws.recv()
            assert e.value.rcvd.code == 1009


def test_ws_none_serves_upgrades_as_http():
    port = free_port()
    with ServerProcess(["-m", "weft", "tests.apps.asgi_ws:raw", "--port", str(port), "--ws", "none"], port) as server:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(
            b"GET /echo HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.close()


def test_asgi_websocket_over_tls(tmp_path):
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    port = free_port()
    args = ["-m", "weft", "tests.apps.asgi_ws:raw", "--port", str(port), "--certfile", str(certfile), "--keyfile", str(keyfile)]

    async def scope_then_echo():
        async with wss_connect(f"wss://127.0.0.1:{port}/scope", context) as ws:
            scheme = json.loads(await ws.recv())["scheme"]
        async with wss_connect(f"wss://127.0.0.1:{port}/echo", context) as ws:
            await ws.send("over tls")
            return scheme, await ws.recv()

    with ServerProcess(args, port):
        # Many TLS connections one after another on one server: each must be answered
        # (a handshake, a closing handshake with its close_notify, and the next accept).
        for _ in range(TLS_ROUNDS):
            assert asyncio.run(asyncio.wait_for(scope_then_echo(), 10)) == ("wss", "over tls")


def client_frame(first_byte, payload):
    """A masked client frame (RFC 6455 §5.3) with a payload under 126 bytes."""
    key = b"\x01\x02\x03\x04"
    return bytes([first_byte, 0x80 | len(payload)]) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_frame(sock):
    """(opcode, payload) of the next server frame."""
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "the server closed the connection"
            data += chunk
        return data

    head = exactly(2)
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(exactly(2), "big")
    elif length == 127:
        length = int.from_bytes(exactly(8), "big")
    return head[0] & 0x0F, exactly(length)


def open_raw(port, path):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n".encode()
        + b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101")
    return sock


@pytest.mark.parametrize("round_", range(5))
def test_the_echo_precedes_the_close_for_what_follows_it(raw, round_):
    # Autobahn 3.2 and its kind: a message and a bad frame (RSV2 set) in one write. The
    # app answers an event-loop round trip after it took the message; its echo still
    # goes out before the Close 1002, and before the answer to the peer's own Close.
    sock = open_raw(raw.port, "/echo")
    sock.sendall(client_frame(0x81, b"first") + client_frame(0xA1, b"bad"))
    assert read_frame(sock) == (0x1, b"first")
    opcode, payload = read_frame(sock)
    assert (opcode, payload[:2]) == (0x8, (1002).to_bytes(2, "big"))
    sock.close()
    sock = open_raw(raw.port, "/echo")
    sock.sendall(client_frame(0x81, b"last") + client_frame(0x82, b"words") + client_frame(0x88, (1000).to_bytes(2, "big")))
    assert read_frame(sock) == (0x1, b"last")
    assert read_frame(sock) == (0x2, b"words")
    assert read_frame(sock)[0] == 0x8
    sock.close()
