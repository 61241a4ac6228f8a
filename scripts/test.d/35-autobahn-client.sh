#!/usr/bin/env bash
# Autobahn as a client: ws-proto's example client (ws-proto/examples/autobahn_client.rs)
# drives kosoku's fuzzing server, a runner of the Autobahn TestSuite's own case files,
# through all 517 cases of sections 1-13, compression included. The stage fails unless
# every case ran and none is FAILED, NON-STRICT, UNIMPLEMENTED or ERROR, in its verdict
# or in its closing handshake (INFORMATIONAL is fine).
#
# kosoku comes from PyPI (scripts/autobahn/requirements.txt), installed here when it is
# missing. The client is a release build: section 9 sends messages of up to 16 MiB.
# Takes 16 minutes at a load average of 15 and 36 at 20 on this 2-core machine (section
# 13 alone is 4.5; the cases set their own pace, the client uses about 2 CPU minutes),
# and the client gets AUTOBAHN_TIMEOUT seconds (3600) to finish.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
if ! command -v kosoku >/dev/null; then
    echo "35-autobahn-client: installing kosoku"
    "$python" -m pip install --disable-pip-version-check -q -r scripts/autobahn/requirements.txt
fi
command -v kosoku >/dev/null || { echo "35-autobahn-client: kosoku not found after install"; exit 1; }

cargo build --release -p weft-ws --example autobahn_client --quiet
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
client="$target_dir/release/examples/autobahn_client"

# $work, and the clean-up that stops $server_pid: here kosoku's fuzzing server.
STAGE=35-autobahn-client
source scripts/lib/server.sh

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$((20000 + RANDOM % 40000))
    port_open "$port" && continue
    kosoku -m fuzzingserver "127.0.0.1:$port" -o "$work/reports" >"$work/kosoku.log" 2>&1 &
    server_pid=$!
    for i in $(seq 1 100); do
        kill -0 "$server_pid" 2>/dev/null || break
        port_open "$port" && break 2
        sleep 0.1
    done
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
done
[ -n "$server_pid" ] || { echo "35-autobahn-client: kosoku did not start"; cat "$work/kosoku.log"; exit 1; }

echo "35-autobahn-client: $client against kosoku -m fuzzingserver on port $port"
timeout "${AUTOBAHN_TIMEOUT:-3600}" "$client" "127.0.0.1:$port" || { echo "35-autobahn-client: the client failed"; exit 1; }
# kosoku writes the reports and exits once the client asked for them.
for i in $(seq 1 300); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
tail -n 3 "$work/kosoku.log"

"$python" scripts/autobahn/verdict.py "$work/reports/index.json" 517 \
    || { echo "35-autobahn-client: cases that did not pass"; exit 1; }
echo "35-autobahn-client: passed"
