"""Hello-world requests/s with wrk: weft (decorator API and ASGI) against granian
(ASGI, RSGI) and uvicorn (httptools, uvloop). One worker process each, the server
pinned to CPU 0 and wrk to CPU 1; rounds are interleaved and medians reported.

Usage: servers.py ROUNDS SECONDS CONNECTIONS  (prints JSON lines; report.py makes the table)
"""

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
CONNECTIONS = int(sys.argv[3]) if len(sys.argv) > 3 else 64


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WEFT = {
    "weft decorator (def handler)": lambda p: [sys.executable, "hello_decorator.py", str(p)],
    "weft decorator (async def handler)": lambda p: [sys.executable, "hello_decorator_async.py", str(p)],
    "weft ASGI": lambda p: [sys.executable, "-m", "weft", "hello_asgi:app", "--port", str(p), "--log-level", "warning"],
}
# The I/O floor: the same hello world from server-smol alone, no Python at all (one
# worker thread). Its CPU per request is what any Python host on server-smol pays
# before running a line of Python; set by scripts/bench-python.
FLOOR = "floor: server-smol alone (Rust, no Python)"
SERVER_SMOL = os.environ.get("WEFT_SERVER_SMOL")
SERVERS = {
    **WEFT,
    "granian ASGI": lambda p: [os.path.join(BIN, "granian"), "--interface", "asgi", "--workers", "1", "--runtime-threads", "1", "--no-ws", "--port", str(p), "hello_asgi:app"],
    "granian RSGI": lambda p: [os.path.join(BIN, "granian"), "--interface", "rsgi", "--workers", "1", "--runtime-threads", "1", "--no-ws", "--port", str(p), "hello_rsgi:app"],
    "uvicorn (httptools, uvloop)": lambda p: [os.path.join(BIN, "uvicorn"), "hello_asgi:app", "--http", "httptools", "--loop", "uvloop", "--workers", "1", "--log-level", "warning", "--no-access-log", "--port", str(p)],
}
if SERVER_SMOL:
    SERVERS[FLOOR] = lambda p: [SERVER_SMOL, "--bind", f"127.0.0.1:{p}", "--no-tls", "--workers", "1", "--log", "off"]


def wait_listening(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


#: The target every request asks for, and more wrk options (fastapi_bench.py sets its own).
PATH = "/"
WRK_ARGS: list = []


def wrk(port, seconds):
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", *WRK_ARGS, f"http://127.0.0.1:{port}{PATH}"],
        capture_output=True, text=True, check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root):
    """User + system CPU time of process ``root`` and its descendants (granian runs
    its worker as a child process), all threads included."""
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state, ppid, ... utime (14th field) and stime (15th).
        stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, total = {root}, 0
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _) in stats.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    for pid in tree:
        total += stats.get(pid, (0, 0))[1]
    return total / CLOCK_TICKS


def measure(name):
    """``(requests per second, CPU microseconds per request)`` of one run. The CPU
    cost per request holds up better than the rate on a shared machine, where the
    server gets only part of its core."""
    port = free_port()
    proc = subprocess.Popen(["taskset", "-c", "0", *SERVERS[name](port)], cwd=HERE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        wrk(port, 1)  # warm-up
        before = cpu_seconds(proc.pid)
        rate = wrk(port, SECONDS)
        cpu = cpu_seconds(proc.pid) - before
        return rate, cpu * 1e6 / (rate * SECONDS)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    results = {name: [] for name in SERVERS}
    costs = {name: [] for name in SERVERS}
    load_before = os.getloadavg()
    for _ in range(ROUNDS):
        for name in SERVERS:
            rate, cost = measure(name)
            results[name].append(rate)
            costs[name].append(cost)
    # The machine may be shared: the load around the run says how far to trust it.
    print(json.dumps({"load_before": load_before, "load_after": os.getloadavg()}), flush=True)
    # Ratios are taken within each round (the servers of one round ran back to back,
    # under the same background load) and the median of those ratios reported
    # (the rule of BENCHMARKS.md); the absolute figures drift between rounds on a shared machine.
    granian = results["granian ASGI"]
    uvicorn = results["uvicorn (httptools, uvloop)"]
    uvicorn_cost = costs["uvicorn (httptools, uvloop)"]
    for name, v in results.items():
        print(json.dumps({
            "name": name,
            "rounds": [round(x) for x in v],
            "median": round(statistics.median(v)),
            "vs_granian_asgi": round(statistics.median(a / b for a, b in zip(v, granian)), 2),
            "vs_uvicorn": round(statistics.median(a / b for a, b in zip(v, uvicorn)), 2),
            "cpu_us": round(statistics.median(costs[name]), 1),
            # How many of this server's requests fit in the CPU time of one uvicorn
            # request: the rate ratio on a core the server has to itself.
            "cpu_vs_uvicorn": round(statistics.median(u / c for c, u in zip(costs[name], uvicorn_cost)), 2),
        }), flush=True)


if __name__ == "__main__":
    main()
