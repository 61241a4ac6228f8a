# server-smol's start-up and clean-up, shared by the test stages that run it.
#
# Source it from the repository root with STAGE set to the stage's name:
#
#     STAGE=42-h3
#     source scripts/lib/server.sh
#
# It makes $work, a temporary directory, and a trap that stops the server and any pid
# added to extra_pids, then removes $work. It defines:
#
#     fail MESSAGE...       prints "$STAGE: FAIL: MESSAGE" and the server's panics,
#                           errors and warnings, and exits 1
#     start_server BIN ARG...
#                           starts BIN ARG... logging to $work/server.log, waits (at most
#                           10 s) for its "serving" line, sets $server_pid
#     server_addr KIND      prints the address the log reports for http, https or h3
#     stop_server           SIGTERM, then wait_server_exit
#     wait_server_exit      fails unless the server (sent SIGTERM) exits cleanly within 10 s
#
# Every wait is bounded.

work=$(mktemp -d)
server_pid=
extra_pids=()

_server_cleanup() {
    local pid
    for pid in $server_pid "${extra_pids[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$work"
}
trap _server_cleanup EXIT

fail() {
    echo "$STAGE: FAIL: $*"
    if [ -f "$work/server.log" ]; then
        grep -v 'weft::access' "$work/server.log" | grep -A3 -E 'panicked|ERROR|WARN' | head -40 || true
    fi
    exit 1
}

start_server() {
    [ -x "$1" ] || fail "no server binary at $1"
    : >"$work/server.log"
    "$@" >"$work/server.log" 2>&1 &
    server_pid=$!
    local _
    for _ in $(seq 100); do
        grep -q "serving" "$work/server.log" && return 0
        kill -0 "$server_pid" 2>/dev/null || fail "server exited at start"
        sleep 0.1
    done
    fail "server did not start within 10 s"
}

# In $(...), so a failure is reported on stderr and ends the stage through `set -e`.
server_addr() {
    grep -o "$1=Some(127.0.0.1:[0-9]*)" "$work/server.log" | head -1 | grep -o '127.0.0.1:[0-9]*' || {
        echo "$STAGE: FAIL: the server did not report its $1 address" >&2
        return 1
    }
}

stop_server() {
    kill -TERM "$server_pid"
    wait_server_exit
}

wait_server_exit() {
    local _
    for _ in $(seq 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then fail "server still running 10 s after SIGTERM"; fi
    wait "$server_pid" || fail "server exited with an error after SIGTERM"
    server_pid=
}
