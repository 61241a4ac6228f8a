#!/usr/bin/env bash
# The API documentation builds without a warning: broken intra-doc links,
# missing docs (the workspace's `missing_docs` lint) and the crate READMEs,
# which are also the crate-level docs (their examples run as doctests in the
# test stage).
set -euo pipefail
cd "$(dirname "$0")/../.."
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
