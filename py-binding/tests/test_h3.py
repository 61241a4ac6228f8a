"""HTTP/3 from Python: ``weft app:app --h3`` (ASGI) and ``App.run(h3=True)``
(decorators) answer aioquic's HTTP/3 client over QUIC on the TLS port, with
``http_version`` "3", request bodies and streamed responses, and decorator WebSocket
routes over extended CONNECT (RFC 9220); without TLS, ``--h3`` is refused with the
reason."""

import asyncio
import json
import os
import select
import ssl
import subprocess
import sys
import time

import httpx
import pytest
from aioquic.asyncio import connect
from aioquic.h3.connection import H3_ALPN, Setting
from aioquic.quic.configuration import QuicConfiguration
from h3_aioquic_client import H3Client
from wsproto.connection import Connection, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, TextMessage

from .apps.h3_app import PIECES
from .conftest import PACKAGE_DIR, ServerProcess, free_port


def over_h3(pki, port, exchange):
    """Runs `exchange(client)` on one QUIC connection to 127.0.0.1:`port`, the
    server's certificate checked against the test authority."""

    async def main():
        config = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, server_name="localhost")
        config.load_verify_locations(str(pki / "ca.pem"))
        async with connect("127.0.0.1", port, configuration=config, create_protocol=H3Client) as client:
            return await exchange(client)

    return asyncio.run(main())


async def the_checks(client, websocket_routes=None):
    """GET, a POST with a 300 KiB body echoed, and a streamed response; the server
    offers extended CONNECT (RFC 9220) exactly when the app has WebSocket routes
    (`websocket_routes`, unchecked if None)."""
    r = await client.request(b"GET", b"/version")
    assert r.headers[b":status"] == b"200", r.headers
    answer = json.loads(bytes(r.body))
    assert answer["http_version"] == "3" and answer["method"] == "GET", answer

    payload = bytes(range(256)) * 1200
    length = str(len(payload)).encode()
    r = await client.request(b"POST", b"/echo", body=payload, headers=[(b"content-length", length)])
    assert r.headers[b":status"] == b"200", r.headers
    assert r.headers[b"x-version"] == b"3"
    assert bytes(r.body) == payload, len(r.body)

    r = await client.request(b"GET", b"/stream")
    assert r.headers[b":status"] == b"200", r.headers
    assert bytes(r.body) == b"".join(PIECES)
    # The pieces were sent 20 ms apart: they arrive as they are produced, not at the end.
    assert len(r.pieces) >= 3, r.pieces
    if websocket_routes is not None:
        settings = client.h3.received_settings
        assert settings.get(Setting.ENABLE_CONNECT_PROTOCOL, 0) == int(websocket_routes), settings
    return answer


async def websocket_echo(client, asgi=True):
    """A WebSocket route over an extended CONNECT: text and binary echoed, the ASGI
    scope's `http_version` (`asgi`), then the closing handshake, wsproto speaking
    WebSocket on the request stream."""
    fields = [(b":method", b"CONNECT"), (b":protocol", b"websocket"), (b":scheme", b"https")]
    fields += [(b":authority", b"localhost"), (b":path", b"/ws"), (b"sec-websocket-version", b"13")]
    sid, r = client.open(fields, end_stream=False)
    ws = Connection(ConnectionType.CLIENT)
    client.transmit()

    async def exchange(event, expected):
        """Sends `event`, then waits for `expected` wsproto events from the server."""
        client.h3.send_data(sid, ws.send(event), end_stream=False)
        client.transmit()
        got, parts = [], []
        while len(got) < expected:
            while not r.body:
                await asyncio.wait_for(r.arrived.wait(), 20)
                r.arrived.clear()
            ws.receive_data(bytes(r.body))
            r.body.clear()
            for e in ws.events():
                # wsproto hands a message over in pieces as its bytes arrive.
                if isinstance(e, (TextMessage, BytesMessage)):
                    parts.append(e.data)
                    if not e.message_finished:
                        continue
                    e = type(e)(data=parts[0][:0].join(parts))
                    parts = []
                got.append(e)
        return got

    await asyncio.wait_for(r.arrived.wait(), 20)
    assert r.headers[b":status"] == b"200", r.headers
    [text] = await exchange(TextMessage(data="hello"), 1)
    assert text.data == "echo:hello", text
    if asgi:
        [version] = await exchange(TextMessage(data="version"), 1)
        assert version.data == "3", version
        [tls] = await exchange(TextMessage(data="tls"), 1)
        check_tls_over_quic(json.loads(tls.data))
    [data] = await exchange(BytesMessage(data=b"\x00\x01" * 1000), 1)
    assert data.data == b"\x00\x01" * 1000
    [close] = await exchange(CloseConnection(code=1000), 1)
    assert isinstance(close, CloseConnection) and close.code == 1000, close


