#!/usr/bin/env bash
# Run the test suite (extra arguments go to pytest) with everything it needs started here:
#
#   * a throw-away PostgreSQL cluster from Debian's pg_virtualenv, which exports
#     PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE for a superuser (postgres) and drops
#     the cluster afterwards; -t keeps it in a temp dir even as root, so a leftover or
#     concurrent run cannot block it; PostGIS comes from postgresql-15-postgis-3;
#   * Qt offscreen, so QGIS needs no X server (no xvfb-run);
#   * JALNET_REQUIRE_QGIS / JALNET_REQUIRE_POSTGIS, so those tests fail instead of skipping.
#
# pytest's exit code 5 (no tests collected) is turned into a failure.
# Run scripts/bootstrap.sh first (make test does).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

runtime_dir=$(mktemp -d -t jalnet-xdg.XXXXXX)   # Qt wants a private XDG_RUNTIME_DIR
trap 'rm -rf "$runtime_dir"' EXIT

unset PGPORT   # pg_virtualenv would put its cluster on a port inherited from here
rc=0
pg_virtualenv -t -- env \
    QT_QPA_PLATFORM=offscreen \
    XDG_RUNTIME_DIR="$runtime_dir" \
    JALNET_REQUIRE_QGIS=1 \
    JALNET_REQUIRE_POSTGIS=1 \
    "$root/.venv/bin/python" -m pytest "$@" || rc=$?

if [ "$rc" -eq 5 ]; then
    echo "run_tests: pytest collected no tests (exit 5): failing" >&2
    exit 1
fi
exit "$rc"
