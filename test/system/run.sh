#!/usr/bin/env bash
# Runs the interop system tests: they create network namespaces, veth pairs and
# a wireguard-go interface, so they need root and these tools.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(id -u)" -ne 0 ]; then
  echo "test/system/run.sh: must run as root (network namespaces)" >&2
  exit 1
fi
for tool in wireguard-go wg ip ping umoci skopeo; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test/system/run.sh: missing '$tool' (apt-get install wireguard-go wireguard-tools iproute2 iputils-ping umoci skopeo)" >&2
    exit 1
  fi
done

exec npx vitest run -c vitest.system.config.ts "$@"
