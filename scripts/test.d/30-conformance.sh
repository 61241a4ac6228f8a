#!/usr/bin/env bash
# Conformance stage: our servers and an independent one, checked from outside.
#
# 1. `conformance h2` against nghttpd (Debian's nghttp2-server, an independent
#    implementation): the runner must judge it the way the reference h2spec
#    does, which for nghttpd 1.52 is exactly one failure, http2/5.1.1/2 (it
#    answers a lower stream id with DATA instead of a PROTOCOL_ERROR). Any
#    other verdict means the runner is wrong, so the stage fails.
# 2. `conformance hpack`: the hpack-test-case corpus through the hpack crate.
# 3. server-smol, which must pass everything: `conformance h2` over TLS (ALPN
#    h2) and over cleartext (h2c by prior knowledge, on the port that also
#    serves HTTP/1.1), its RFC 8441 cases (`--extended-connect /ws`, the demo's
#    WebSocket echo) both ways, and `conformance h1` over cleartext and TLS.
#
# Installs nothing: scripts/install-deps installs nghttp2-server from
# scripts/apt-packages.txt. Every server started here is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

command -v nghttpd >/dev/null || {
    echo "30-conformance: nghttpd not found (scripts/install-deps installs nghttp2-server)"
    exit 1
}

cargo build -p weft-conformance --quiet
conformance() { cargo run -p weft-conformance --quiet -- "$@"; }

work=$(mktemp -d)
server_pids=()
# Stops a server we started: politely first, then for good after 5 s (a
# graceful shutdown must not hold the stage up).
stop_server() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    for pid in "${server_pids[@]}"; do
        stop_server "$pid"
    done
    rm -rf "$work"
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Starts "$@" with PORT replaced by a free loopback port; sets $server_port.
start_server() {
    local attempt port pid i args
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 40000))
        port_open "$port" && continue
        args=("${@//PORT/$port}")
        "${args[@]}" >"$work/server-$port.log" 2>&1 &
        pid=$!
        for i in $(seq 1 100); do
            if ! kill -0 "$pid" 2>/dev/null; then break; fi
            if port_open "$port"; then
                server_pids+=("$pid")
                server_port=$port
                return 0
            fi
            sleep 0.1
        done
        stop_server "$pid"
    done
    echo "30-conformance: could not start: $*"
    cat "$work"/server-*.log 2>/dev/null || true
    return 1
}

# The failed case ids of a run, one a line, sorted: from the JUnit file (a
# failing <testcase> is the only kind with children) and from the printed
# "Failures:" list; both must agree.
failed_ids_junit() { sed -n 's/^ *<testcase name="\([^:"]*\):.*[^/]>$/\1/p' "$1" | sort; }
failed_ids_stdout() { sed -n '/^Failures:/,$ s/^  × \([^:]*\):.*/\1/p' "$1" | sort; }

check_nghttpd() {
    mkdir -p "$work/docroot"
    echo '<!doctype html><title>weft conformance</title><p>nghttpd docroot for the conformance stage.</p>' \
        >"$work/docroot/index.html"
    start_server nghttpd --no-tls -d "$work/docroot" PORT
    echo "30-conformance: conformance h2 against nghttpd $(nghttpd --version | head -n1) on port $server_port"
    local status=0
    conformance h2 --host 127.0.0.1 --port "$server_port" --junit "$work/nghttpd.xml" >"$work/nghttpd.out" || status=$?
    cat "$work/nghttpd.out"
    local summary expected_summary="146 tests, 145 passed, 0 skipped, 1 failed"
    summary=$(tail -n1 "$work/nghttpd.out")
    if [ "$status" -ne 1 ] || [ "$summary" != "$expected_summary" ]; then
        echo "30-conformance: FAIL: against nghttpd expected exit 1 and '$expected_summary', got exit $status and '$summary'"
        return 1
    fi
    local junit_ids stdout_ids cases
    junit_ids=$(failed_ids_junit "$work/nghttpd.xml")
    stdout_ids=$(failed_ids_stdout "$work/nghttpd.out")
    cases=$(grep -c '<testcase ' "$work/nghttpd.xml")
    if [ "$junit_ids" != "http2/5.1.1/2" ] || [ "$stdout_ids" != "http2/5.1.1/2" ] || [ "$cases" -ne 146 ]; then
        echo "30-conformance: FAIL: against nghttpd the one failure must be http2/5.1.1/2"
        echo "  JUnit ($cases cases) failed: ${junit_ids:-none}; printed failed: ${stdout_ids:-none}"
        return 1
    fi
    echo "30-conformance: nghttpd judged as the reference suite does: only http2/5.1.1/2 fails"
}

# server-smol's demo app answers GET / and POST /echo; it serves its own
# self-signed certificate, hence --insecure. One server, both listeners.
check_server_smol() {
    cargo build -p weft-server --quiet
    local target_dir plain_port tls_port
    target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    start_server "$target_dir/debug/server-smol" --workers 1 --bind 127.0.0.1:0 --tls-bind 127.0.0.1:PORT
    tls_port=$server_port
    start_server "$target_dir/debug/server-smol" --workers 1 --no-tls --bind 127.0.0.1:PORT
    plain_port=$server_port
    local status=0
    echo "30-conformance: conformance h2 over TLS against server-smol on port $tls_port"
    conformance h2 --host localhost --port "$tls_port" --tls --insecure --post-path /echo \
        --junit "$work/server-smol-tls.xml" || status=1
    echo "30-conformance: conformance h2 (h2c) against server-smol on port $plain_port"
    conformance h2 --host 127.0.0.1 --port "$plain_port" --post-path /echo \
        --junit "$work/server-smol-h2c.xml" || status=1
    echo "30-conformance: conformance h2 rfc8441 (h2c and TLS) against server-smol"
    conformance h2 --host 127.0.0.1 --port "$plain_port" --extended-connect /ws rfc8441 || status=1
    conformance h2 --host localhost --port "$tls_port" --tls --insecure --extended-connect /ws rfc8441 || status=1
    echo "30-conformance: conformance h1 against server-smol on port $plain_port"
    conformance h1 --host 127.0.0.1 --port "$plain_port" --post-path /echo \
        --junit "$work/server-smol-h1.xml" || status=1
    echo "30-conformance: conformance h1 over TLS against server-smol on port $tls_port"
    conformance h1 --host localhost --port "$tls_port" --tls --insecure --post-path /echo \
        --junit "$work/server-smol-h1-tls.xml" || status=1
    return $status
}

check_hpack_corpus() {
    echo "30-conformance: conformance hpack"
    conformance hpack
}

check_nghttpd
check_hpack_corpus
check_server_smol
echo "30-conformance: passed"
