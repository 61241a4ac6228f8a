"""Where a weft server's CPU per request goes, by thread: the event loop's thread
(`python`: the application, the scope, the task) and the I/O worker (`weft-worker-0`:
HTTP, the socket's system calls). One `python -m weft APP` on CPU 0, one wrk run on
CPU 1 after a 1 s warm-up, CPU time of each thread from /proc.

Usage: thread_split.py PYTHON APP URL_PATH [SECONDS] [-- WEFT_FLAGS...]
  e.g. thread_split.py ../.venv/bin/python fastapi_items:app '/items/42?q=hello' 4
"""

import os
import re
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def thread_ticks(pid):
    ticks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            stat = f.read()
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks[(tid, name)] = int(fields[11]) + int(fields[12])  # utime + stime
    return ticks


def main():
    args = sys.argv[1:]
    flags = args[args.index("--") + 1 :] if "--" in args else []
    args = args[: args.index("--")] if "--" in args else args
    python, app, path = args[:3]
    seconds = int(args[3]) if len(args) > 3 else 4
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [python, "-m", "weft", app, "--port", str(port), "--log-level", "warning", *flags]
    server = subprocess.Popen(["taskset", "-c", "0", *command], cwd=HERE, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        url = f"http://127.0.0.1:{port}{path}"
        wrk = ["taskset", "-c", "1", "wrk", "-t1", "-c64", "--timeout", "10s"]
        subprocess.run([*wrk, "-d1s", url], capture_output=True, check=True)
        before = thread_ticks(server.pid)
        out = subprocess.run([*wrk, f"-d{seconds}s", url], capture_output=True, text=True, check=True).stdout
        after = thread_ticks(server.pid)
    finally:
        server.terminate()
        server.wait()
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    per_request = 1e6 / os.sysconf("SC_CLK_TCK") / requests
    total = 0
    for key, value in after.items():
        spent = value - before.get(key, 0)
        total += spent
        if spent:
            print(f"{key[1]:16s} {spent * per_request:6.1f} us/request")
    print(f"total {total * per_request:6.1f} us/request, {requests / seconds:.0f} req/s, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
