"""Weakness 3: request-body bytes must not pin the read buffers they arrived in.

A body chunk kept as a slice of the connection's receive buffer keeps the whole
buffer alive, and with it whatever cost the sender nothing: HTTP/2 frames of an
unknown type, which a receiver must ignore (RFC 9113 §4.1, §5.5), or leading zeros
in HTTP/1.1 chunk sizes (RFC 9112 §7.1). The bound is in what the server accepted:

    RSS growth <= 1 MiB + 4 x body + 96 B x chunks

(the connection; the body held by the echo handler, where a chunk handed out without
a copy may keep alive at most four times its length of read buffer; one `Bytes`
handle per chunk in the handler's list).
"""
import socket

import pytest

from conftest import MiB, check_memory
from h2raw import Conn, DATA, END_STREAM, frame, header_frames, literal_plain, request_block
from httpone import read_response

pytestmark = pytest.mark.weakness3


def bound(body, chunks):
    return 1 * MiB + 4 * body + 96 * chunks


def test_weakness3_h2_data_between_unknown_frames(server):
    """256 KiB of body in 256-octet DATA frames, each followed by 64 KiB of frames
    of an unknown type, to POST /echo; then the echo must come back whole."""
    s = server()
    conn = Conn(s.addr)
    assert conn.wait(lambda: conn.settings_acked, 5)
    before = s.settled_rss()
    block = request_block(method=b"POST", path=b"/echo") + literal_plain(b"content-type", b"x/y")
    assert conn.send(header_frames(1, block, end_stream=False))
    filler = frame(0xF0, 0, 0, b"u" * 16384) * 4
    body = bytearray()
    for i in range(1024):
        chunk = bytes([i % 251]) * 256
        assert conn.wait(lambda: conn.send_window(1) >= 256, 10), \
            f"the server's window closed after {len(body)} octets"
        conn.take_window(1, 256)
        assert conn.send(frame(DATA, 0, 1, chunk) + filler), "the server closed the connection"
        body += chunk
    assert conn.sync(), "no PING ACK"
    after = s.settled_rss()
    limit = bound(len(body), 1024)
    check_memory("h2 body between unknown frames", before, after, limit,
                 f"for {len(body) // 1024} KiB of body")
    assert conn.send(frame(DATA, END_STREAM, 1))
    assert conn.wait(lambda: 1 in conn.ended or 1 in conn.resets, 20), "no echo"
    assert conn.status(1) == 200 and conn.bodies.get(1) == body, "the echo differs from the upload"
    conn.close()


def test_weakness3_h1_chunk_sizes_with_leading_zeros(server):
    """256 KiB of chunked body in 8-octet chunks, each size line with 1,023 leading
    zeros, to POST /echo. The server may refuse the zeros (a 4xx, the chunk line
    budget) or echo the body; either way its memory follows the body, not the zeros."""
    s = server()
    sock = socket.create_connection((s.host, s.port), timeout=20)
    before = s.settled_rss()
    sock.sendall(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunks = 32768
    # The parser scans at most 1,024 size digits (max_chunk_ext_per_line).
    size_line = b"0" * 1023 + b"8\r\n"
    body = bytearray()
    refused = False
    for batch in range(chunks // 512):
        piece = bytearray()
        for i in range(512):
            data = bytes([(batch * 512 + i) % 251]) * 8
            piece += size_line + data + b"\r\n"
            body += data
        try:
            sock.sendall(piece)
        except OSError:
            refused = True
            break
    # /echo answers only after the last chunk, so the body is all held now.
    after = s.settled_rss()
    limit = bound(len(body), chunks)
    check_memory("h1 chunk sizes with zeros", before, after, limit,
                 f"for {len(body) // 1024} KiB of body")
    if refused:
        print(f"the server ended the upload after {len(body) // 1024} KiB of body")
        return
    sock.sendall(b"0\r\n\r\n")
    status, _headers, echoed = read_response(sock)
    print(f"the server answered {status}")
    assert status == 200 and echoed == body or 400 <= status < 500, status
    sock.close()
