#!/usr/bin/env bash
# Runs every example through Kong's own plugin-server host code (kongpeer) at
# several Kong refs, with and without --kong-version, and prints a pass/fail
# table in Markdown. A development check: it needs kongpeer and a git mirror of
# Kong's repository (see README.md), which neither the repository nor CI has.
#
#   npm run build
#   KONGPEER=/path/to/kongpeer scripts/kongpeer/run.sh [ref ...]      # default refs: 2.8.5 3.4.2 3.9.3 master
#
# Environment: KONGPEER (the kongpeer folder; default ../shared/tools/kongpeer
# next to this checkout), KONGPEER_KONG_GIT (the Kong mirror, read by kongpeer),
# OUT (where the JSON lines of each run go; default a temporary directory).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
KONGPEER=${KONGPEER:-$(cd "$ROOT/.." && pwd)/shared/tools/kongpeer}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/tspdk-kongpeer-XXXXXX")}
mkdir -p "$OUT"
rm -f "$OUT/failed"
REFS=("$@")
[ ${#REFS[@]} -eq 0 ] && REFS=(2.8.5 3.4.2 3.9.3 master)
EXAMPLES=(hello key-auth rate-limit request-transform response-transform canary file-log)

if [ ! -f "$KONGPEER/kongpeer.js" ]; then
  echo "kongpeer not found at $KONGPEER: set KONGPEER (see scripts/kongpeer/README.md)" >&2
  exit 2
fi
if [ ! -f "$ROOT/dist/examples/hello.js" ]; then
  echo "build first: npm run build" >&2
  exit 2
fi

SOCKETS=$(mktemp -d "${TMPDIR:-/tmp}/tspdk-kp-sock-XXXXXX")
trap 'rm -rf "$SOCKETS"' EXIT

# One kongpeer run (in a subshell: it records a failure in $OUT/failed); prints "pass (n)", or "FAIL: …" with the
# failed steps on stderr.
run_one() {
  local example=$1 ref=$2 mode=$3
  local scenario="$HERE/scenarios/$example.json" flags="" log
  if [ "$mode" = checked ]; then
    flags="--kong-version $([ "$ref" = master ] && echo master || echo "$ref")"
    [ -f "$HERE/scenarios/$example.checked.json" ] && scenario="$HERE/scenarios/$example.checked.json"
  fi
  local plugin="node $ROOT/dist/examples/$example.js"
  local socket="$SOCKETS/$example.sock"
  log="$OUT/$example-$ref-$mode.jsonl"
  node "$KONGPEER/kongpeer.js" --query-cmd "$plugin -dump" --start-cmd "$plugin --socket $socket $flags" \
    --socket "$socket" --kong-ref "$ref" --scenario "$scenario" >"$log" 2>&1
  local summary
  summary=$(tail -n 1 "$log")
  if [[ "$summary" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]]; then
    echo "pass (${BASH_REMATCH[1]})"
  else
    echo "$example $ref $mode" >>"$OUT/failed"
    echo "FAIL: $summary"
    grep '"ok":false' "$log" | cut -c1-400 >&2
  fi
}

header="| example | mode |"
rule="|---|---|"
for ref in "${REFS[@]}"; do header="$header Kong $ref |"; rule="$rule---|"; done
echo "$header"
echo "$rule"
for example in "${EXAMPLES[@]}"; do
  for mode in plain checked; do
    row="| $example | $([ $mode = checked ] && echo '`--kong-version`' || echo 'no flag') |"
    for ref in "${REFS[@]}"; do row="$row $(run_one "$example" "$ref" "$mode") |"; done
    echo "$row"
  done
done
echo
echo "JSON lines of each run: $OUT"
[ ! -f "$OUT/failed" ]
