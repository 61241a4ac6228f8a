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

# Verification builds each crate against its siblings as cargo's temporary
# registry serves them. cargo takes a registry crate of a given version to be
# immutable: it keeps the unpacked copy ($CARGO_HOME/registry/src/-<hash>/) and
# the compiled one (its fingerprint in the target directory) from earlier runs.
# Our versions stay the same between releases while the code changes, so a
# crate would be verified against an old build of its sibling. Drop both, for
# our own crates only.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
target_dir=${CARGO_TARGET_DIR:-target}
for crate in "${crates[@]}"; do
    rm -rf "$cargo_home"/registry/src/-*/"$crate"
done
for depinfo in "$target_dir"/debug/deps/weft_*.d; do
    [ -e "$depinfo" ] || continue
    if grep -q '/registry/src/-' "$depinfo"; then
        unit=$(basename "$depinfo" .d)       # weft_http_core-<hash>
        name=${unit%-*}
        rm -rf "$target_dir/debug/.fingerprint/${name//_/-}-${unit##*-}"
    fi
done

# --allow-dirty: the suite also runs on a work tree with uncommitted changes.
cargo package --allow-dirty "${packages[@]/#/--package=}"
for crate in "${crates[@]}"; do
    crate=target/package/$crate.crate
    echo "20-package: $(basename "$crate"): $(tar -tzf "$crate" | wc -l) files, $(du -k "$crate" | cut -f1) KiB"
done
