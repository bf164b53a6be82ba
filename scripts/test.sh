#!/usr/bin/env bash
# `npm test` and `npm run test:full`: every stage runs even when an earlier
# one failed (a type error does not stop tsc from writing dist/, so the tests
# still run), then a summary says which stages failed, and the exit status is
# non-zero when any did.
#
#   bash scripts/test.sh          build, lint, the tests whose files do not end
#                                 in .slow.test.ts (unit, conformance, PDK,
#                                 schema, the fast reliability checks)
#   bash scripts/test.sh --full   build, lint, every test file, the conformance
#                                 and reliability suites again against two
#                                 workers (scripts/test-workers.sh), the soak
#
# TSPDK_SOAK_EVENTS sets the soak's event count (default 1,000,000).
set -uo pipefail
cd "$(dirname "$0")/.."

full=false
case "${1:-}" in
  --full) full=true ;;
  '') ;;
  *) echo "usage: bash scripts/test.sh [--full]" >&2; exit 2 ;;
esac

logs=$(mktemp -d "${TMPDIR:-/tmp}/tspdk-test-XXXXXX")
trap 'rm -rf "$logs"' EXIT
summary=()
failed=0
passed_tests=0
failed_tests=0

# Runs one stage: its name, then the command. Its output goes to the terminal and to a log, from which
# the node test runner's closing counts ("ℹ pass N" with the spec reporter, "# pass N" with tap) are added up.
stage() {
  local name=$1; shift
  local log="$logs/$(echo "$name" | tr -c 'a-z0-9\n' '-').log"
  local started=$SECONDS
  echo
  echo "=== $name"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local took=$((SECONDS - started))
  local pass fail
  pass=$(grep -aE '^(ℹ|#) pass [0-9]+$' "$log" | awk '{ n += $3 } END { print n + 0 }')
  fail=$(grep -aE '^(ℹ|#) fail [0-9]+$' "$log" | awk '{ n += $3 } END { print n + 0 }')
  passed_tests=$((passed_tests + pass))
  failed_tests=$((failed_tests + fail))
  local counts=''
  if [ "$pass" -gt 0 ] || [ "$fail" -gt 0 ]; then counts=", $pass tests passed, $fail failed"; fi
  if [ "$status" -eq 0 ]; then
    summary+=("  ok      $name (${took} s$counts)")
  else
    summary+=("  FAILED  $name (exit $status, ${took} s$counts)")
    failed=$((failed + 1))
  fi
}

test_files() {
  if $full; then
    find dist/test -name '*.test.js' | sort
  else
    find dist/test -name '*.test.js' ! -name '*.slow.test.js' | sort
  fi
}

stage build npx tsc -p tsconfig.json
stage lint npx eslint .
# shellcheck disable=SC2046 # one argument per file
stage tests node --test --test-reporter=spec $(test_files)
if $full; then
  stage "--workers 2 and 'data' reads" bash scripts/test-workers.sh
  stage soak node dist/test/soak/soak.js "${TSPDK_SOAK_EVENTS:-1000000}"
fi

echo
echo "=== summary ($($full && echo 'npm run test:full' || echo 'npm test'), ${SECONDS} s)"
printf '%s\n' "${summary[@]}"
if [ "$failed" -gt 0 ]; then echo "$failed stage(s) failed"; fi
echo "tests: $passed_tests passed, $failed_tests failed"
[ "$failed" -eq 0 ]
