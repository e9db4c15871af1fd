#!/usr/bin/env bash
# Runs the test files (unit, then API, then end-to-end) with node's test runner through tsx.
# Usage: scripts/run-tests.sh [dir-or-file ...]   (default: test/)
set -euo pipefail
cd "$(dirname "$0")/.."
targets=("$@")
((${#targets[@]})) || targets=(test/unit test/api test/e2e)
files=()
for t in "${targets[@]}"; do
  if [ -d "$t" ]; then while IFS= read -r f; do files+=("$f"); done < <(find "$t" -name '*.test.ts' | sort)
  else files+=("$t"); fi
done
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
