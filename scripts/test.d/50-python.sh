#!/usr/bin/env bash
# The Python package (issue 8): builds py-binding with pip into a virtual
# environment, exactly as a user would (`pip install ./py-binding`, maturin from
# PyPI as the build backend), then runs its pytest suite against h11, h2, hpack,
# httpx, curl and Starlette. Anything missing is a failure, never a skip.
#
# Environment: PYTHON (default python3), WEFT_VENV (default py-binding/.venv).
# CARGO_TARGET_DIR is honoured, so repeated runs reuse the Rust build.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=${PYTHON:-python3}
venv=$(realpath -m "${WEFT_VENV:-py-binding/.venv}")

command -v "$python" >/dev/null || { echo "50-python: $python not found" >&2; exit 1; }
command -v curl >/dev/null || { echo "50-python: curl not found (scripts/apt-packages.txt)" >&2; exit 1; }
"$python" - <<'PY' || { echo "50-python: CPython >= 3.9 required" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 9) else 1)
PY

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install -r py-binding/tests/requirements.txt
# --force-reinstall: the version number does not change between commits, and
# pip would otherwise keep a stale build.
"${pip[@]}" install --force-reinstall --no-deps ./py-binding

cd py-binding
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests
