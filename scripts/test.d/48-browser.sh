#!/usr/bin/env bash
# Headless Chromium against the demo's /chat over https (self-signed certificate): two
# pages join the room, one sends a message, the other must list it
# (scripts/browser/chat.py, over the DevTools protocol). Takes about 15 s.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
target=${CARGO_TARGET_DIR:-target}
venv=$target/browser-venv

command -v chromium >/dev/null || { echo "48-browser: chromium missing (scripts/apt-packages.txt)"; exit 1; }

cargo build -q -p weft-server
bin=$target/debug/server-smol
[ -x "$bin" ] || { echo "48-browser: no binary at $bin" >&2; exit 1; }

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --disable-pip-version-check -q -r scripts/browser/requirements.txt

STAGE=48-browser
source scripts/lib/server.sh

start_server "$bin" --bind 127.0.0.1:0 --tls-bind 127.0.0.1:0 --workers 1 --log compact
tls=$(server_addr https)

timeout 120 "$venv/bin/python" scripts/browser/chat.py "$tls" || fail "the chat page test"
# Chromium opens the socket over HTTP/2 when the server offers extended CONNECT (RFC 8441:
# an accepted CONNECT is answered 200), else over HTTP/1.1 (an Upgrade answered 101).
if ! grep -Eq '/chat/ws.*(status=101|version=H2.*status=200)' "$work/server.log"; then
    grep -F '/chat/ws' "$work/server.log" | head -5
    fail "the server logged no WebSocket handshake of /chat/ws"
fi
echo "48-browser: passed"
