#!/usr/bin/env bash
# Autobahn against the Python package: kosoku's fuzzing client (a runner of the
# Autobahn TestSuite's case files, PyPI) drives an ASGI echo app
# (py-binding/tests/apps/asgi_ws.py:echo) served by `python -m weft`, through all 517
# cases of sections 1-13, compression included. The stage fails unless every case ran
# and none is FAILED, NON-STRICT, UNIMPLEMENTED or ERROR, in its verdict or in its
# closing handshake (INFORMATIONAL is fine): the same gate as the Rust server's.
#
# 3.2-3.4, 4.1.3-4.1.5, 4.2.3-4.2.5 and 5.15 send a valid message and then a bad frame
# and want the echo before the Close 1002. A Python application answers a loop round
# trip after it took the message; the server's session reads and acts on the next
# frame only once the application asks for the next message, so they are strict too.
#
# Runs in the virtual environment 50-python.sh built (WEFT_VENV, default
# py-binding/.venv, with weft installed); kosoku is installed there when missing.
# Takes about 10 minutes (section 13 runs at the suite's own pace).
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=$(realpath -m "${WEFT_VENV:-py-binding/.venv}")
py="$venv/bin/python"
[ -x "$py" ] || { echo "55-autobahn-python: no virtual environment at $venv (run 50-python.sh first)" >&2; exit 1; }
"$py" -c "import weft._weft" || { echo "55-autobahn-python: weft is not installed in $venv" >&2; exit 1; }
if [ ! -x "$venv/bin/kosoku" ]; then
    "$py" -m pip install --disable-pip-version-check -q -r scripts/autobahn/requirements.txt
fi
[ -x "$venv/bin/kosoku" ] || { echo "55-autobahn-python: kosoku not found after install" >&2; exit 1; }

# $work, and the clean-up that stops $server_pid: here `python -m weft`.
STAGE=55-autobahn-python
source scripts/lib/server.sh

port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd py-binding && exec "$py" -m weft tests.apps.asgi_ws:echo --port "$port" --log-level warning) >"$work/server.log" 2>&1 &
server_pid=$!
for i in $(seq 1 100); do
    kill -0 "$server_pid" 2>/dev/null || { echo "55-autobahn-python: the server exited"; cat "$work/server.log"; exit 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

echo "55-autobahn-python: kosoku -m fuzzingclient against python -m weft on port $port"
timeout 1800 "$venv/bin/kosoku" -m fuzzingclient "127.0.0.1:$port" -o "$work/reports" >"$work/kosoku.log" 2>&1 \
    || { echo "55-autobahn-python: kosoku failed"; tail -n 20 "$work/kosoku.log"; exit 1; }

"$py" scripts/autobahn/verdict.py "$work/reports/index.json" 517 \
    || { echo "55-autobahn-python: cases that did not pass"; exit 1; }
echo "55-autobahn-python: passed"
