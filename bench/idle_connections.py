"""Opens N connections, brings each to idle, and holds them open.

HTTP/1.1 (the default): one keep-alive request on each, answered.
h2c: the HTTP/2 preface with prior knowledge and a SETTINGS exchange (ours
acknowledged by the server, the server's by us), no stream.

Prints "ready" once all are idle, then waits for stdin to close.
Usage: idle_connections.py HOST:PORT N [h2c]
"""
import selectors
import socket
import struct
import sys

host, port = sys.argv[1].rsplit(":", 1)
count = int(sys.argv[2])
h2c = len(sys.argv) > 3 and sys.argv[3] == "h2c"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
SETTINGS, ACK = 4, 1


def frame(kind, flags, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + b"\0\0\0\0" + payload


if h2c:
    hello = PREFACE + frame(SETTINGS, 0)
else:
    hello = f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()

sockets = []
for _ in range(count):
    s = socket.create_connection((host, int(port)))
    s.sendall(hello)
    sockets.append(s)
sel = selectors.DefaultSelector()
pending = {}
for s in sockets:
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    pending[s] = b""


def idle_h2(s):
    """Acknowledges the server's SETTINGS; True once it acknowledged ours."""
    data = pending[s]
    acked = False
    while len(data) >= 9:
        length = int.from_bytes(data[:3], "big")
        if len(data) < 9 + length:
            break
        kind, flags = data[3], data[4]
        if kind == SETTINGS and flags & ACK:
            acked = True
        elif kind == SETTINGS:
            s.setblocking(True)
            s.sendall(frame(SETTINGS, ACK))
            s.setblocking(False)
        data = data[9 + length:]
    pending[s] = data
    return acked


answered = 0
while answered < count:
    for key, _ in sel.select(timeout=30):
        s = key.fileobj
        data = s.recv(4096)
        if not data:
            sys.exit("a connection closed before it was idle")
        pending[s] += data
        done = idle_h2(s) if h2c else b"Hello, World!" in pending[s]
        if done:
            sel.unregister(s)
            pending[s] = b""
            answered += 1
print("ready", flush=True)
sys.stdin.read()
