#!/usr/bin/env bash
# server-smol over HTTP/3 (QUIC on the TLS port, over UDP) against real clients, and the
# Alt-Svc field that points HTTP/1.1 and HTTP/2 clients over TLS at it:
# aioquic's (GET, a 4 MiB echo, trailers both ways, a static file, 405, 200 concurrent
# streams), ngtcp2's gtlsclient from Debian's ngtcp2-client, and a graceful shutdown
# (GOAWAY) with 20 requests kept in flight: every answered request is whole, and the
# server exits. WebSocket over HTTP/3 (RFC 9220) against aioquic with wsproto, on a
# second server with a 1 s body timeout: echoes, the closing handshake, refusals, and a
# socket idle longer than that timeout, and one closed with 1001 by a graceful shutdown.
# Then the aioquic suite again with UDP GSO/GRO off (--no-udp-offload). About 30 s.
# Every wait is bounded; the trap stops what we started.
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in gtlsclient python3 curl; do
    command -v "$tool" >/dev/null || { echo "42-h3: $tool missing (scripts/apt-packages.txt)"; exit 1; }
done

STAGE=42-h3
source scripts/lib/server.sh

venv=${CARGO_TARGET_DIR:-target}/h3-peers-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import aioquic, wsproto' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r server-smol/tests/peers/requirements-h3.txt
fi

cargo build -q -p weft-server
start_server "${CARGO_TARGET_DIR:-target}/debug/server-smol" --bind 127.0.0.1:0 \
    --tls-bind 127.0.0.1:0 --workers 2 --shutdown-timeout 10 --log compact
tls=$(server_addr https)
h3=$(server_addr h3)
[ "$h3" = "$tls" ] || fail "HTTP/3 is not on the TLS address by default ($h3, $tls)"
echo "42-h3: serving HTTP/3 on $h3 (UDP)"

# --- Alt-Svc (RFC 7838): TLS responses over HTTP/1.1 and HTTP/2 name the HTTP/3 port -----
port=${h3##*:}
for version in --http1.1 --http2; do
    curl --silent --show-error --max-time 20 -k "$version" -D "$work/alt-svc.head" -o /dev/null "https://$tls/"
    grep -qi "^alt-svc: h3=\":$port\"" "$work/alt-svc.head" || fail "no Alt-Svc for h3 over TLS ($version)"
done
plain=$(server_addr http)
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
"${CARGO_TARGET_DIR:-target}/debug/server-smol" --bind 127.0.0.1:0 --tls-bind 127.0.0.1:0 \
    --workers 1 --body-timeout 1 \
    --log compact >"$work/ws.log" 2>&1 &
ws_pid=$!
extra_pids+=("$ws_pid")
for _ in $(seq 100); do
    grep -q "serving" "$work/ws.log" && break
    kill -0 "$ws_pid" 2>/dev/null || fail "the WebSocket server exited at start"
    sleep 0.1
done
ws_h3=$(grep -o 'h3=Some(127.0.0.1:[0-9]*)' "$work/ws.log" | head -1 | grep -o '127.0.0.1:[0-9]*') \
    || fail "the WebSocket server did not report its HTTP/3 address"
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
# Until the client has its connection and its first answer, then a second of load.
for _ in $(seq 300); do
    grep -q 'GOAWAY load: running' "$work/goaway.log" && break
    kill -0 "$load_pid" 2>/dev/null || break
    sleep 0.1
done
grep -q 'GOAWAY load: running' "$work/goaway.log" || { cat "$work/goaway.log"; fail "the GOAWAY load client did not start"; }
sleep 1
kill -TERM "$server_pid"
wait "$load_pid" || { cat "$work/goaway.log"; fail "requests in flight during GOAWAY"; }
cat "$work/goaway.log"
wait_server_exit
grep -q 'panicked' "$work/server.log" && fail "the server panicked"

# --- one datagram per system call ----------------------------------------------------------
# The path a kernel without UDP GSO/GRO takes (and the one a refusal falls back to): the
# same aioquic suite, bulk transfers included, with the offload forced off.
start_server "${CARGO_TARGET_DIR:-target}/debug/server-smol" --bind 127.0.0.1:0 \
    --tls-bind 127.0.0.1:0 --workers 1 --log compact --no-udp-offload
timeout 120 "$venv/bin/python" server-smol/tests/peers/h3_client.py "$(server_addr h3)" \
    || fail "aioquic client, --no-udp-offload"
stop_server
grep -q 'panicked' "$work/server.log" && fail "the server panicked (--no-udp-offload)"
echo "42-h3: ok"
