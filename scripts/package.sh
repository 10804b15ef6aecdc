#!/usr/bin/env bash
# Build the QGIS plugin zip (jalnet.<version>.zip) with qgis-plugin-ci.
#
# qgis-plugin-ci packs `git archive` of jalnet/ at HEAD and rewrites metadata.txt in the
# work tree while it runs, so it is run in a throw-away git repository holding a copy of
# this work tree (tracked and untracked files, less the ignored ones), never here.
#
#   scripts/package.sh [OUT_DIR]    (default: the repository root)
#
# The version is pyproject.toml's. QGIS_PLUGIN_CI may name the qgis-plugin-ci to use.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
out=$(realpath "${1:-$root}")

qpc=${QGIS_PLUGIN_CI:-}
if [ -z "$qpc" ]; then
    if [ -x "$root/.venv/bin/qgis-plugin-ci" ]; then
        qpc=$root/.venv/bin/qgis-plugin-ci
    elif ! qpc=$(command -v qgis-plugin-ci); then
        echo "package: qgis-plugin-ci not found (run scripts/bootstrap.sh)" >&2
        exit 1
    fi
fi

version=$(sed -n 's/^version *= *"\([^"]*\)".*/\1/p' pyproject.toml | head -n 1)
[ -n "$version" ] || { echo "package: no version in pyproject.toml" >&2; exit 1; }

tmp=$(mktemp -d -t jalnet-package.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/src
mkdir "$src"

# Copy the work tree as git would see it after `git add -A`.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf - | tar -xf - -C "$src"
else
    tar --exclude=./.venv --exclude=./.git --exclude='__pycache__' -cf - . | tar -xf - -C "$src"
fi

git_q=(git -C "$src" -c user.name=jalnet-package -c user.email=package@jalnet.invalid -c commit.gpgsign=false)
"${git_q[@]}" init -q
"${git_q[@]}" add -A
"${git_q[@]}" commit -q -m "package $version"

zip_name="jalnet.$version.zip"
(cd "$src" && "$qpc" package "$version")
mkdir -p "$out"
mv "$src/$zip_name" "$out/$zip_name"
echo "package: $out/$zip_name ($(du -h "$out/$zip_name" | cut -f1))"
