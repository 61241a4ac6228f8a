"""ASGI extensions over HTTP/1.1 and HTTP/2: http.response.trailers (with a gRPC
client over h2c), http.response.pathsend, and their declaration in the scope."""

import json
import os
import socket
import ssl

import grpc
import h2.config
import h2.connection
import h2.events
import httpx
import pytest

from .conftest import ServerProcess, free_port


@pytest.fixture(scope="module")
def server():
    port = free_port()
    args = ["-m", "weft", "tests.apps.extensions_app:app", "--port", str(port), "--no-access-log"]
    with ServerProcess(args, port) as proc:
        yield proc


@pytest.mark.parametrize("http2", [False, True])
def test_the_scope_declares_the_extensions(server, http2):
    with httpx.Client(http1=not http2, http2=http2) as client:
        names = client.get(server.url + "/extensions").json()
    assert "http.response.trailers" in names
    assert "http.response.pathsend" in names
    assert "http.response.early_hint" in names
    # Cleartext: no `tls` entry (the ASGI TLS extension is for TLS connections only).
    assert "tls" not in names


def http1_exchange(port: int, target: str, version: str = "HTTP/1.1") -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} {version}\r\nhost: t\r\nte: trailers\r\nconnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_trailers_over_http1_are_chunked_trailer_fields(server):
    raw = http1_exchange(server.port, "/trailers")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert b"content-length" not in head.lower()
    assert body == b"6\r\nhello \r\n5\r\nworld\r\n0\r\nx-checksum: abc\r\nx-count: 2\r\n\r\n"
    raw = http1_exchange(server.port, "/trailers?single=1")
    assert raw.endswith(b"b\r\nall at once\r\n0\r\nx-checksum: abc\r\nx-count: 2\r\n\r\n")
    # Announced but never sent: the body still ends, without fields.
    raw = http1_exchange(server.port, "/trailers-never-sent")
    assert raw.endswith(b"no trailers after all\r\n0\r\n\r\n")


