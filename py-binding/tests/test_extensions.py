"""ASGI extensions over HTTP/1.1 and HTTP/2: http.response.trailers (with a gRPC
client over h2c), http.response.pathsend, and their declaration in the scope."""

import os
import socket

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


def http1_exchange(port: int, target: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nhost: t\r\nte: trailers\r\nconnection: close\r\n\r\n".encode())
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


def http2_exchange(port: int, target: str):
    """The events of one h2c request: headers, data, and trailers."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        conn.send_headers(1, [(":method", "GET"), (":path", target), (":scheme", "http"), (":authority", "t")], end_stream=True)
        sock.sendall(conn.data_to_send())
        headers, body, trailers = None, b"", None
        while True:
            data = sock.recv(65535)
            assert data, "the server closed the connection"
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    headers = dict(event.headers)
                elif isinstance(event, h2.events.DataReceived):
                    body += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, 1)
                elif isinstance(event, h2.events.TrailersReceived):
                    trailers = list(event.headers)
                elif isinstance(event, h2.events.StreamEnded):
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
