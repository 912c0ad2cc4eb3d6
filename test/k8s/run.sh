#!/usr/bin/env bash
# The Kubernetes tests: builds helm, etcd and kube-apiserver once (test/k8s/tools.sh, cached outside
# the repository), then runs test/k8s/*.test.ts. Needs openssl (certificates for the control plane).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v openssl >/dev/null 2>&1 || { echo "test/k8s/run.sh: missing openssl (apt-get install openssl)" >&2; exit 1; }
bash test/k8s/tools.sh >/dev/null
exec npx vitest run -c vitest.k8s.config.ts "$@"
