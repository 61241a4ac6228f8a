#!/usr/bin/env bash
# server-smol over HTTP/3 (QUIC on the TLS port, over UDP) against real clients, and the
# Alt-Svc field that points HTTP/1.1 and HTTP/2 clients over TLS at it:
# aioquic's (GET, a 4 MiB echo, trailers both ways, a static file, 405, 200 concurrent
# streams), ngtcp2's gtlsclient from Debian's ngtcp2-client, and a graceful shutdown
# (GOAWAY) with 20 requests kept in flight: every answered request is whole, and the
# server exits. WebSocket over HTTP/3 (RFC 9220) against aioquic with wsproto, on a
# second server with a 1 s body timeout: echoes, the closing handshake, refusals, and a
# socket idle longer than that timeout, and one closed with 1001 by a graceful shutdown.
# About 25 s. Every wait is bounded; the trap stops what we started.
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in gtlsclient python3 curl; do
    command -v "$tool" >/dev/null || { echo "42-h3: $tool missing (scripts/apt-packages.txt)"; exit 1; }
done

work=$(mktemp -d)
server_pid=
ws_pid=
cleanup() {
    for pid in "$server_pid" "$ws_pid"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "42-h3: FAIL: $*"
    [ -f "$work/server.log" ] && grep -v 'weft::access' "$work/server.log" | grep -A3 -E 'panicked|ERROR|WARN' | head -40
    exit 1
}

venv=${CARGO_TARGET_DIR:-target}/h3-peers-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import aioquic, wsproto' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r server-smol/tests/peers/requirements-h3.txt
fi

# Waits until the server that logs to $1 (pid $2) serves; prints the address of its
# listener named $3 (http, https, h3).
serving() {
    for _ in $(seq 100); do
        if grep -q "serving" "$1"; then break; fi
        kill -0 "$2" 2>/dev/null || fail "server exited at start"
        sleep 0.1
    done
    grep -o "$3=Some(127.0.0.1:[0-9]*)" "$1" | head -1 | grep -o '127.0.0.1:[0-9]*'
}

cargo build -q -p weft-server
bin=${CARGO_TARGET_DIR:-target}/debug/server-smol
[ -x "$bin" ] || fail "no binary at $bin"

"$bin" --bind 127.0.0.1:0 --tls-bind 127.0.0.1:0 --workers 2 --shutdown-timeout 10 \
    --log compact >"$work/server.log" 2>&1 &
server_pid=$!
tls=$(serving "$work/server.log" "$server_pid" https)
h3=$(serving "$work/server.log" "$server_pid" h3)
[ -n "$h3" ] || fail "server did not report its HTTP/3 address"
[ "$h3" = "$tls" ] || fail "HTTP/3 is not on the TLS address by default ($h3, $tls)"
echo "42-h3: serving HTTP/3 on $h3 (UDP)"

# --- Alt-Svc (RFC 7838): TLS responses over HTTP/1.1 and HTTP/2 name the HTTP/3 port -----
port=${h3##*:}
for version in --http1.1 --http2; do
    curl --silent --show-error --max-time 20 -k "$version" -D "$work/alt-svc.head" -o /dev/null "https://$tls/"
    grep -qi "^alt-svc: h3=\":$port\"" "$work/alt-svc.head" || fail "no Alt-Svc for h3 over TLS ($version)"
done
plain=$(serving "$work/server.log" "$server_pid" http)
curl --silent --show-error --max-time 20 -D "$work/alt-svc.head" -o /dev/null "http://$plain/"
grep -qi '^alt-svc' "$work/alt-svc.head" && fail "Alt-Svc on a cleartext response"
echo "42-h3: Alt-Svc on TLS responses: ok"

# --- aioquic ---------------------------------------------------------------------------
timeout 120 "$venv/bin/python" server-smol/tests/peers/h3_client.py "$h3" || fail "aioquic client"

# --- ngtcp2 (Debian's ngtcp2-client) -----------------------------------------------------
timeout 20 gtlsclient --exit-on-all-streams-close 127.0.0.1 "$port" "https://$h3/" \
    >"$work/ngtcp2.log" 2>&1 || fail "gtlsclient exited with an error"
grep -q 'http: stream 0x0 \[:status: 200\]' "$work/ngtcp2.log" || fail "gtlsclient: no 200"
grep -q '|Hello, World!|' "$work/ngtcp2.log" || fail "gtlsclient: no body"
echo "42-h3: ngtcp2 gtlsclient GET: ok"

# --- WebSocket over HTTP/3 (RFC 9220) ----------------------------------------------------
"$bin" --bind 127.0.0.1:0 --tls-bind 127.0.0.1:0 --workers 1 --body-timeout 1 \
    --log compact >"$work/ws.log" 2>&1 &
ws_pid=$!
ws_h3=$(serving "$work/ws.log" "$ws_pid" h3)
[ -n "$ws_h3" ] || fail "the WebSocket server did not report its HTTP/3 address"
timeout 60 "$venv/bin/python" server-smol/tests/peers/h3_websocket.py "$ws_h3" 2.5 \
    || { grep -A3 -E 'panicked|ERROR' "$work/ws.log" | head -20; fail "WebSocket over HTTP/3"; }
# A socket open during a graceful shutdown is closed with 1001, and the server exits.
timeout 30 "$venv/bin/python" server-smol/tests/peers/h3_websocket.py "$ws_h3" --shutdown \
    >"$work/ws-shutdown.log" 2>&1 &
shutdown_pid=$!
for _ in $(seq 100); do
    grep -q "waiting for the shutdown" "$work/ws-shutdown.log" && break
    kill -0 "$shutdown_pid" 2>/dev/null || break
    sleep 0.1
done
kill -TERM "$ws_pid"
wait "$shutdown_pid" || { cat "$work/ws-shutdown.log"; fail "WebSocket over HTTP/3 at shutdown"; }
grep -q Traceback "$work/ws-shutdown.log" && { cat "$work/ws-shutdown.log"; fail "the WebSocket client raised"; }
tail -1 "$work/ws-shutdown.log"
wait "$ws_pid" || fail "the WebSocket server exited with an error"
ws_pid=
grep -q 'panicked' "$work/ws.log" && fail "the WebSocket server panicked"

# --- graceful shutdown under load --------------------------------------------------------
timeout 60 "$venv/bin/python" server-smol/tests/peers/h3_client.py "$h3" --goaway-load 6 \
    >"$work/goaway.log" 2>&1 &
load_pid=$!
sleep 2
kill -TERM "$server_pid"
wait "$load_pid" || { cat "$work/goaway.log"; fail "requests in flight during GOAWAY"; }
cat "$work/goaway.log"
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then fail "server still running 10 s after SIGTERM"; fi
wait "$server_pid" || fail "server exited with an error after SIGTERM"
server_pid=
grep -q 'panicked' "$work/server.log" && fail "the server panicked"
echo "42-h3: ok"
