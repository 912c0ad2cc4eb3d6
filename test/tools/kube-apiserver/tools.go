//go:build tools

// Package tools pins kube-apiserver's command in this module's go.mod so build.sh can build it.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
