#!/usr/bin/env bash
# Headless Chromium over QUIC: a page with 50 resources (scripts and images from
# server-smol's static files) loaded with the server's origin forced onto QUIC; the
# page, Chromium's net-log and the server's access log must all show every request
# over HTTP/3 (scripts/browser/h3_page.py, Python's standard library only). About 5 s.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
for tool in chromium openssl "$python"; do
    command -v "$tool" >/dev/null || { echo "44-h3-browser: $tool missing (scripts/apt-packages.txt)"; exit 1; }
done

cargo build -q -p weft-server
bin=${CARGO_TARGET_DIR:-target}/debug/server-smol
[ -x "$bin" ] || { echo "44-h3-browser: no binary at $bin" >&2; exit 1; }

timeout 120 "$python" scripts/browser/h3_page.py "$bin" || { echo "44-h3-browser: FAIL"; exit 1; }
echo "44-h3-browser: passed"
