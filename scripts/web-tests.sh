#!/usr/bin/env bash
# The web board in a real browser: Debian's headless `chromium` driven over the DevTools
# protocol by scripts/serve-browser-check.py (a venv under .build/ with websocket-client).
# Called by `make test` with TACK_BINARY set; chromium comes from `make deps`
# (scripts/install-deps.sh). Screenshots (1280 and 375 px) are kept in .build/web-shots.
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=web-tests
# shellcheck source=scripts/python-env.sh
source scripts/python-env.sh

if ! command -v chromium >/dev/null 2>&1; then
  echo "$NAME: chromium is missing; 'make deps' installs it (apt-get install chromium)" >&2
  exit 1
fi
V=.build/venv-web
if ! "$V/bin/python" -c 'import websocket' >/dev/null 2>&1; then
  echo "$NAME: preparing $V (websocket-client)" >&2
  rm -rf "$V"
  "$PYTHON" -m venv "$V"
  "$V/bin/pip" install -q 'websocket-client>=1.6,<2'
fi
echo "$NAME: $TACK_BINARY; $(chromium --version 2>/dev/null | head -1)" >&2
exec "$V/bin/python" scripts/serve-browser-check.py --tack "$TACK_BINARY" --out .build/web-shots
