#!/bin/sh
# Independent check (development only, not part of npm test or CI): kong-js-pdk's published examples
# and kongpeer's kong-pdk test plugin, run through Kong's own plugin_servers Lua (kongpeer) against
# kong-js-pluginserver and against tspdk-js-pluginserver, each scenario on both. See README.md.
#
# usage: scripts/kong-pdk-check/run.sh [kong-ref] [kong-js-pdk checkout]
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REF=${1:-3.9.3}
JSPDK=${2:?give a checkout of github.com/Kong/kong-js-pdk (0.6.0) as the second argument}
KONGPEER=${KONGPEER:-$ROOT/../shared/tools/kongpeer}
KJS=${KONGPEER_JS:-$(dirname "$(mktemp -u)")/kongpeer-js}/node_modules/.bin/kong-js-pluginserver
NODE=$(command -v node)
TSPDK="$NODE $ROOT/dist/cli/js-pluginserver-main.js"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tspdk-kong-pdk-check-XXXX")

[ -x "$KJS" ] || { echo "kong-js-pluginserver not found at $KJS: run $KONGPEER/setup.sh" >&2; exit 2; }
[ -f "$ROOT/dist/cli/js-pluginserver-main.js" ] || { echo "build tspdk first (npm run build)" >&2; exit 2; }

# The plugins: kong-js-pdk's examples as published (kong/ holds the typings ts-hello.ts imports),
# kongpeer's test plugin, and graphql for js-graphql.
cp -r "$JSPDK/examples" "$JSPDK/kong" "$WORK/"
cp "$KONGPEER/js/plugins/js-peer-test.js" "$WORK/examples/"
(cd "$WORK/examples/js-graphql" && npm install --no-audit --no-fund --no-save graphql@16 >/dev/null 2>&1)

# kong-js-pluginserver dumps a whole directory and Kong 3.9+ reads only its first plugin,
# so it gets one directory per plugin; tspdk serves the one directory and answers per plugin.
solo() { mkdir -p "$WORK/solo/$1" && ln -s "$WORK/examples/$2" "$WORK/solo/$1/$2"; }
solo js-hello js-hello.js; solo hello ts-hello.ts; solo goodbye js-goodbye; solo js-status js-status.js
solo js-transform js-transform.js; solo js-graphql js-graphql; solo js-peer-test js-peer-test.js

ROWS=""
check() { # <server> <plugin> <scenario file>
  server=$1; plugin=$2; scenario=$3; sock="$WORK/sock/$server-$plugin-$(basename "$scenario" .json)"
  mkdir -p "$sock"
  if [ "$server" = kong-pdk ]; then
    query="$KJS -d $WORK/solo/$plugin --dump-all-plugins"
    start="$KJS -d $WORK/solo/$plugin --kong-prefix $sock --sock-name js.sock"
  else
    query="$TSPDK -d $WORK/examples --dump-plugin-info $plugin"
    start="$TSPDK -d $WORK/examples --kong-prefix $sock --sock-name js.sock"
  fi
  out="$WORK/$server-$(basename "$scenario" .json).jsonl"
  (cd "$WORK/examples" && "$NODE" "$KONGPEER/kongpeer.js" --kong-ref "$REF" --query-cmd "$query" --start-cmd "$start" \
    --socket "$sock/js.sock" --scenario "$scenario" --out "$out" >/dev/null 2>&1)
  summary=$(grep '"step":"summary"' "$out" 2>/dev/null | tail -1)
  failed=$(grep '"ok":false' "$out" 2>/dev/null | sed -n 's/.*"step":"\([^"]*\)".*/\1/p' | grep -v summary | tr '\n' ' ')
  [ -n "$summary" ] || failed="no summary (see $out)"
  passed=$(echo "$summary" | sed -n 's/.*"passed":\([0-9]*\).*/\1/p'); nfail=$(echo "$summary" | sed -n 's/.*"failed":\([0-9]*\).*/\1/p')
  ROWS="$ROWS| $(basename "$scenario" .json) | $server | ${passed:-0} | ${nfail:-?} | ${failed:-} |
"
}

for pair in js-hello:js-hello hello:hello-ts goodbye:goodbye js-status:js-status js-transform:js-transform \
            js-graphql:js-graphql js-peer-test:js-peer-test-fail-closed; do
  plugin=${pair%%:*}; scenario="$HERE/scenarios/${pair#*:}.json"
  check kong-pdk "$plugin" "$scenario"; check tspdk "$plugin" "$scenario"
done
check kong-pdk js-peer-test "$KONGPEER/scenarios/js-peer-test.json"
check tspdk js-peer-test "$KONGPEER/scenarios/js-peer-test.json"

echo "Kong $REF, $(date -u +%Y-%m-%d), results in $WORK"
echo "| scenario | server | passed | failed | failed steps |"
echo "|---|---|---:|---:|---|"
printf '%s' "$ROWS"
