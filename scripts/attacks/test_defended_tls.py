"""TLS attacks the server withstands today; these must stay green.

The handshake flood makes full handshakes back to back for 3 s, one connection at a
time as in every fairness test here (each costs the server a key exchange and a
signature); beside it, 100 connections send the start of a ClientHello, or garbage,
and stall. The stalled ones end at --header-timeout,
the probe (cleartext, same worker) stays fast, and a TLS client is served after.
"""
import socket
import ssl
import threading
import time

import pytest

from conftest import PER_H1_CONNECTION, MiB, RssSampler, check_memory
from httpone import read_response

pytestmark = pytest.mark.defended

HEADER_TIMEOUT = 2.0
SECONDS = 3


def client_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


def test_defended_tls_handshake_flood(server, probe):
    s = server("--header-timeout", HEADER_TIMEOUT, tls=True)
    host, port = s.tls_addr.rsplit(":", 1)
    port = int(port)
    context = client_context()
    before = s.settled_rss()
    handshakes = [0]
    errors = []
    stop = threading.Event()

    def flood():
        while not stop.is_set():
            try:
                with socket.create_connection((host, port), timeout=5) as raw:
                    with context.wrap_socket(raw, server_hostname="localhost"):
                        handshakes[0] += 1
            except (OSError, ssl.SSLError) as error:
                errors.append(repr(error))

    stalled = []
    with probe(s) as p, RssSampler(s) as rss:
        started = time.monotonic()
        for i in range(100):
            sock = socket.create_connection((host, port))
            # Half send the first octets of a TLS record (a handshake, 512 octets
            # announced), half send garbage that is no TLS at all.
            sock.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" if i % 2 else b"GET / HTTP/1.1\r\n")
            sock.settimeout(HEADER_TIMEOUT + 3)
            stalled.append(sock)
        threads = [threading.Thread(target=flood)]
        for t in threads:
            t.start()
        time.sleep(SECONDS)
        stop.set()
        for t in threads:
            t.join(10)
        elapsed = time.monotonic() - started
    assert not errors, f"handshakes failed: {errors[:3]}"
    assert handshakes[0] >= 100, f"only {handshakes[0]} handshakes"
    print(f"TLS flood: {handshakes[0]} handshakes in {SECONDS} s")
    bound = 100 * PER_H1_CONNECTION + 4 * MiB
    check_memory("TLS handshake flood", before, rss.peak, bound)
    p.check(elapsed)
    # Every stalled connection is ended by the handshake deadline.
    for sock in stalled:
        try:
            while sock.recv(4096):
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass
        except socket.timeout:
            pytest.fail(f"a stalled TLS connection outlived --header-timeout {HEADER_TIMEOUT}")
        sock.close()
    assert time.monotonic() - started <= HEADER_TIMEOUT + SECONDS + 3
    with socket.create_connection((host, port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            status, _headers, body = read_response(tls)
    assert status == 200 and body == b"Hello, World!"
