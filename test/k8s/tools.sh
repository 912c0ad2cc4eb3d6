#!/usr/bin/env bash
# Builds the Kubernetes test tools (helm, etcd, kube-apiserver) from their pinned Go modules into
# the tools cache outside the repository, and prints their bin dirs. A second run builds nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
exec bash "$here/../tools/build.sh" helm etcd kube-apiserver
