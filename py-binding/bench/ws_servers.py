"""WebSocket echo messages/s: weft (ASGI and decorator API) against uvicorn (websockets
implementation, uvloop) and granian (ASGI), one worker process each, 16-byte text
messages on CONNECTIONS connections. The server is pinned to CPU 0 and the load client
(ws_load.py) to CPU 1; rounds are interleaved and medians reported, of the rate and of
the server's CPU time per message (utime + stime from /proc, children included), which
other work on the machine disturbs less.

With WEFT_BEFORE set to a directory holding another build's `weft` package (its
Python files and `_weft` module), weft's two servers run from it as well, side by side:
an A/B of two builds in the same rounds. WEFT_BUILDS="label=dir,..." adds more such
builds, each under its label.

Usage: ws_servers.py ROUNDS SECONDS CONNECTIONS  (prints one JSON line per server)
"""

import json
import os
import statistics
import subprocess
import sys

from servers import free_port, wait_listening

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
CONNECTIONS = int(sys.argv[3]) if len(sys.argv) > 3 else 64

SERVERS = {
    "weft ASGI": lambda p: [sys.executable, "-m", "weft", "ws_echo_asgi:app", "--port", str(p), "--log-level", "warning"],
    "weft decorator": lambda p: [sys.executable, "ws_echo_decorator.py", str(p)],
    "uvicorn (websockets, uvloop)": lambda p: [
        os.path.join(BIN, "uvicorn"), "ws_echo_asgi:app", "--ws", "websockets", "--http", "httptools", "--loop", "uvloop",
        "--workers", "1", "--log-level", "warning", "--no-access-log", "--port", str(p),
    ],
    "granian ASGI": lambda p: [
        os.path.join(BIN, "granian"), "--interface", "asgi", "--workers", "1", "--runtime-threads", "1", "--port", str(p),
        "ws_echo_asgi:app",
    ],
}

BEFORE = os.environ.get("WEFT_BEFORE")
# More builds in the same rounds: WEFT_BUILDS="label=dir,label=dir", each dir holding a
# build's `weft` package as WEFT_BEFORE does (say the abi3 and version-specific builds
# of two commits).
BUILDS = [b.split("=", 1) for b in os.environ.get("WEFT_BUILDS", "").split(",") if b]
if BEFORE:
    BUILDS.append(("before", BEFORE))
for label, path in BUILDS:
    for name in ("weft ASGI", "weft decorator"):
        SERVERS[f"{name} ({label})"] = lambda p, make=SERVERS[name], path=path: ["env", f"PYTHONPATH={path}", *make(p)]


def run(name, make):
    port = free_port()
    proc = subprocess.Popen(["taskset", "-c", "0", *make(port)], cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        out = subprocess.run(
            ["taskset", "-c", "1", sys.executable, "ws_load.py", str(port), str(SECONDS), str(CONNECTIONS), str(proc.pid)],
            cwd=HERE, capture_output=True, text=True, check=True,
        ).stdout
        rate, cpu = out.split()
        return float(rate), float(cpu)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    rates = {name: [] for name in SERVERS}
    cpus = {name: [] for name in SERVERS}
    for round_ in range(ROUNDS):
        # The order is reversed every other round, so that no server always follows
        # the same one.
        names = list(SERVERS) if round_ % 2 == 0 else list(reversed(SERVERS))
        for name in names:
            rate, cpu = run(name, SERVERS[name])
            rates[name].append(rate)
            cpus[name].append(cpu)
    uvicorn, uvicorn_cpu = rates["uvicorn (websockets, uvloop)"], cpus["uvicorn (websockets, uvloop)"]
    granian, granian_cpu = rates["granian ASGI"], cpus["granian ASGI"]
    for name, values in rates.items():
        cpu = cpus[name]
        print(json.dumps({
            "name": name, "median": round(statistics.median(values)), "rounds": [round(v) for v in values],
            "vs_uvicorn": round(statistics.median(v / u for v, u in zip(values, uvicorn)), 2),
            "vs_granian": round(statistics.median(v / g for v, g in zip(values, granian)), 2),
            "cpu_us_per_message": round(statistics.median(cpu), 2), "cpu_rounds": [round(c, 2) for c in cpu],
            "cpu_vs_uvicorn": round(statistics.median(u / c for c, u in zip(cpu, uvicorn_cpu)), 2),
            "cpu_vs_granian": round(statistics.median(g / c for c, g in zip(cpu, granian_cpu)), 2),
        }), flush=True)
