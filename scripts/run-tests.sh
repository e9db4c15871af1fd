#!/usr/bin/env bash
# Runs the test files (unit, then API, then the other test/ folders, then end-to-end, then the benchmarks' own
# unit tests) with node's test runner through tsx.
# Usage: scripts/run-tests.sh [dir-or-file ...]   (default: test/ and bench/test/)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
if ((${#targets[@]} == 0)); then
  # unit first, end-to-end last; any other folder of test/ (e.g. test/client) in between, so none is skipped
  targets=(test/unit test/api)
  for d in test/*/; do
    d=${d%/}
    case "$d" in test/unit | test/api | test/e2e | test/helpers) ;; *) targets+=("$d") ;; esac
  done
  targets+=(test/e2e bench/test)
fi
files=()
for t in "${targets[@]}"; do
  if [ -d "$t" ]; then while IFS= read -r f; do files+=("$f"); done < <(find "$t" -name '*.test.ts' | sort)
  else files+=("$t"); fi
done
# Freed packager slabs are filled with 0xEE (src/media/packager/slab-pool.ts): a reader that sends live parts without
# pinning them sends garbage, which the decoding tests (ffprobe, hls.js) catch.
export ONAIR_DEBUG_POISON_SLABS="${ONAIR_DEBUG_POISON_SLABS:-1}"
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
