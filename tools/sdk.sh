#!/usr/bin/env bash
# `make sdk`: the Python, Node.js and Go SDKs from schema.json, written by Pulumi's own code generators
# (tools/pulumi/gensdk, pinned with the CLI by tools/pulumi/go.mod) — what `pulumi package gen-sdk` writes.
#   tools/sdk.sh [schema.json] [out dir]       (defaults: <repo>/schema.json, <repo>/sdk)
# tests/test_generated_fresh.py runs this into a temporary folder and compares.
#
# One step follows the generators, as `pulumi package add` does for Go: the generated go.mod requires only
# github.com/pulumi/pulumi/sdk/v3, at codegen's floor v3.269.0, and `go mod tidy` fills in the rest (go.sum
# included). The floor is raised to the pinned CLI's version first: v3.269.0 requires a pulumi-cloud-sdk/go
# version that the module proxy here does not serve, and one Pulumi version for the whole project is simpler.
set -euo pipefail
tools="$(cd "$(dirname "$0")" && pwd)"
schema="$(realpath "${1:-$tools/../schema.json}")"
out="$(realpath -m "${2:-$tools/../sdk}")"
bin="$tools/../.tools/bin"
mkdir -p "$bin" "$out"

cd "$tools/pulumi"
# the same flags as the CLI's build (tools/build.sh), so Go's cache shares the packages both use
CGO_ENABLED=0 go build -trimpath -tags osusergo,grpcnotrace -o "$bin/gensdk" ./gensdk
pulumi_sdk="$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)"

"$bin/gensdk" "$schema" "$out" python nodejs go

# The Node.js generator opens every types/ file with the same namespace imports, used or not, so
# types/input.ts and types/output.ts import each other (an import circle in the SDK's source). tsc drops
# unused imports from what it emits, so dropping them from the source changes nothing that runs.
python3 - "$out/nodejs" <<'PY'
import pathlib, re, sys
imports = re.compile(r'^import \* as (\w+) from "[^"]+";\n', re.M)
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.ts")):
    if {"node_modules", "bin"} & set(path.parts):
        continue
    text = path.read_text()
    unused = [m for m in imports.finditer(text)
              if not re.search(rf"\b{m.group(1)}\b", text[:m.start()] + text[m.end():])]
    for m in reversed(unused):
        text = text[:m.start()] + text[m.end():]
    if unused:
        path.write_text(text)
PY

cd "$out/go"
go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$pulumi_sdk"
go mod tidy
echo "[sdk] go: go.mod requires github.com/pulumi/pulumi/sdk/v3 $pulumi_sdk, tidied"
