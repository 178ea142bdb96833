#!/usr/bin/env bash
# The whole suite twice: on SQLite, then on PostgreSQL (BANKSTATUS_TEST_POSTGRES, by default
# the server on 127.0.0.1:5432, user postgres). The tests of several instances on one
# database need PostgreSQL whatever the pass, so they run in the second one only.
# Extra arguments go to both runs, e.g. a test name to filter on. It first installs or
# starts what the tests need (scripts/setup.sh), so it runs as it is on a fresh machine.
set -uo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BANKSTATUS_TEST_POSTGRES:-}" ]; then
  scripts/setup.sh || exit 1
else
  BANKSTATUS_SKIP_PG_SETUP=1 scripts/setup.sh || exit 1
fi
status=0
echo "== SQLite"
cargo nextest run --locked --no-fail-fast -E 'not test(/^cluster::/)' "$@" || status=1
echo "== PostgreSQL"
BANKSTATUS_TEST_POSTGRES="${BANKSTATUS_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}" \
  cargo nextest run --locked --no-fail-fast "$@" || status=1
exit "$status"
