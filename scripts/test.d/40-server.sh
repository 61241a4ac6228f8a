#!/usr/bin/env bash
# server-smol against real clients: curl (HTTP/1.1, h2c prior knowledge, h2 over TLS
# by ALPN), nghttp, h2load and wrk load smokes (>= 10,000 requests, zero failures),
# Python httpx with HTTP/2, WebSocket over HTTP/2 (RFC 8441) from Python's h2 and
# wsproto, hostile HTTP/2 clients (rapid reset, CONTINUATION flood:
# GOAWAY while another client keeps being served), and graceful shutdown on SIGTERM
# with a request in flight. Every wait is bounded; the trap stops what we started.
set -euo pipefail
cd "$(dirname "$0")/../.."

for tool in curl nghttp h2load wrk python3; do
    command -v "$tool" >/dev/null || { echo "40-server: $tool missing (scripts/apt-packages.txt)"; exit 1; }
done

STAGE=40-server
source scripts/lib/server.sh

cargo build -q -p weft-server
bin=${CARGO_TARGET_DIR:-target}/debug/server-smol
# On free ports, read back from its log.
start_server "$bin" --bind 127.0.0.1:0 --tls-bind 127.0.0.1:0 --workers 2 --shutdown-timeout 10 \
    --log compact
plain=$(server_addr http)
tls=$(server_addr https)
echo "40-server: serving on $plain and $tls"