def check_tls_over_quic(tls):
    """The ASGI `tls` extension of a scope that came over QUIC: TLS 1.3 always (RFC
    9001 §4.2), no client certificate, and no cipher suite (the QUIC stack does not
    report it, which the extension allows)."""
    assert tls is not None, "no tls extension"
    assert tls["tls_version"] == 0x0304, tls
    assert tls["cipher_suite"] is None, tls
    assert tls["client_cert_chain"] == [] and tls["client_cert_name"] is None, tls
    assert tls["server_cert"].startswith("-----BEGIN CERTIFICATE-----\n"), tls


def tls_flags(pki):
    return ["--ssl-certfile", str(pki / "cert.pem"), "--ssl-keyfile", str(pki / "key.pem")]


def test_asgi_app_over_h3_with_the_weft_command(pki):
    port = free_port()
    with ServerProcess(["-m", "weft", "tests.apps.h3_app:asgi", "--port", str(port), "--h3", *tls_flags(pki)], port):
        answer = over_h3(pki, port, the_checks)
        check_tls_over_quic(answer["tls"])
        over_h3(pki, port, websocket_echo)
        # The TLS port tells HTTP/1.1 and HTTP/2 clients where HTTP/3 is (RFC 7838).
        r = httpx.get(f"https://localhost:{port}/version", verify=ssl.create_default_context(cafile=str(pki / "ca.pem")))
        assert r.json()["http_version"] == "1.1"
        assert r.headers["alt-svc"] == f'h3=":{port}"; ma=86400'


def test_decorator_app_over_h3_with_app_run(pki):
    port = free_port()
    with ServerProcess(["-m", "tests.apps.h3_app", str(port), str(pki / "cert.pem"), str(pki / "key.pem")], port):
        over_h3(pki, port, lambda client: the_checks(client, websocket_routes=True))
        over_h3(pki, port, lambda client: websocket_echo(client, asgi=False))


def test_h3_bind_moves_http3_to_another_udp_port(pki):
    port, udp = free_port(), free_port()
    # Without WebSocket (--ws none), no extended CONNECT is offered.
    flags = ["--h3-bind", f"127.0.0.1:{udp}", "--ws", "none", *tls_flags(pki)]
    with ServerProcess(["-m", "weft", "tests.apps.h3_app:asgi", "--port", str(port), *flags], port):
        over_h3(pki, udp, lambda client: the_checks(client, websocket_routes=False))
        r = httpx.get(f"https://localhost:{port}/version", verify=ssl.create_default_context(cafile=str(pki / "ca.pem")))
        assert r.headers["alt-svc"] == f'h3=":{udp}"; ma=86400'


def test_worker_processes_share_the_udp_port(pki):
    # Each worker process binds its own UDP socket on the port of the listening socket
    # the supervisor hands it: SO_REUSEPORT lets them share it, and the kernel keeps a
    # client's datagrams on one socket.
    port = free_port()
    flags = ["--port", str(port), "--workers", "2", "--h3", *tls_flags(pki)]
    serving = f"serving HTTP/3 on udp://127.0.0.1:{port}"
    with ServerProcess(["-m", "weft", "tests.apps.h3_app:asgi", *flags], port) as server:
        # The supervisor's TCP socket accepts before the workers run. Until both have
        # bound their UDP sockets, each new one changes which socket the kernel picks
        # for a client's address, and the connections already open break: what a
        # worker restart does to QUIC connections too.
        log = ""
        deadline = time.monotonic() + 30
        while log.count(serving) < 2 and time.monotonic() < deadline:
            # Unbuffered: a buffered readline could hold the second line back from
            # select.
            if select.select([server.proc.stdout], [], [], 0.5)[0]:
                log += os.read(server.proc.stdout.fileno(), 65536).decode(errors="replace")
        assert log.count(serving) == 2, log
        # Each connection comes from a new client port, so they spread over the sockets.
        for _ in range(4):
            over_h3(pki, port, the_checks)


def refused(*flags):
    """The weft command with `flags` must stop before serving: its stderr."""
    proc = subprocess.run(
        [sys.executable, "-m", "weft", "tests.apps.h3_app:asgi", "--port", str(free_port()), *flags],
        cwd=PACKAGE_DIR,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2, proc.stderr
    return proc.stderr


@pytest.mark.parametrize("flags", [["--h3"], ["--h3-bind", "127.0.0.1:4433"]])
def test_h3_without_tls_is_refused_with_the_reason(flags):
    assert "HTTP/3 runs over QUIC, which needs TLS" in refused(*flags)


def test_app_run_h3_without_tls_is_refused():
    from .apps.h3_app import app

    with pytest.raises(ValueError, match="needs TLS"):
        app.run("127.0.0.1", free_port(), h3=True)


def test_h3_bind_must_be_host_and_port(pki):
    assert "expected HOST:PORT" in refused("--h3-bind", "4433", *tls_flags(pki))
