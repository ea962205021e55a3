#!/usr/bin/env bash
# `make tofu`: builds OpenTofu (the pinned release below, MPL-2.0) from the Go module proxy into $1 (default
# <repo>/.tools/bin), the way its release build does: CGO off, -trimpath, the version marked as a release.
#
# `go install github.com/opentofu/opentofu/cmd/tofu@VERSION` refuses the module: its go.mod has a `replace`
# (hcl/v2 -> OpenTofu's fork). So the module is downloaded (`go mod download`, read-only in Go's module cache),
# copied into a writable folder under .tools/src and built there with its own go.mod and go.sum, which pin
# every dependency. Go's module and build caches make every build after the first take seconds; a cold one
# takes minutes, with a progress line every 100 packages.
set -euo pipefail
VERSION="${TOFU_VERSION:-v1.12.6}"
MODULE=github.com/opentofu/opentofu
tools="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$tools/../.tools/bin}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
src="$(dirname "$out")/src/opentofu-$VERSION"
start=$(date +%s)

if [ ! -f "$src/go.mod" ]; then
    echo "[tofu] downloading $MODULE@$VERSION from the Go module proxy"
    dir="$(cd / && GOFLAGS=-mod=mod go mod download -json "$MODULE@$VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
    [ -n "$dir" ] && [ -f "$dir/go.mod" ] || { echo "[tofu] go mod download gave no module directory" >&2; exit 1; }
    rm -rf "$src.tmp" && mkdir -p "$(dirname "$src")"
    cp -R "$dir" "$src.tmp" && chmod -R u+w "$src.tmp" && mv "$src.tmp" "$src"
fi
cd "$src"
echo "[tofu] downloading its dependencies (go.mod of $MODULE@$VERSION)"
go mod download
total="$(CGO_ENABLED=0 go list -deps ./cmd/tofu | wc -l)"
echo "[tofu] compiling up to $total packages (cold: minutes; cached: seconds)"
CGO_ENABLED=0 go build -v -trimpath -ldflags "-s -w -X $MODULE/version.dev=no" -o "$out/tofu.tmp" ./cmd/tofu 2>&1 |
    awk '
        / |^#/ { print; next }   # diagnostics have spaces; package paths do not
        { n++; if (n % 100 == 0) { printf "[tofu] compiled %d packages\n", n; fflush() } }'
mv "$out/tofu.tmp" "$out/tofu"
echo "[tofu] $(TF_CLI_CONFIG_FILE=/dev/null "$out/tofu" version | head -1) built in $(( $(date +%s) - start )) s into $out"
