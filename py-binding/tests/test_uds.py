"""``--uds PATH``: HTTP/1.1 and h2c on a Unix domain socket, as uvicorn serves it
(mode 0o666, a stale socket replaced, the file removed at shutdown), in one process
and under the supervisor, TLS on it with ``--ssl-certfile``, and ``--fd`` with an
inherited Unix socket."""

import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time

import httpx
import pytest

from .conftest import PACKAGE_DIR

APP = "tests.apps.cli_app:app"


def start(*args, pass_fds=()):
    return subprocess.Popen(
        [sys.executable, "-m", "weft", APP, *args],
        cwd=PACKAGE_DIR,
        pass_fds=pass_fds,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_for(proc, path):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{proc.stdout.read().decode()}")
        try:
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(str(path))
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start listening")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(30)
    assert code == 0, proc.stdout.read().decode()


def client(path, http2=False, verify=True):
    transport = httpx.HTTPTransport(uds=str(path), http1=not http2, http2=http2, verify=verify)
    return httpx.Client(transport=transport, timeout=20)


@pytest.mark.parametrize("workers", [1, 2])
def test_http1_and_h2c_on_a_unix_socket(tmp_path, workers):
    path = tmp_path / "weft.sock"
    proc = start("--uds", str(path), "--workers", str(workers))
    try:
        wait_for(proc, path)
        # uvicorn's mode: any local user may connect.
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o666
        for http2 in (False, True):
            with client(path, http2) as c:
                r = c.get("http://localhost/")
                assert r.status_code == 200
                assert r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
                # A Unix socket's peers have no address: no client, no server (uvicorn's).
                assert r.json()["client"] is None and r.json()["server"] is None
                assert r.json()["scheme"] == "http"
    finally:
        stop(proc)
    assert not path.exists(), "the socket file outlived the server"


@pytest.mark.parametrize("workers", [1, 2])
def test_tls_on_a_unix_socket(tmp_path, pki, workers):
    # As uvicorn does with --uds and --ssl-certfile: HTTP/1.1 and HTTP/2 by ALPN.
    path = tmp_path / "weft.sock"
    tls = ["--ssl-certfile", str(pki / "cert.pem"), "--ssl-keyfile", str(pki / "key.pem")]
    proc = start("--uds", str(path), "--workers", str(workers), *tls)
    try:
        wait_for(proc, path)
        context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        for http2 in (False, True):
            with client(path, http2, verify=context) as c:
                r = c.get("https://localhost/")
                assert r.status_code == 200
                assert r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
                assert r.json()["scheme"] == "https"
                assert r.json()["client"] is None
        # Cleartext is not served on it.
        with socket.socket(socket.AF_UNIX) as raw:
            raw.settimeout(10)
            raw.connect(str(path))
            raw.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            assert not raw.recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        stop(proc)


def test_curl_unix_socket(tmp_path):
    path = tmp_path / "weft.sock"
    proc = start("--uds", str(path))
    try:
        wait_for(proc, path)
        out = subprocess.run(
            ["curl", "-sS", "--unix-socket", str(path), "http://localhost/"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert out.returncode == 0, out.stderr
        assert '"scheme": "http"' in out.stdout
    finally:
        stop(proc)


def test_a_stale_socket_is_replaced_and_its_mode_kept(tmp_path):
    path = tmp_path / "weft.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays, as after a server that was killed
    os.chmod(path, 0o660)
    proc = start("--uds", str(path))
    try:
        wait_for(proc, path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o660
        with client(path) as c:
            assert c.get("http://localhost/").status_code == 200
    finally:
        stop(proc)
    assert not path.exists()


def test_a_file_that_is_not_a_socket_is_left_alone(tmp_path):
    path = tmp_path / "weft.sock"
    path.write_text("not a socket")
    proc = start("--uds", str(path))
    assert proc.wait(30) != 0
    assert "not a socket" in proc.stdout.read().decode()
    assert path.read_text() == "not a socket"


def test_fd_with_an_inherited_unix_socket(tmp_path):
    path = tmp_path / "inherited.sock"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.listen(16)
    proc = start("--fd", str(sock.fileno()), pass_fds=(sock.fileno(),))
    try:
        wait_for(proc, path)
        with client(path) as c:
            r = c.get("http://localhost/")
            assert r.status_code == 200 and r.json()["pid"] == proc.pid
    finally:
        stop(proc)
        sock.close()
    # The socket is the caller's: it stays where they put it.
    assert path.exists()
