#!/usr/bin/env bash
# Runs the tests with node's own runner. Unit tests (beside the code) run in parallel;
# integration and end-to-end tests (test/) run one file at a time, since they boot guests.
# Fails when any test fails, and when zero tests ran.
set -uo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
mkdir -p build
log=build/test-output.log
: > "$log"

run() { # run LABEL CONCURRENCY FILES...
  local label=$1 conc=$2; shift 2
  if [ $# -eq 0 ]; then echo "no $label test files" | tee -a "$log"; return 0; fi
  echo "== $label tests: $# files" | tee -a "$log"
  node --import tsx --test --test-reporter=spec --test-concurrency="$conc" "$@" 2>&1 | tee -a "$log"
  return "${PIPESTATUS[0]}"
}

status=0
if [ "$which" = all ] || [ "$which" = unit ]; then
  mapfile -t unit < <(find src -name '*.test.ts' | sort)
  run unit 2 "${unit[@]}" || status=1
fi
if [ "$which" = all ] || [ "$which" = integration ]; then
  mapfile -t integ < <(find test -name '*.test.ts' | sort)
  run integration 1 "${integ[@]}" || status=1
fi

# node's spec reporter ends each run with "ℹ tests N", "ℹ pass N", "ℹ fail N", "ℹ skipped N".
total=$(grep -E '^ℹ tests [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
passed=$(grep -E '^ℹ pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
failed=$(grep -E '^ℹ fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
skipped=$(grep -E '^ℹ skipped [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$total" -eq 0 ]; then
  echo "error: zero tests ran" >&2
  exit 1
fi
# In CI everything a test needs is installed, so a skip means a missing install step.
# The one accepted reason is a kernel feature this machine lacks (reasons say "kernel:").
if [ "${CI:-}" = true ]; then
  bad_skips=$(grep -E '^\s*﹣ .* # ' "$log" | grep -v 'kernel:' || true)
  if [ -n "$bad_skips" ]; then
    echo "error: tests skipped in CI, where everything they need is installed:" >&2
    echo "$bad_skips" >&2
    exit 1
  fi
fi
exit "$status"
