#!/usr/bin/env bash
# Builds what the real-engine tier needs to run the TypeScript and Go quickstarts (make nodejs, make golang):
#   tools/examples.sh nodejs   sdk/nodejs: npm ci (the committed package-lock.json pins typescript and
#                              @pulumi/pulumi), tsc into sdk/nodejs/bin with package.json beside (the layout npm
#                              publishes); examples/quickstart-ts: npm ci (the SDK copied from sdk/nodejs/bin), tsc
#   tools/examples.sh go       sdk/go and examples/quickstart-go: go build ./... and go vet ./...; the example's
#                              Automation API runner into .tools/bin/ecsreboot-quickstart-go-automation
# Go builds use the CLI's flags (tools/build.sh), so Go's cache shares the packages both compile.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
npm_ci() { npm ci --ignore-scripts --no-audit --no-fund --loglevel=error; }
go_flags=(-trimpath -tags osusergo,grpcnotrace)

case "${1:-}" in
nodejs)
    start=$(date +%s)
    cd "$root/sdk/nodejs"
    npm_ci
    rm -rf bin
    node_modules/.bin/tsc
    cp package.json README.md bin/
    cd "$root/examples/quickstart-ts"
    npm_ci
    rm -rf bin
    node_modules/.bin/tsc
    echo "[examples] nodejs: sdk/nodejs and examples/quickstart-ts built in $(( $(date +%s) - start )) s"
    ;;
go)
    start=$(date +%s)
    export CGO_ENABLED=0
    for dir in sdk/go examples/quickstart-go; do
        cd "$root/$dir"
        go build "${go_flags[@]}" ./...
        go vet "${go_flags[@]}" ./...
    done
    mkdir -p "$root/.tools/bin"
    go build "${go_flags[@]}" -o "$root/.tools/bin/ecsreboot-quickstart-go-automation" ./automation
    echo "[examples] go: sdk/go and examples/quickstart-go built and vetted in $(( $(date +%s) - start )) s"
    ;;
*)
    echo "usage: tools/examples.sh nodejs|go" >&2
    exit 2
    ;;
esac
