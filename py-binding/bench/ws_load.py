"""WebSocket echo load: CONNECTIONS clients on one asyncio loop (uvloop), each sending a
16-byte text message and waiting for its echo, for SECONDS; prints messages/s.

The client is kept cheap so that it is not what is measured: the masked frame is built
once, and an echo is counted by its size (an unmasked 16-byte text frame is 18 bytes),
without parsing. Nothing is offered in the handshake but the upgrade itself (no
subprotocol, no compression).

With SERVER_PID, it also prints the server's CPU time per message over the same
window (utime + stime of that process and its descendants, from /proc): on a machine
other work shares, that is steadier than the rate.

Usage: ws_load.py PORT SECONDS CONNECTIONS [SERVER_PID]
  prints: messages/s [CPU microseconds per message]
"""

import asyncio
import base64
import os
import sys
import time

PAYLOAD = b"0123456789abcdef"
KEY = os.urandom(4)
FRAME = bytes([0x81, 0x80 | len(PAYLOAD)]) + KEY + bytes(b ^ KEY[i % 4] for i, b in enumerate(PAYLOAD))
ECHO = 2 + len(PAYLOAD)


def tree_cpu_seconds(root):
    """utime + stime of `root` and its descendants (granian serves from a child)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rpartition(")")[2].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append((int(entry), fields))
    total, stack = 0, [root]
    with open(f"/proc/{root}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    total += int(fields[11]) + int(fields[12])
    while stack:
        for pid, fields in children.get(stack.pop(), []):
            total += int(fields[11]) + int(fields[12])
            stack.append(pid)
    return total / os.sysconf("SC_CLK_TCK")


class Client(asyncio.Protocol):
    def __init__(self, ready):
        self.ready = ready
        self.buf = b""
        self.open = False
        self.count = 0
        self.running = True

    def connection_made(self, transport):
        self.transport = transport
        key = base64.b64encode(os.urandom(16))
        transport.write(
            b"GET / HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )

    def data_received(self, data):
        if not self.open:
            self.buf += data
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if not sep:
                return
            if not head.startswith(b"HTTP/1.1 101"):
                raise RuntimeError(head.decode(errors="replace"))
            self.open = True
            self.pending = len(rest)
            self.ready.set_result(None) if not self.ready.done() else None
            return
        self.pending += len(data)
        while self.pending >= ECHO:
            self.pending -= ECHO
            self.count += 1
            if self.running:
                self.transport.write(FRAME)

    def start(self):
        self.transport.write(FRAME)


async def main(port, seconds, connections, server_pid=None):
    loop = asyncio.get_running_loop()
    clients = []
    for _ in range(connections):
        ready = loop.create_future()
        _, client = await loop.create_connection(lambda: Client(ready), "127.0.0.1", port)
        await ready
        clients.append(client)
    for c in clients:
        c.start()
    await asyncio.sleep(1.0)  # warm-up
    before = sum(c.count for c in clients)
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else 0.0
    start = time.perf_counter()
    await asyncio.sleep(seconds)
    done = sum(c.count for c in clients) - before
    elapsed = time.perf_counter() - start
    cpu = tree_cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    for c in clients:
        c.running = False
        c.transport.close()
    if server_pid:
        print(round(done / elapsed), round(cpu * 1e6 / max(done, 1), 2))
    else:
        print(round(done / elapsed))


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    pid = int(sys.argv[4]) if len(sys.argv) > 4 else None
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), pid))
