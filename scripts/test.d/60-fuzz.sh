#!/usr/bin/env bash
# Fuzz smoke: builds every cargo-fuzz target and runs each for a short period
# (FUZZ_SECONDS, 15 by default), so that none can rot unnoticed as the crates'
# APIs change, and a crash the fuzzers find quickly fails the suite.
#
# fuzz/ sits outside the workspace and builds with its own flags. cargo-fuzz
# needs -Z flags; RUSTC_BOOTSTRAP=1 unlocks them on the stable toolchain that
# builds everything else. No sanitizer: every weft crate forbids `unsafe`, so
# the fuzzers look for panics, overflows (debug assertions are on) and hangs,
# and the build is half as long without instrumenting for AddressSanitizer.
set -uo pipefail
cd "$(dirname "$0")/../../fuzz" || exit 1
export RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-15}
# Each target needs its crate's feature (see fuzz/Cargo.toml); all of them here.
flags=(--sanitizer none --debug-assertions --all-features)

cargo fuzz build "${flags[@]}" || { echo "60-fuzz: the fuzz targets do not build"; exit 1; }

targets=$(cargo fuzz list)
[ -n "$targets" ] || { echo "60-fuzz: cargo fuzz list found no targets"; exit 1; }
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
status=0
for target in $targets; do
    # Each run starts from the corpus left by earlier runs (fuzz/corpus,
    # untracked), or from nothing in a fresh clone.
    if cargo fuzz run "${flags[@]}" "$target" -- -max_total_time="$seconds" -timeout=10 \
        >"$logs/$target.log" 2>&1; then
        echo "60-fuzz: $target: $(grep -o 'Done [0-9]* runs' "$logs/$target.log" | tail -1) in ${seconds}s"
    else
        echo "60-fuzz: $target FAILED; the end of its log:"
        tail -40 "$logs/$target.log"
        status=1
    fi
done
exit $status
