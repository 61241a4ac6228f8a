#!/usr/bin/env bash
# The Autobahn TestSuite (RFC 6455, RFC 7692) against server-smol's /ws echo over
# HTTP/1.1: kosoku's fuzzing client runs all 517 cases of sections 1-13, including the
# 9.x performance cases and the 12.x/13.x permessage-deflate cases, and the stage fails
# unless every case is OK or INFORMATIONAL (none FAILED, NON-STRICT or UNIMPLEMENTED).
#
# The server is the optimised build of the attack stage (the `attacks` profile, shared
# with 45-attacks so it is built once): the compression and performance cases move
# hundreds of MiB through DEFLATE, which a debug build takes minutes over.
# WEFT_AUTOBAHN_CASES narrows the run while working (`-i '6.*' -i 7.1.1`); the verdict
# then expects the count given in WEFT_AUTOBAHN_EXPECT.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
target=${CARGO_TARGET_DIR:-target}
venv=$target/autobahn-venv
expected=${WEFT_AUTOBAHN_EXPECT:-517}

cargo build -q --bin server-smol --profile attacks \
    --config 'profile.attacks.inherits="release"' \
    --config 'profile.attacks.lto=false' \
    --config 'profile.attacks.codegen-units=16' \
    --config 'profile.attacks.incremental=true'
bin=$(realpath "$target/attacks/server-smol")
[ -x "$bin" ] || { echo "47-autobahn: no binary at $bin" >&2; exit 1; }

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --disable-pip-version-check -q -r scripts/autobahn/requirements.txt
kosoku=$venv/bin/kosoku
[ -x "$kosoku" ] || { echo "47-autobahn: kosoku did not install" >&2; exit 1; }
# The verdict every autobahn stage reads its report through must fail a doctored report.
"$venv/bin/python" scripts/autobahn/test_verdict.py \
    || { echo "47-autobahn: the verdict passes a bad report" >&2; exit 1; }

STAGE=47-autobahn
source scripts/lib/server.sh

# Messages of the 9.x cases reach 16 MiB; section 9 also sends frames that large.
start_server "$bin" --bind 127.0.0.1:0 --no-tls --workers 1 --log compact \
    --ws-max-message $((64 << 20))
addr=$(server_addr http)

start=$SECONDS
read -r -a selection <<<"${WEFT_AUTOBAHN_CASES:-}"
# Every case has a deadline of its own inside kosoku; this one bounds the whole run.
# kosoku exits 1 when a case failed, after writing the report the verdict reads.
status=0
timeout 2400 "$kosoku" -m fuzzingclient "ws://$addr/ws" -o "$work/reports" -p 2 \
    "${selection[@]}" >"$work/kosoku.log" 2>&1 || status=$?
echo "47-autobahn: kosoku ran in $((SECONDS - start))s (exit status $status)"
if [ ! -f "$work/reports/index.json" ]; then
    tail -20 "$work/kosoku.log"
    fail "kosoku wrote no report"
fi
kill -0 "$server_pid" 2>/dev/null || fail "the server died during the run"
"$venv/bin/python" scripts/autobahn/verdict.py "$work/reports/index.json" "$expected" \
    || fail "cases that did not pass (reports in $work/reports, removed on exit)"
echo "47-autobahn: passed"
