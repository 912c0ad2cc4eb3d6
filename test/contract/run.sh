#!/usr/bin/env bash
# The API contract, fuzzed: schemathesis (from PyPI, pinned) against a local platform, with admin,
# values:read and agent credentials. Prints how many requests were made and the failures; exits
# non-zero on any finding. CONTRACT_MAX_EXAMPLES sets cases per operation (default 25).
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
venv="${TETHER_SCHEMATHESIS_VENV:-$HOME/.cache/tether-schemathesis}"
if [ "$("$venv/bin/st" --version 2>/dev/null || true)" != "st, version $SCHEMATHESIS_VERSION" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
export SCHEMATHESIS_BIN="$venv/bin/st"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
exec node --import tsx test/contract/run.ts
