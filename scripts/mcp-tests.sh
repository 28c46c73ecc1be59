#!/usr/bin/env bash
# The MCP server against the official Python SDK (`mcp` on PyPI), both client lines:
#   .build/venv-mcp1  mcp>=1.23,<2 + pytest: every test in Tests/MCPClient
#   .build/venv-mcp2  mcp>=2,<3    + pytest: the tests for the 2.x client only (2025 legacy mode and
#                                   2026-07-28 in auto mode)
# Called by `make test` from the repository root, after the Swift tests, with TACK_BINARY set
# (default: the debug binary of `swift build`). The venvs are made once and reused while
# their stamp (requirements and interpreter) still matches (scripts/python-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=mcp-tests
# shellcheck source=scripts/python-env.sh
source scripts/python-env.sh

V1=.build/venv-mcp1
V2=.build/venv-mcp2
venv "$V1" 'mcp>=1.23,<2' 'pytest>=8'
venv "$V2" 'mcp>=2,<3' 'pytest>=8'

version() { "$1/bin/python" -c 'from importlib.metadata import version; print(version("mcp"))'; }
echo "mcp-tests: $TACK_BINARY; mcp $(version "$V1") and mcp $(version "$V2")" >&2

PYTEST_FLAGS=(-q -p no:cacheprovider)
status=0
echo "mcp-tests: mcp $(version "$V1"): Tests/MCPClient" >&2
"$V1/bin/python" -m pytest "${PYTEST_FLAGS[@]}" Tests/MCPClient || status=$?
echo "mcp-tests: mcp $(version "$V2"): the 2.x client tests" >&2
"$V2/bin/python" -m pytest "${PYTEST_FLAGS[@]}" Tests/MCPClient/test_mcp2_client.py \
  Tests/MCPClient/test_mcp2026.py || status=$?
exit "$status"
