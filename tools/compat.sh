#!/usr/bin/env bash
# `make compat`: builds the Pulumi CLI at other versions than the pinned one (tools/pulumi/go.mod) into
# .tools/compat/<version>/bin, the way tools/build.sh builds the pinned one, so the real-engine tests can run
# under each (ECSREBOOT_PULUMI=<that CLI>).
#   tools/compat.sh <version>...        e.g. tools/compat.sh v3.182.0 v3.277.0
# (COMPAT_DIR=<dir> builds into <dir>/<version> instead, e.g. to measure a build on empty Go caches.)
# Prints, last, one line per version: "<version> <path of the CLI>".
#
# Each version gets a throw-away module (.tools/compat/<version>/src) that requires pkg/v3 and sdk/v3 at that
# version, with pkg's own non-local `replace` directives copied (Go ignores a dependency's replaces, and a
# release build has them; pkg's `sdk/v3 => ../sdk` becomes the requirement of sdk/v3 at the same version).
# `go mod tidy` resolves the rest by minimal version selection, checked against the checksum database.
# A CLI already built for a version is kept. Cost, cold Go caches: minutes of CPU per version (see README).
set -euo pipefail
tools="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$tools/.." && pwd)"
[ "$#" -gt 0 ] || { echo "usage: tools/compat.sh <version>..." >&2; exit 2; }

built=()
for version in "$@"; do
    dir="${COMPAT_DIR:-$root/.tools/compat}/$version"
    cli="$dir/bin/pulumi"
    if [ -x "$cli" ] && [ -x "$dir/bin/pulumi-resource-pulumi-python" ] &&
            [ "$(PULUMI_SKIP_UPDATE_CHECK=true "$cli" version 2>/dev/null)" = "$version" ]; then
        echo "[compat] $version: already built ($cli)"
        built+=("$version $cli")
        continue
    fi
    start=$(date +%s)
    rm -rf "$dir/src"
    mkdir -p "$dir/src" "$dir/bin"
    cd "$dir/src"
    cat > go.mod <<EOF
module ecsreboot.invalid/compat

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 $version
	github.com/pulumi/pulumi/sdk/v3 $version
)
EOF
    cat > tools.go <<'EOF'
//go:build tools

package compat

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF
    echo "[compat] $version: resolving modules"
    pkg_mod="$(go mod download -json "github.com/pulumi/pulumi/pkg/v3@$version" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')"
    # pkg's replaces of other modules by versions (single-line or in a block), never its local ../sdk
    python3 - "$pkg_mod" >> go.mod <<'PY'
import re, sys
text = open(sys.argv[1]).read()
lines = re.findall(r"^replace\s+(\S+(?:\s+\S+)?\s+=>\s+\S+\s+\S+)\s*$", text, re.M)
for block in re.findall(r"^replace\s*\((.*?)^\)", text, re.M | re.S):
    lines += [l.strip() for l in block.splitlines() if "=>" in l]
for line in lines:
    if not line.split("=>")[1].strip().startswith("."):
        print(f"replace {line}")
PY
    go mod tidy
    echo "[compat] $version: compiling the CLI (cold: minutes; cached: seconds)"
    CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
        -o "$cli.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    mv "$cli.tmp" "$cli"
    # as a release has it beside the CLI (and tools/build.sh): the launcher of Python dynamic providers
    install -m 0755 "$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)/python/dist/pulumi-resource-pulumi-python" \
        "$dir/bin/pulumi-resource-pulumi-python"
    echo "[compat] $version: built in $(( $(date +%s) - start )) s: $(PULUMI_SKIP_UPDATE_CHECK=true "$cli" version)"
    built+=("$version $cli")
done
printf '%s\n' "${built[@]}"
