#!/usr/bin/env bash
# Every crate meant for crates.io packages and builds on its own: `cargo package`
# builds each .crate from what it would upload, so a file read from outside the
# crate (test data, a README one level up) or a path dependency without a
# version fails here, not at release time. Path dependencies that are not yet
# on crates.io resolve through cargo's temporary local registry.
# Crates marked `publish = false` (the Python package) are left out by cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
# --allow-dirty: the suite also runs on a work tree with uncommitted changes.
cargo package --workspace --allow-dirty
for crate in target/package/*.crate; do
    echo "20-package: $(basename "$crate"): $(tar -tzf "$crate" | wc -l) files, $(du -k "$crate" | cut -f1) KiB"
done
