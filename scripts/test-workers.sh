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
set -euo pipefail
cd "$(dirname "$0")/.."
all=$(find dist/test/conformance dist/test/reliability -name '*.test.js' | sort)
in_process=$(grep -l 'startTestServer' $all)
echo "# --workers 2, any idle connection"
TSPDK_TEST_WORKERS=2 node --test $all
echo "# --workers 2, OpenResty's pool order"
TSPDK_TEST_WORKERS=2 TSPDK_TEST_POOL=openresty node --test $in_process
echo "# one process, 'data' reads"
TSPDK_TEST_READS=data node --test $in_process
