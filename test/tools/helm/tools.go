//go:build tools

// Package tools pins helm's command in this module's go.mod so build.sh can build it.
package tools

import _ "helm.sh/helm/v3/cmd/helm"
