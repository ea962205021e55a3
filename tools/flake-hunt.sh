#!/usr/bin/env bash
# Flake hunt: the whole suite RUNS times (default 3) under `pytest -n 2`, with BURNERS processes spinning
# a CPU each beside it (default 2: the machine's cores are oversubscribed), every other run in a shuffled
# order (pytest-random-order, seeded by the run number so a failure can be replayed); one summary line per
# run, the failures of each run under .tools/flake-hunt/. A timing assumption that fails here is a bug in the
# test or the code, never a retry. Needs `make install` (and `make pulumi` for the real-engine tier).
#   tools/flake-hunt.sh [RUNS] [BURNERS] [pytest args...]
# FLAKE_HUNT_FIRST=K numbers the runs from K (default 1), so a later hunt shuffles with seeds not tried before.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"; burners="${2:-2}"; shift $(( $# >= 2 ? 2 : $# ))
out=.tools/flake-hunt; mkdir -p "$out"
pids=()
for _ in $(seq "$burners"); do
    timeout 7200 python3 -c 'while True: pass' & pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
first="${FLAKE_HUNT_FIRST:-1}"
for n in $(seq "$first" $(( first + runs - 1 ))); do
    order=(); label="file order"
    if (( n % 2 == 0 )); then order=(--random-order-bucket=global "--random-order-seed=$n"); label="shuffled, seed $n"; fi
    start=$(date +%s)
    ECSREBOOT_E2E="${ECSREBOOT_E2E:-}" .venv/bin/python -m pytest -q -n 2 -p no:cacheprovider "${order[@]}" "$@" \
        >"$out/run-$n.log" 2>&1
    summary=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|^=+ .*(passed|failed)' "$out/run-$n.log" | tail -n 1)
    echo "run $n ($label, $burners burners, load $(cut -d' ' -f1 /proc/loadavg)): ${summary//=/} in $(( $(date +%s) - start )) s"
    grep -E '^(FAILED|ERROR) ' "$out/run-$n.log" || true
done