expect_eq() { [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"; }
curl_() { curl --silent --show-error --max-time 20 "$@"; }

# --- curl: the three protocol paths ------------------------------------------------------
expect_eq "$(curl_ -w ' %{http_version}' "http://$plain/")" "Hello, World! 1.1" "curl HTTP/1.1"
expect_eq "$(curl_ --http2-prior-knowledge -w ' %{http_version}' "http://$plain/")" "Hello, World! 2" "curl h2c"
expect_eq "$(curl_ -k -w ' %{http_version}' "https://$tls/")" "Hello, World! 2" "curl h2 over TLS (ALPN)"
expect_eq "$(curl_ -k --http1.1 -w ' %{http_version}' "https://$tls/")" "Hello, World! 1.1" "curl HTTP/1.1 over TLS"

# --- an upload over the 10 MiB limit: a complete 413 ---------------------------------------
head -c $((11 * 1024 * 1024)) /dev/zero >"$work/too-big"
# HTTP/1.1: declared up front (content-length), and streamed without a length.
expect_eq "$(curl_ --http1.1 -o /dev/null -w '%{http_code}' --data-binary @"$work/too-big" "http://$plain/echo")" \
    413 "curl HTTP/1.1 upload over max_body, with content-length"
expect_eq "$(curl_ --http1.1 -o /dev/null -w '%{http_code}' -H 'transfer-encoding: chunked' --data-binary @"$work/too-big" "http://$plain/echo")" \
    413 "curl HTTP/1.1 upload over max_body, streamed"
# HTTP/2 (RFC 9113 §8.1): the 413 ends its stream (HEADERS with END_STREAM, flags 0x05)
# before the RST_STREAM NO_ERROR that stops the upload. (nghttp rather than curl: curl
# 7.88 reports any reset that arrives mid-upload as an error.)
nghttp -v -d "$work/too-big" "http://$plain/echo" >"$work/nghttp-413.log" 2>&1 || true
grep -q ':status: 413' "$work/nghttp-413.log" || fail "nghttp upload over max_body: no 413"
grep -q 'recv HEADERS frame <length=[0-9]*, flags=0x05' "$work/nghttp-413.log" \
    || fail "nghttp upload over max_body: the 413 did not end its stream"
expect_eq "$(curl_ "http://$plain/users/7")" '{"id":7,"name":"user 7"}' "curl JSON"
expect_eq "$(curl_ -o /dev/null -w '%{http_code}' -X PUT "http://$plain/")" "405" "curl 405"

head -c 3000000 /dev/urandom >"$work/upload.bin"
want=$(sha256sum <"$work/upload.bin" | cut -d' ' -f1)
for mode in "" "--http2-prior-knowledge" ; do
    got=$(curl_ $mode --data-binary "@$work/upload.bin" "http://$plain/echo" | sha256sum | cut -d' ' -f1)
    expect_eq "$got" "$want" "curl echo 3 MB ${mode:-http/1.1}"
done
got=$(curl_ -k --data-binary "@$work/upload.bin" "https://$tls/echo" | sha256sum | cut -d' ' -f1)
expect_eq "$got" "$want" "curl echo 3 MB over TLS h2"
got=$(curl_ -H 'Transfer-Encoding: chunked' --data-binary "@$work/upload.bin" "http://$plain/echo" | sha256sum | cut -d' ' -f1)
expect_eq "$got" "$want" "curl echo 3 MB chunked upload"

expect_eq "$(curl_ -r 6-9 "http://$plain/static/hello.txt")" "from" "curl range"
etag=$(curl_ -sI "http://$plain/static/hello.txt" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
[ -n "$etag" ] || fail "no ETag"
expect_eq "$(curl_ -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "http://$plain/static/hello.txt")" "304" "curl 304"
expect_eq "$(curl_ --path-as-is -o /dev/null -w '%{http_code}' "http://$plain/static/../Cargo.toml")" "403" "curl traversal"
sse=$(curl_ --http2-prior-knowledge "http://$plain/sse?count=3&interval_ms=20" | grep -c '^event: tick')
expect_eq "$sse" "3" "curl SSE over h2c"
echo "40-server: curl ok"

# --- nghttp -----------------------------------------------------------------------------
nghttp -nv "http://$plain/static/hello.txt" >"$work/nghttp.txt" 2>&1 || fail "nghttp h2c"
grep -q ':status: 200' "$work/nghttp.txt" || fail "nghttp: no 200"
nghttp -nv "https://$tls/users/1" >"$work/nghttp-tls.txt" 2>&1 || fail "nghttp TLS"
grep -q 'The negotiated protocol: h2' "$work/nghttp-tls.txt" || fail "nghttp: ALPN h2 not negotiated"
echo "40-server: nghttp ok"

# --- load smokes: every request must succeed ---------------------------------------------
h2load_check() {
    local label=$1; shift
    timeout 120 h2load "$@" >"$work/h2load.txt" 2>&1 || { cat "$work/h2load.txt"; fail "h2load $label"; }
    grep -q 'requests: 20000 total, 20000 started, 20000 done, 20000 succeeded, 0 failed, 0 errored, 0 timeout' \
        "$work/h2load.txt" || { cat "$work/h2load.txt"; fail "h2load $label: not all succeeded"; }
    grep -q 'status codes: 20000 2xx' "$work/h2load.txt" || { cat "$work/h2load.txt"; fail "h2load $label: non-2xx"; }
    echo "40-server: h2load $label: 20000/20000 ok"
}
h2load_check h2c -n 20000 -c 10 -m 10 "http://$plain/"
h2load_check "h2 over TLS" -n 20000 -c 10 -m 10 "https://$tls/"
h2load_check "HTTP/1.1" --h1 -n 20000 -c 10 "http://$plain/"

timeout 60 wrk -t1 -c 16 -d 3s "http://$plain/" >"$work/wrk.txt" 2>&1 || { cat "$work/wrk.txt"; fail "wrk"; }
requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
[ "${requests:-0}" -ge 10000 ] || { cat "$work/wrk.txt"; fail "wrk made only ${requests:-0} requests"; }
if grep -qE 'Socket errors|Non-2xx' "$work/wrk.txt"; then cat "$work/wrk.txt"; fail "wrk saw errors"; fi
echo "40-server: wrk HTTP/1.1: $requests requests, no errors"

# --- Python httpx[http2] ----------------------------------------------------------------
venv=${CARGO_TARGET_DIR:-target}/server-peers-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import httpx, h2, wsproto' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'httpx[http2]>=0.27' 'wsproto>=1.2'
fi
timeout 120 "$venv/bin/python" server-smol/tests/peers/httpx_client.py "$plain" "$tls" || fail "httpx"

# --- WebSocket over HTTP/2 (RFC 8441): h2 and wsproto, two sockets and requests on one connection
timeout 120 "$venv/bin/python" server-smol/tests/peers/h2_websocket.py "$plain" "$tls" \
    || fail "WebSocket over HTTP/2 (h2 + wsproto)"

# --- hostile HTTP/2 clients, while a well-behaved one keeps going ------------------------
for attack in rapid-reset continuation-flood; do
    timeout 60 h2load -n 20000 -c 4 -m 10 "http://$plain/" >"$work/bystander.txt" 2>&1 &
    bystander=$!
    timeout 60 "$venv/bin/python" server-smol/tests/peers/h2_hostile.py "$plain" "$attack" \
        || fail "$attack was not answered with GOAWAY"
    wait "$bystander" || { cat "$work/bystander.txt"; fail "bystander during $attack"; }
    grep -q '20000 succeeded, 0 failed, 0 errored' "$work/bystander.txt" \
        || { cat "$work/bystander.txt"; fail "bystander lost requests during $attack"; }
    expect_eq "$(curl_ --http2-prior-knowledge "http://$plain/")" "Hello, World!" "served after $attack"
done
echo "40-server: hostile clients got GOAWAY; others kept being served"

# --- graceful shutdown: in-flight requests complete --------------------------------------
curl_ "http://$plain/sse?count=4&interval_ms=250" >"$work/inflight-h1.txt" &
h1_client=$!
curl_ --http2-prior-knowledge "http://$plain/sse?count=4&interval_ms=250" >"$work/inflight-h2.txt" &
h2_client=$!
sleep 0.3
kill -TERM "$server_pid"
wait "$h1_client" || fail "HTTP/1.1 request in flight failed during shutdown"
wait "$h2_client" || fail "HTTP/2 request in flight failed during shutdown"
expect_eq "$(grep -c '^event: tick' "$work/inflight-h1.txt")" "4" "in-flight HTTP/1.1 SSE"
expect_eq "$(grep -c '^event: tick' "$work/inflight-h2.txt")" "4" "in-flight HTTP/2 SSE"
wait_server_exit
grep -q "stopped" "$work/server.log" || fail "no clean stop in the log"
if grep -q panicked "$work/server.log"; then fail "the server panicked"; fi
echo "40-server: graceful shutdown ok"
echo "40-server: all passed"
