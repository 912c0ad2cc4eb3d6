#!/usr/bin/env bash
# Builds the Go test tools under test/tools/NAME/ into a cache outside the repository and prints,
# for each NAME, the directory that holds its binaries (one line each, in order).
#
#   bash test/tools/build.sh NAME [NAME...]
#
# Each test/tools/NAME/ holds a go.mod and go.sum (every module pinned), a tools.txt with one
# "BINARY PACKAGE" line per binary to build, and optionally our own Go code. The cache key is a
# hash of those files and the Go version, so a second run with nothing changed builds nothing,
# and a changed pin builds into a new directory. The cache lives in $TETHER_TOOLS_CACHE
# (default ~/.cache/tether-tools); CI keeps it between runs like Go's own module cache.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${TETHER_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tether-tools}"

if [ "$#" -eq 0 ]; then
  echo "usage: test/tools/build.sh NAME [NAME...]  (NAME is a directory under test/tools/)" >&2
  exit 2
fi
command -v go >/dev/null 2>&1 || { echo "test/tools/build.sh: 'go' is not on PATH" >&2; exit 1; }

for name in "$@"; do
  dir="$here/$name"
  if [ ! -f "$dir/go.mod" ] || [ ! -f "$dir/tools.txt" ]; then
    echo "test/tools/build.sh: $dir needs a go.mod and a tools.txt" >&2
    exit 1
  fi
  key="$(
    cd "$dir"
    {
      go version
      find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum -o -name tools.txt \) -print0 |
        LC_ALL=C sort -z | xargs -0 sha256sum
    } | sha256sum | cut -c1-16
  )"
  out="$cache/$name-$key"
  if [ ! -f "$out/.complete" ]; then
    echo "test/tools/build.sh: building $name into $out (once; later runs reuse it)" >&2
    tmp="$(mktemp -d "$cache.$name.XXXXXX" 2>/dev/null || { mkdir -p "$cache" && mktemp -d "$cache/.$name.XXXXXX"; })"
    mkdir -p "$tmp/bin"
    while read -r bin pkg; do
      case "$bin" in '' | '#'*) continue ;; esac
      echo "  go build $pkg -> $bin" >&2
      (cd "$dir" && CGO_ENABLED="${CGO_ENABLED:-0}" go build -trimpath -o "$tmp/bin/$bin" "$pkg") >&2
    done <"$dir/tools.txt"
    touch "$tmp/.complete"
    mkdir -p "$cache"
    rm -rf "$out"
    mv "$tmp" "$out"
  fi
  echo "$out/bin"
done
