"""A client that stops reading is dropped at the write timeout (--body-timeout also
bounds the wait for a client to take a response write), on both protocols.

Each client uploads 8 MiB to /echo with a 4 KiB receive buffer, then reads nothing:
the echo fills the socket buffers and the server's write waits. After body-timeout
+ 1.5 s the client drains what is buffered: it must meet the end of the connection
before the end of the echo.
"""
import socket
import time

import pytest

from h2raw import (Conn, DATA, END_STREAM, HEADERS, SETTINGS_INITIAL_WINDOW_SIZE, frame,
                   literal_static_name, request_block, window_update)

pytestmark = pytest.mark.defended

TIMEOUT = 2.0
SLACK = 1.5
BODY = 8 * 1024 * 1024
ARGS = ("--body-timeout", TIMEOUT, "--h2-ping-interval", 0)


def drain(sock, complete):
    """Reads until the end of the connection (True) or until `complete(data)` says the
    whole echo arrived (False)."""
    sock.settimeout(5)
    data = bytearray()
    try:
        while chunk := sock.recv(1 << 20):
            data += chunk
            if complete(data):
                return False
    except ConnectionResetError:
        pass
    except socket.timeout:
        pytest.fail("the connection neither ended nor finished the echo")
    return True


def test_defended_h1_reader_that_stops_is_dropped(server):
    s = server(*ARGS)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((s.host, s.port))
    sock.sendall(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % BODY)
    sock.sendall(b"e" * BODY)
    time.sleep(TIMEOUT + SLACK)
    # A complete echo is the head plus BODY octets, however it is framed.
    assert drain(sock, lambda data: data.count(b"e") >= BODY), \
        f"the server still wrote after {TIMEOUT + SLACK} s of a client not reading (--body-timeout {TIMEOUT})"
    sock.close()


def test_defended_h2_reader_that_stops_is_dropped(server):
    s = server(*ARGS)
    big = 0x7FFFFFFF
    conn = Conn(s.addr, settings_pairs=[(SETTINGS_INITIAL_WINDOW_SIZE, big)], rcvbuf=4096)
    conn.send(window_update(0, big - 65535))
    assert conn.wait(lambda: conn.settings_acked, 5)
    block = request_block(method=b"POST", path=b"/echo") + literal_static_name(28, b"%d" % BODY)
    conn.send(frame(HEADERS, 0x4, 1, block))
    left = BODY
    while left:
        assert conn.wait(lambda: conn.send_window(1) > 0, 5), "the server's window closed"
        n = min(16384, left, conn.send_window(1))
        conn.take_window(1, n)
        left -= n
        assert conn.send(frame(DATA, END_STREAM if not left else 0, 1, b"e" * n))
    # From here on nothing is read: the reader stops at its next receive.
    conn.reading = False
    time.sleep(TIMEOUT + SLACK)
    assert drain(conn.sock, lambda data: data.count(b"e") >= BODY), \
        f"the server still wrote after {TIMEOUT + SLACK} s of a client not reading (--body-timeout {TIMEOUT})"
    conn.close()
