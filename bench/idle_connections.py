"""Opens N keep-alive connections, makes one request on each, and holds them idle.

Prints "ready" once all are open and answered, then waits for stdin to close.
Usage: idle_connections.py HOST:PORT N
"""
import selectors
import socket
import sys

host, port = sys.argv[1].rsplit(":", 1)
count = int(sys.argv[2])
request = f"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
sockets = []
for _ in range(count):
    s = socket.create_connection((host, int(port)))
    s.sendall(request)
    sockets.append(s)
sel = selectors.DefaultSelector()
pending = {}
for s in sockets:
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    pending[s] = b""
answered = 0
while answered < count:
    for key, _ in sel.select(timeout=30):
        s = key.fileobj
        data = s.recv(4096)
        if not data:
            sys.exit("a connection closed before answering")
        pending[s] += data
        if b"Hello, World!" in pending[s]:
            sel.unregister(s)
            answered += 1
print("ready", flush=True)
sys.stdin.read()
