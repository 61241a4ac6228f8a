#!/usr/bin/env bash
# The Python package: builds py-binding with pip into a virtual
# environment, exactly as a user would (`pip install ./py-binding`, maturin from
# PyPI as the build backend), then runs its pytest suite against h11, h2, hpack, wsproto,
# httpx, curl and Starlette. Anything missing is a failure, never a skip.
#
# The suite runs twice: against the default build for this interpreter (which takes
# CPython-specific fast paths, py-binding/src/server/resume.rs) and against the
# abi3 wheel (`--features abi3`, stable ABI only), so both stay correct.
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
# pip would otherwise keep a stale build. MATURIN_PEP517_ARGS passes cargo
# features through pip to maturin.
run_suite() {
    local build=$1 module=$2
    echo "50-python: the $build build"
    MATURIN_PEP517_ARGS=${3:-} "${pip[@]}" install --force-reinstall --no-deps ./py-binding
    local built
    built=$("$venv/bin/python" -c 'import weft._weft as m, os; print(os.path.basename(m.__file__))')
    case $built in
        $module) ;;
        *) echo "50-python: expected the $build build ($module), found $built" >&2; return 1 ;;
    esac
    (cd py-binding && "$venv/bin/python" -m pytest -q -p no:cacheprovider tests)
}
status=0
run_suite version-specific '_weft.cpython-*.so' || status=1
run_suite abi3 '_weft.abi3.so' "--features abi3" || status=1
exit $status
