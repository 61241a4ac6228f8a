"""Helpers to run weft servers in subprocesses for the server tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trustme

PACKAGE_DIR = Path(__file__).resolve().parent.parent

# The HTTP/2 and HTTP/3 test clients are shared with server-smol's peer checks; they
# live in the repository's test data, importable by name from every test module.
sys.path.insert(0, str(PACKAGE_DIR.parent / "testdata" / "peers"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server subprocess: started on enter, SIGTERM on exit (and must exit 0)."""

    def __init__(self, args, port, env=None):
        self.args = args
        self.port = port
        self.env = {**os.environ, **(env or {})}
        self.proc = None
        self.returncode = None
        self._output = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.proc = subprocess.Popen(
            [sys.executable, *self.args],
            cwd=PACKAGE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace")
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{out}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.proc.kill()
        raise RuntimeError("server did not start listening")

    def stop(self, timeout: float = 20.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        return self.returncode

    def output(self) -> str:
        """Everything the server wrote to stdout and stderr (read once it has exited)."""
        if self._output is None:
            self._output = self.proc.stdout.read().decode(errors="replace")
        return self._output

    def __exit__(self, *exc):
        code = self.stop()
        if exc[0] is None:
            assert code == 0, f"server exited with {code}:\n{self.output()}"
            # A Rust panic is a bug even where a thread survives it (smol's executor
            # threads catch them and go on), and its report on stderr, which nobody
            # reads until the server exits, can fill the pipe and block the thread.
            assert "panicked at" not in self.output(), self.output()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test authority's files: the server's `cert.pem` and `key.pem`, `ca.pem`,
    a client's key and chain in `client.pem` (and its chain alone, one certificate
    a file, in `client-chain-N.pem`), and `intruder.pem` from another authority."""
    ca = trustme.CA()
    folder = tmp_path_factory.mktemp("pki")
    server = ca.issue_cert("127.0.0.1", "localhost")
    server.cert_chain_pems[0].write_to_path(folder / "cert.pem")
    for extra in server.cert_chain_pems[1:]:
        extra.write_to_path(folder / "cert.pem", append=True)
    server.private_key_pem.write_to_path(folder / "key.pem")
    ca.cert_pem.write_to_path(folder / "ca.pem")
    client = ca.issue_cert("client@example.com")
    client.private_key_and_cert_chain_pem.write_to_path(folder / "client.pem")
    for number, pem in enumerate(client.cert_chain_pems):
        pem.write_to_path(folder / f"client-chain-{number}.pem")
    other = trustme.CA().issue_cert("intruder@example.com")
    other.private_key_and_cert_chain_pem.write_to_path(folder / "intruder.pem")
    return folder


def wss_connect(url, context, **kwargs):
    """A `wss://` client: websockets' asyncio one (`async with wss_connect(...) as ws`).

    Not its sync client, which reads the socket on a thread of its own while the caller
    writes to it. Over TLS both then drive one OpenSSL connection from two threads at
    once, which OpenSSL does not support: now and then (about once in a hundred
    connections on a loaded machine) the upgrade request written while the reader
    waits in `SSL_read` is reported sent but never reaches the socket, and the client
    waits for the answer to a request the server never got. The asyncio client does
    all its TLS on one thread."""
    from websockets.asyncio.client import connect

    return connect(url, ssl=context, **kwargs)
