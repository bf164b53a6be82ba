#!/usr/bin/env bash
# The conformance and reliability suites again, against a server of two
# workers (`--workers 2`; test/support/server.ts and test/reliability/spawn.ts
# read TSPDK_TEST_WORKERS):
#   1. with the host stand-in's default pool order (any idle connection), so
#      that Steps hop between workers and get forwarded, and with the spawned
#      servers of the process tests started with --workers 2;
#   2. with OpenResty's LIFO pool order (TSPDK_TEST_POOL=openresty), the
#      in-process suites only (the process tests do not depend on the order);
#   3. one process again, with connections read through 'data' events
#      (TSPDK_TEST_READS=data), the fallback when reads cannot go in place.
# Part of `npm run test:full`. Each part runs even when an earlier one
# failed; the exit status is non-zero when any did, and the failed ones are named.
set -uo pipefail
cd "$(dirname "$0")/.."
all=$(find dist/test/conformance dist/test/reliability -name '*.test.js' | sort)
# The suites that run their server in this process (startTestServer), in the file or in a module of its folder it imports.
uses_test_server() {
  grep -q 'startTestServer' "$1" && return 0
  local imported
  for imported in $(grep -oE "from [\"']\./[a-z0-9.-]+\.js[\"']" "$1" | sed -E "s/from [\"']\.\/(.*)[\"']/\1/"); do
    grep -q 'startTestServer' "$(dirname "$1")/$imported" && return 0
  done
  return 1
}
in_process=$(for file in $all; do uses_test_server "$file" && echo "$file"; done)
failed=()
echo "# --workers 2, any idle connection"
TSPDK_TEST_WORKERS=2 node --test $all || failed+=("--workers 2, any idle connection")
echo "# --workers 2, OpenResty's pool order"
TSPDK_TEST_WORKERS=2 TSPDK_TEST_POOL=openresty node --test $in_process || failed+=("--workers 2, OpenResty's pool order")
echo "# one process, 'data' reads"
TSPDK_TEST_READS=data node --test $in_process || failed+=("one process, 'data' reads")
if [ ${#failed[@]} -gt 0 ]; then
  printf 'failed: %s\n' "${failed[@]}" >&2
  exit 1
fi
