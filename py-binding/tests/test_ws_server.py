"""`@app.websocket` routes served by weft's Rust server, exercised with the `websockets`
client library (cleartext and TLS) and raw sockets."""

import asyncio
import socket
import ssl
import time

import httpx
import pytest
import trustme
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .conftest import ServerProcess, free_port, wss_connect


@pytest.fixture(scope="module")
def server():
    port = free_port()
    with ServerProcess(["-m", "tests.apps.ws_decorated", str(port)], port) as proc:
        yield proc


def ws_url(server, path):
    return f"ws://127.0.0.1:{server.port}{path}"


def test_echo_text_and_bytes_with_path_and_query_params(server):
    with connect(ws_url(server, "/echo/lobby?prefix=%3E")) as ws:
        ws.send("hello")
        assert ws.recv() == ">lobby:hello"
        ws.send(b"\x01\x02\x03")
        assert ws.recv() == b"\x03\x02\x01"
        big = "é" * 100_000
        ws.send(big)
        assert ws.recv() == ">lobby:" + big
        for i in range(200):
            ws.send(str(i))
        assert [ws.recv() for _ in range(200)] == [f">lobby:{i}" for i in range(200)]


def test_typed_receive_and_subprotocol(server):
    with connect(ws_url(server, "/typed"), subprotocols=["other", "chat"]) as ws:
        assert ws.subprotocol == "chat"
        ws.send("text")
        ws.send(b"12345")
        assert ws.recv() == "text|5|chat"
        assert ws.recv() == b"12345"
        # The handler returned: the server closes with 1000.
        with pytest.raises(ConnectionClosed) as e:
            ws.recv()
        assert e.value.rcvd.code == 1000


@pytest.mark.parametrize("code", [1000, 1001, 4001])
def test_server_initiated_close(server, code):
    with connect(ws_url(server, f"/close/{code}")) as ws:
        assert ws.recv() == "bye"
        with pytest.raises(ConnectionClosed) as e:
            ws.recv()
        assert (e.value.rcvd.code, e.value.rcvd.reason) == (code, "server says bye")


def test_a_handler_that_returns_closes_1000_and_one_that_raises_1011(server):
    with connect(ws_url(server, "/returns")) as ws:
        assert ws.recv() == "done"
        with pytest.raises(ConnectionClosed) as e:
            ws.recv()
        assert e.value.rcvd.code == 1000
    with connect(ws_url(server, "/raises")) as ws:
        assert ws.recv() == "about to fail"
        with pytest.raises(ConnectionClosed) as e:
            ws.recv()
        assert e.value.rcvd.code == 1011


def test_sends_give_none_and_receive_raises_at_the_end(server):
    with connect(ws_url(server, "/awaited")) as ws:
        assert ws.recv() == "sent"
        assert ws.recv() == b"sent"
        ws.send("last")
        with pytest.raises(ConnectionClosed) as e:
            ws.recv()
        assert e.value.rcvd.code == 4005
    values = ["None", "None", "'TypeError'", "'TypeError'", "'last'", "None", "['disconnect', 4005, 'done']"]
    assert wait_for_log(server, ["awaited", "[" + ", ".join(values) + "]"])


def test_client_close_ends_the_handler_loop(server):
    with connect(ws_url(server, "/echo/a")) as ws:
        ws.send("x")
        ws.recv()
        ws.close(4002, "client leaves")
    assert wait_for_log(server, ["echo ended", 4002])


def test_a_client_that_vanishes(server):
    # An upgrade on a raw socket, then the socket is dropped without a Close.
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(
        b"GET /vanish HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    sock.close()
    assert wait_for_log(server, ["vanished", 1006])
    # The server carries on.
    with connect(ws_url(server, "/echo/b")) as ws:
        ws.send("still here")
        assert ws.recv() == "b:still here"


def test_an_unknown_path_and_a_plain_get_are_http(server):
    with pytest.raises(Exception):
        with connect(ws_url(server, "/nowhere")):
            pass
    assert httpx.get(server.url + "/log").status_code == 200


def wait_for_log(server, entry, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if entry in httpx.get(server.url + "/log").json():
            return True
        time.sleep(0.05)
    return False


def test_over_tls(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    port = free_port()
    context = ssl.create_default_context()
    ca.configure_trust(context)

    async def echo():
        async with wss_connect(f"wss://127.0.0.1:{port}/echo/tls", context) as ws:
            await ws.send("secret")
            return await ws.recv()

    with ServerProcess(["-m", "tests.apps.ws_decorated", str(port), str(certfile), str(keyfile)], port):
        assert asyncio.run(asyncio.wait_for(echo(), 10)) == "tls:secret"
