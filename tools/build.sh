#!/usr/bin/env bash
# `make pulumi`: builds the pinned Pulumi CLI (tools/pulumi/go.mod) and Pulumi's YAML language host
# (tools/pulumi-yaml/go.mod) from Go modules into $1 (default <repo>/.tools/bin), the way Pulumi's release
# build does: CGO off, -trimpath, tags osusergo,grpcnotrace, the version stamped into `pulumi version`;
# and, as a release has it beside the CLI, the launcher of Python dynamic providers (from the sdk/v3 module).
# Go's module and build caches make every build after the first take seconds; a cold one takes minutes,
# with a progress line every 100 packages.
set -euo pipefail
tools="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$tools/../.tools/bin}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

build() {  # build <module dir> <main package> <binary> [ldflags]
    local dir="$1" main="$2" bin="$3" ldflags="${4:-}" start total
    start=$(date +%s)
    cd "$tools/$dir"
    echo "[pulumi] $bin: downloading modules (tools/$dir/go.mod)"
    go mod download
    total="$(CGO_ENABLED=0 go list -tags osusergo,grpcnotrace -deps "$main" | wc -l)"
    echo "[pulumi] $bin: compiling up to $total packages (cold: minutes; cached: seconds)"
    CGO_ENABLED=0 go build -v -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$out/$bin.tmp" "$main" 2>&1 |
        awk -v bin="$bin" '
            / |^#/ { print; next }   # diagnostics have spaces; package paths do not
            { n++; if (n % 100 == 0) { printf "[pulumi] %s: compiled %d packages\n", bin, n; fflush() } }'
    mv "$out/$bin.tmp" "$out/$bin"
    echo "[pulumi] $bin built in $(( $(date +%s) - start )) s"
}

version="$(cd "$tools/pulumi" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)"
build pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi pulumi \
    "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version"
# Pulumi's launcher of Python dynamic providers ships in the sdk/v3 module beside the CLI, as in a release
sdk_dir="$(cd "$tools/pulumi" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$out/pulumi-resource-pulumi-python"
yaml_version="$(cd "$tools/pulumi-yaml" && go list -m -f '{{.Version}}' github.com/pulumi/pulumi-yaml)"
build pulumi-yaml github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml pulumi-language-yaml \
    "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=$yaml_version"
# the SDK generator (tools/sdk.sh; the freshness test runs it), built here so no test pays its cold compile
(cd "$tools/pulumi" && CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace -o "$out/gensdk" ./gensdk)
echo "[pulumi] $("$out/pulumi" version), pulumi-language-yaml $yaml_version and gensdk in $out"