def http2_exchange(port: int, target: str, with_informational: bool = False):
    """The events of one h2c request: headers, data, and trailers (or, with
    `with_informational`, the 1xx header blocks, headers and data)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.send_headers(1, [(":method", "GET"), (":path", target), (":scheme", "http"), (":authority", "t")], end_stream=True)
        sock.sendall(conn.data_to_send())
        headers, body, trailers = None, b"", None
        informational = []
        while True:
            data = sock.recv(65535)
            assert data, "the server closed the connection"
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.InformationalResponseReceived):
                    assert headers is None, "a 1xx after the final response"
                    informational.append(list(event.headers))
                elif isinstance(event, h2.events.ResponseReceived):
                    headers = dict(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, h2.events.TrailersReceived):
                    trailers = list(event.headers)
                elif isinstance(event, h2.events.StreamEnded):
                    if with_informational:
                        return informational, headers, body
                    return headers, body, trailers
            sock.sendall(conn.data_to_send())


def test_trailers_over_http2_are_a_trailing_headers_frame(server):
    headers, body, trailers = http2_exchange(server.port, "/trailers")
    assert headers[b":status"] == b"200"
    assert body == b"hello world"
    assert trailers == [(b"x-checksum", b"abc"), (b"x-count", b"2")]
    _, body, trailers = http2_exchange(server.port, "/trailers-never-sent")
    assert body == b"no trailers after all"
    assert not trailers


def test_a_grpc_client_over_h2c(server):
    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        say = channel.unary_unary("/demo.Echo/Say", request_serializer=None, response_deserializer=None)
        assert say(b"hello grpc", timeout=10) == b"cprg olleh"
        fail = channel.unary_unary("/demo.Echo/Fail", request_serializer=None, response_deserializer=None)
        with pytest.raises(grpc.RpcError) as error:
            fail(b"x", timeout=10)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
        assert error.value.details() == "nothing here"


@pytest.mark.parametrize("http2", [False, True])
def test_pathsend_serves_the_file(server, tmp_path, http2):
    path = tmp_path / "data.bin"
    payload = os.urandom(300_000)
    path.write_bytes(payload)
    with httpx.Client(http1=not http2, http2=http2, timeout=20) as client:
        r = client.get(server.url + "/file", params={"path": str(path)})
        assert r.status_code == 200
        assert r.content == payload
        assert r.headers["content-length"] == str(len(payload))
        r = client.head(server.url + "/file", params={"path": str(path)})
        assert r.content == b"" and r.headers["content-length"] == str(len(payload))
        # A file that cannot be opened raises in the application, which still answers.
        assert client.get(server.url + "/missing-file").text == "FileNotFoundError"


def test_starlette_file_response_uses_pathsend(tmp_path):
    path = tmp_path / "page.txt"
    path.write_text("served by the server\n" * 1000)
    module = tmp_path / "starlette_files.py"
    module.write_text(
        "from starlette.applications import Starlette\n"
        "from starlette.responses import FileResponse\n"
        "from starlette.routing import Route\n"
        f"PATH = {str(path)!r}\n"
        "async def page(request):\n"
        "    assert 'http.response.pathsend' in request.scope['extensions']\n"
        "    return FileResponse(PATH)\n"
        "app = Starlette(routes=[Route('/page', page)])\n"
    )
    port = free_port()
    args = ["-m", "weft", "starlette_files:app", "--port", str(port), "--app-dir", str(tmp_path)]
    with ServerProcess(args, port):
        r = httpx.get(f"http://127.0.0.1:{port}/page")
        assert r.status_code == 200
        assert r.text == path.read_text()


def test_early_hints_over_http1_precede_the_response(server):
    raw = http1_exchange(server.port, "/early-hints")
    first, second, final = raw.split(b"\r\n\r\n", 2)
    assert first == b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload; as=style"
    assert second == (
        b"HTTP/1.1 103 Early Hints\r\nlink: </app.js>; rel=preload; as=script\r\n"
        b"link: <https://cdn.example>; rel=preconnect"
    )
    assert final.startswith(b"HTTP/1.1 200 OK\r\n")
    assert final.endswith(b"\r\n\r\nafter the hints")


def test_an_http10_client_gets_no_early_hints(server):
    # RFC 9110 §15.2: no 1xx to an HTTP/1.0 client; the final response still comes.
    raw = http1_exchange(server.port, "/early-hints", version="HTTP/1.0")
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert raw.endswith(b"after the hints")


def test_early_hints_over_http2_precede_the_response(server):
    informational, headers, body = http2_exchange(server.port, "/early-hints", with_informational=True)
    assert informational == [
        [(b":status", b"103"), (b"link", b"</style.css>; rel=preload; as=style")],
        [
            (b":status", b"103"),
            (b"link", b"</app.js>; rel=preload; as=script"),
            (b"link", b"<https://cdn.example>; rel=preconnect"),
        ],
    ]
    assert headers[b":status"] == b"200"
    assert body == b"after the hints"


@pytest.mark.parametrize("http2", [False, True])
def test_an_early_hint_after_the_response_start_raises(server, http2):
    with httpx.Client(http1=not http2, http2=http2) as client:
        assert client.get(server.url + "/early-hint-too-late").text == "RuntimeError"


@pytest.fixture(scope="module")
def tls_server(pki):
    port = free_port()
    args = ["-m", "weft", "tests.apps.extensions_app:app", "--port", str(port), "--no-access-log"]
    args += ["--ssl-certfile", str(pki / "cert.pem"), "--ssl-keyfile", str(pki / "key.pem")]
    args += ["--ssl-ca-certs", str(pki / "ca.pem"), "--ssl-cert-reqs", "1"]
    with ServerProcess(args, port) as proc:
        yield proc


def tls_get(port: int, context: ssl.SSLContext, http2: bool):
    """`/tls` over a TLS connection made with `context`: the `tls` entry the
    application saw, and the cipher suite code the client negotiated."""
    context.set_alpn_protocols(["h2" if http2 else "http/1.1"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            assert sock.selected_alpn_protocol() == ("h2" if http2 else "http/1.1")
            name = sock.cipher()[0]
            code = next(c["id"] & 0xFFFF for c in context.get_ciphers() if c["name"] == name)
            if http2:
                conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
                conn.initiate_connection()
                conn.send_headers(
                    1, [(":method", "GET"), (":path", "/tls"), (":scheme", "https"), (":authority", "t")], end_stream=True
                )
                sock.sendall(conn.data_to_send())
                body = b""
                while True:
                    data = sock.recv(65535)
                    assert data, "the server closed the connection"
                    events = conn.receive_data(data)
                    for event in events:
                        if isinstance(event, h2.events.DataReceived):
                            body += event.data
                            conn.acknowledge_received_data(event.flow_controlled_length, 1)
                    if any(isinstance(e, h2.events.StreamEnded) for e in events):
                        break
                    sock.sendall(conn.data_to_send())
            else:
                sock.sendall(b"GET /tls HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
                data = b""
                while chunk := sock.recv(65536):
                    data += chunk
                body = data.partition(b"\r\n\r\n")[2]
    return json.loads(body), code


def subject_name(pem: bytes) -> str:
    from cryptography import x509

    return x509.load_pem_x509_certificate(pem).subject.rfc4514_string()


@pytest.mark.parametrize("http2", [False, True])
@pytest.mark.parametrize("version", ["1.3", "1.2"])
def test_the_tls_extension_with_a_client_certificate(tls_server, pki, http2, version):
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    context.load_cert_chain(str(pki / "client.pem"))
    if version == "1.2":
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    tls, cipher = tls_get(tls_server.port, context, http2)
    assert tls["tls_version"] == (0x0304 if version == "1.3" else 0x0303)
    assert tls["cipher_suite"] == cipher
    assert tls["server_cert"].strip() == (pki / "cert.pem").read_text().strip()
    # The chain as the client sent it, its own certificate first; OpenSSL adds the
    # authority it found in its trust store after the file's chain.
    chain = [path.read_text().strip() for path in sorted(pki.glob("client-chain-*.pem"))]
    sent = [pem.strip() for pem in tls["client_cert_chain"]]
    assert sent[: len(chain)] == chain
    assert all(pem == (pki / "ca.pem").read_text().strip() for pem in sent[len(chain) :])
    assert tls["client_cert_name"] == subject_name(chain[0].encode())
    assert tls["client_cert_error"] is None


@pytest.mark.parametrize("http2", [False, True])
def test_the_tls_extension_without_a_client_certificate(tls_server, pki, http2):
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    tls, cipher = tls_get(tls_server.port, context, http2)
    assert tls["client_cert_chain"] == []
    assert tls["client_cert_name"] is None
    assert tls["client_cert_error"] is None
    assert tls["tls_version"] == 0x0304
    assert tls["cipher_suite"] == cipher
    assert tls["server_cert"].startswith("-----BEGIN CERTIFICATE-----\n")


def test_the_tls_extension_on_a_wss_scope(tls_server, pki):
    """A `websocket` scope over TLS carries the `tls` extension as an `http` one does,
    beside `websocket.http.response` (and none of the HTTP-only extensions)."""
    import asyncio

    from .conftest import wss_connect

    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    context.load_cert_chain(str(pki / "client.pem"))
    _, cipher = tls_get(tls_server.port, context, http2=False)

    async def run():
        async with wss_connect(f"wss://127.0.0.1:{tls_server.port}/tls", context) as ws:
            return json.loads(await ws.recv())

    names, tls = asyncio.run(run())
    assert names == ["tls", "websocket.http.response"], names
    assert tls["tls_version"] == 0x0304
    assert tls["cipher_suite"] == cipher
    chain = sorted(pki.glob("client-chain-*.pem"))
    assert tls["client_cert_name"] == subject_name(chain[0].read_bytes())
    assert tls["server_cert"].strip() == (pki / "cert.pem").read_text().strip()
