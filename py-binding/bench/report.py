"""Turns the JSON lines of micro.py and servers.py into the BENCHMARKS.md tables."""

import json
import sys

micro = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
floor = [json.loads(line)["asgi_floor"] for line in open(sys.argv[3]) if line.strip()] if len(sys.argv) > 3 else []
servers = [json.loads(line) for line in open(sys.argv[2]) if line.strip()]
load = [row for row in servers if "load_before" in row]
servers = [row for row in servers if "name" in row]

print("| sans-IO workload (from Python) | weft | peer | weft / peer |")
print("|---|---:|---:|---:|")
for row in micro:
    print(f"| {row['name']} | {row['weft']:,} {row['unit']} | {row['peer']:,} {row['unit']} | **{row['ratio']}x** |")
print()
print(
    "| hello world, 1 worker, wrk | req/s (median) | req/s per round | vs granian ASGI (median of per-round ratios)"
    " | vs uvicorn (same) | CPU µs per request (median) | uvicorn's CPU per request / this one's |"
)
print("|---|---:|---|---:|---:|---:|---:|")
for row in servers:
    rounds = ", ".join(f"{r:,}" for r in row["rounds"])
    print(
        f"| {row['name']} | {row['median']:,} | {rounds} | {row['vs_granian_asgi']}x | {row['vs_uvicorn']}x"
        f" | {row['cpu_us']} | {row['cpu_vs_uvicorn']}x |"
    )
for row in load:
    before = ", ".join(f"{x:.2f}" for x in row["load_before"])
    after = ", ".join(f"{x:.2f}" for x in row["load_after"])
    print()
    print(f"Load average (1, 5, 15 min) before the server runs: {before}; after: {after}.")

# What 3x uvicorn leaves an ASGI host: the I/O floor (server-smol alone) plus the
# interpreter's own floor for the app, against a third of uvicorn's CPU per request.
by_name = {row["name"]: row for row in servers}
io_floor = next((row for name, row in by_name.items() if name.startswith("floor:")), None)
uvicorn = by_name.get("uvicorn (httptools, uvloop)")
asgi = by_name.get("weft ASGI")
if floor and io_floor and uvicorn and asgi:
    app_floor = floor[0]["app_only_us"]
    budget = uvicorn["cpu_us"] / 3
    print()
    print("| CPU µs per request | |")
    print("|---|---:|")
    print(f"| I/O floor: server-smol alone, same hello world, no Python | {io_floor['cpu_us']} |")
    print(f"| ASGI interpreter floor: the app's coroutine in a copied context (asgi_floor.py) | {app_floor} |")
    print(f"| lower bound for an ASGI host on server-smol (sum) | {io_floor['cpu_us'] + app_floor:.1f} |")
    print(f"| 3x uvicorn's budget (uvicorn's CPU per request / 3) | {budget:.1f} |")
    print(f"| weft ASGI, measured | {asgi['cpu_us']} |")
    print(f"| left for the Rust-Python bridge within 3x (budget - bound) | {budget - io_floor['cpu_us'] - app_floor:.1f} |")
