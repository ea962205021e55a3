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

# The Python generator's pyproject.toml makes every `pip install` of the SDK print setuptools warnings, three
# things this step mends (the wheel's files stay the same):
# - it names `readme = "README.md"` beside it but writes the README into the package folder: the README is
#   copied where pyproject.toml looks for it (what Pulumi's provider builds do, `cp README.md sdk/python/`);
# - it gives the license as a `[project.license]` table, which setuptools 77 and newer deprecate: it becomes
#   the SPDX string setuptools asks for, with the setuptools floor that reads it;
# - an editable install (`pip install -e sdk/python`: `make install`, the examples' requirements.txt) of its
#   flat layout warns "Editable installation ... folders with the same name as your package": the package
#   folder is named (`package-dir`, the folder itself), so setuptools adds it to sys.path as for a src layout.
python3 - "$out/python" <<'PY'
import pathlib, re, shutil, sys, tomllib
sdk = pathlib.Path(sys.argv[1])
path = sdk / "pyproject.toml"
project = tomllib.loads(path.read_text())
package = project["project"]["name"]
shutil.copyfile(sdk / package / "README.md", sdk / project["project"]["readme"])
text, licenses = re.subn(r'^(\s*)\[project\.license\]\n\s*text = ("[^"\n]*")\n', r'\1license = \2\n', path.read_text(),
                         flags=re.M)
text, floors = re.subn(r'"setuptools>=61\.0"', '"setuptools>=77.0"', text)
text, layouts = re.subn(r'^(\s*)\[tool\.setuptools\]\n', r'\g<0>\1  package-dir = {"" = "."}\n', text, flags=re.M)
if (licenses, floors, layouts) != (1, 1, 1):
    sys.exit(f"tools/sdk.sh: {path} no longer has the license table, setuptools floor and [tool.setuptools] "
             "this step rewrites")
after = tomllib.loads(text)
assert after["project"]["license"] == project["project"]["license"]["text"], "the license changed"
assert after["tool"]["setuptools"]["package-dir"] == {"": "."}
path.write_text(text)
PY

cd "$out/go"
go mod edit -require="github.com/pulumi/pulumi/sdk/v3@$pulumi_sdk"
go mod tidy
echo "[sdk] go: go.mod requires github.com/pulumi/pulumi/sdk/v3 $pulumi_sdk, tidied"
