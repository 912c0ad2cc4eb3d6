// Command etcd is etcd's own server entry point (etcdmain), built from its pinned module so the
// Kubernetes tests can run a real etcd under kube-apiserver.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
