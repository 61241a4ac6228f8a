#!/usr/bin/env bash
# The QPACK oracle: weft's qpack crate against ls-qpack (C), two ways, through
# ls-qpack's Python binding pylsqpack (PyPI). qpack/tests/oracle/test_lsqpack.py
# runs every header list of the HPACK corpus's raw-data stories, and the QIF
# files of the QPACK offline-interop format that ship with ls-qpack (its
# test/qifs, inside the pylsqpack source distribution), at four table capacities,
# two blocked-stream limits, with the encoder stream in order and out of order.
#
# Installs pylsqpack and pytest into a virtual environment under the target
# directory, or fails. Takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
command -v "$python" >/dev/null || { echo "35-qpack: $python not found" >&2; exit 1; }
target=$(realpath -m "${CARGO_TARGET_DIR:-target}")
venv=$target/qpack-oracle-venv
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install -r qpack/tests/oracle/requirements.txt

# The QIF files: ls-qpack's own copies, from the same pylsqpack release.
sdist=$(mktemp -d)
trap 'rm -rf "$sdist"' EXIT
"${pip[@]}" download --no-deps --no-binary :all: -d "$sdist" pylsqpack==1.0.0
tar -xzf "$sdist"/pylsqpack-1.0.0.tar.gz -C "$sdist"
qifs=$sdist/pylsqpack-1.0.0/vendor/ls-qpack/test/qifs
ls "$qifs"/*.qif >/dev/null || { echo "35-qpack: no QIF files in the pylsqpack sdist" >&2; exit 1; }

cargo build -p weft-qpack --example pipe --quiet
WEFT_QPACK_PIPE=$target/debug/examples/pipe QIF_DIR=$qifs \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider qpack/tests/oracle
