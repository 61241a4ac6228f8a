#!/usr/bin/env bash
# Every crate meant for crates.io packages and builds on its own: `cargo package`
# builds each .crate from what it would upload, so a file read from outside the
# crate (test data, a README one level up) or a path dependency without a
# version fails here, not at release time. Path dependencies that are not yet
# on crates.io resolve through cargo's temporary local registry.
set -euo pipefail
cd "$(dirname "$0")/../.."

# Crates marked `publish = false` (the Python package) are not packaged:
# `cargo package --workspace` would build them too.
mapfile -t crates < <(cargo metadata --no-deps --format-version 1 | python3 -c '
import json, sys
for package in json.load(sys.stdin)["packages"]:
    if package["publish"] != []:
        print(package["name"] + "-" + package["version"])
')
packages=("${crates[@]%-*}")
[ ${#packages[@]} -gt 0 ] || { echo "20-package: no publishable crate found"; exit 1; }
echo "20-package: ${packages[*]}"

# --allow-dirty: the suite also runs on a work tree with uncommitted changes.
cargo package --allow-dirty "${packages[@]/#/--package=}"
for crate in "${crates[@]}"; do
    crate=target/package/$crate.crate
    echo "20-package: $(basename "$crate"): $(tar -tzf "$crate" | wc -l) files, $(du -k "$crate" | cut -f1) KiB"
done
