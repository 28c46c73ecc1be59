# Shared by scripts/mcp-tests.sh and scripts/neighbour-tests.sh (sourced, with NAME set to
# the script's name for messages): the tack binary under test (TACK_BINARY, default: the debug
# binary of `swift build`), a Python with venv, and `venv DIR REQUIREMENT...`, which makes DIR
# (again) unless its stamp says it has these requirements installed with this interpreter, so
# a re-run does not touch pip and the two scripts share their venvs.

PYTHON="${PYTHON:-python3}"
if [ -z "${TACK_BINARY:-}" ]; then
  TACK_BINARY="$(swift build --show-bin-path)/tack"
fi
case "$TACK_BINARY" in /*) ;; *) TACK_BINARY="$PWD/$TACK_BINARY" ;; esac
export TACK_BINARY
if [ ! -x "$TACK_BINARY" ]; then
  echo "$NAME: no tack binary at $TACK_BINARY (build first, or set TACK_BINARY)" >&2
  exit 1
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "$NAME: $PYTHON not found; install python3 (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "$NAME: '$PYTHON -m venv' is not available; install python3-venv (Debian: apt-get install python3-venv)" >&2
  exit 1
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1

venv() {
  local dir="$1"
  shift
  local stamp="$dir/.tack-stamp"
  local want
  want="$("$PYTHON" -c 'import sys; print(sys.version.split()[0], sys.base_prefix)') | $*"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/python" ] \
    && "$dir/bin/python" -c 'import mcp, pytest, anyio' >/dev/null 2>&1; then
    return 0
  fi
  echo "$NAME: preparing $dir ($*)" >&2
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  if ! "$PYTHON" -m venv "$dir" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    echo "$NAME: '$PYTHON -m venv' failed; install python3-venv (Debian: apt-get install python3-venv)" >&2
    rm -rf "$dir"
    exit 1
  fi
  if ! "$dir/bin/python" -m pip install -q --progress-bar off "$@" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    echo "$NAME: pip install $* failed" >&2
    rm -rf "$dir"
    exit 1
  fi
  rm -f "$dir.log"
  echo "$want" >"$stamp"
}
