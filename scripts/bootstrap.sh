#!/usr/bin/env bash
# Install what JalNet needs to run, test and package, and nothing that is already there.
#
#   1. Debian packages (QGIS 3.22, PostgreSQL + PostGIS, GDAL, Xvfb, venv/pip): only the
#      missing ones, found with dpkg-query; apt-get update + install runs only then.
#   2. .venv, made from Debian's /usr/bin/python3 with --system-site-packages so that it
#      sees QGIS's python bindings; made only when missing or broken.
#   3. pip install -e ".[EXTRAS]" (+ qgis-plugin-ci) with scripts/constraints.txt, where
#      EXTRAS is every optional-dependency group in pyproject.toml (hydraulics, postgis,
#      test, ...), so that no test runs against a package installed by hand; only when
#      pyproject.toml, the constraints or this script changed since the last successful
#      install (a stamp file in .venv keeps their hash).
#   4. .venv/wheelhouse: wheels of JalNet's core dependencies for Debian's Python (pip
#      download, once per change of pyproject.toml), so that the engine-installer test
#      installs offline (--no-index --find-links) and never reaches a package index.
#
# Idempotent: a second run does nothing and takes well under a second.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(
    qgis python3-qgis qgis-providers
    postgresql postgis postgresql-15-postgis-3
    xvfb xauth
    python3-venv python3-pip
    gdal-bin
    git make
)
PIP_TOOLS=(qgis-plugin-ci)
CONSTRAINTS=scripts/constraints.txt
VENV=.venv
SYSTEM_PYTHON=/usr/bin/python3
STAMP="$VENV/.jalnet-bootstrap.stamp"

say() { echo "bootstrap: $*"; }

# --- 1. Debian packages -------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null; then
        sudo=(sudo)
    else
        say "missing Debian packages (${missing[*]}) and not root and no sudo" >&2
        exit 1
    fi
    say "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_opts=(-q -o DPkg::Lock::Timeout=600)
    "${sudo[@]}" apt-get "${apt_opts[@]}" update
    "${sudo[@]}" apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"
else
    say "Debian packages present (${#APT_PACKAGES[@]} checked)"
fi

# --- 2. the venv ----------------------------------------------------------------------
venv_ok() {
    [ -x "$VENV/bin/python" ] &&
        grep -qx 'include-system-site-packages = true' "$VENV/pyvenv.cfg" 2>/dev/null &&
        "$VENV/bin/python" -c 'import sys; sys.exit(sys.base_prefix != "/usr")' 2>/dev/null
}

if ! venv_ok; then
    if [ -e "$VENV" ]; then
        say "$VENV is not a venv of $SYSTEM_PYTHON with system site-packages: making it again"
        rm -rf "$VENV"
    fi
    say "creating $VENV ($SYSTEM_PYTHON -m venv --system-site-packages)"
    "$SYSTEM_PYTHON" -m venv --system-site-packages "$VENV"
fi

# --- 3. pip install, when the inputs changed ---------------------------------------------
want=$(cat pyproject.toml "$CONSTRAINTS" scripts/bootstrap.sh | sha256sum | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)

if [ "$want" != "$have" ]; then
    extras=$("$SYSTEM_PYTHON" -c 'import tomllib
with open("pyproject.toml", "rb") as f:
    print(",".join(sorted(tomllib.load(f)["project"].get("optional-dependencies", {}))))')
    say "pip install -c $CONSTRAINTS -e .[$extras] ${PIP_TOOLS[*]}"
    rm -f "$STAMP"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet --progress-bar off \
        -c "$CONSTRAINTS" -e ".[$extras]" "${PIP_TOOLS[@]}"

    # The venv must still use Debian's QGIS stack: numpy 1.x, Debian's PyQt5, qgis.core.
    QT_QPA_PLATFORM=offscreen "$VENV/bin/python" - <<'EOF'
import numpy, PyQt5
from qgis.core import Qgis
assert int(numpy.__version__.split(".")[0]) < 2, f"numpy {numpy.__version__} in the venv: QGIS needs numpy < 2"
assert PyQt5.__file__.startswith("/usr/lib/python3/"), f"PyQt5 from {PyQt5.__file__}, not Debian's"
print(f"bootstrap: ok: QGIS {Qgis.QGIS_VERSION}, numpy {numpy.__version__}")
EOF
    echo "$want" >"$STAMP"
else
    say "$VENV up to date with pyproject.toml and $CONSTRAINTS"
fi

# --- 4. the wheelhouse of the engine's core dependencies ------------------------------------
WHEELHOUSE="$VENV/wheelhouse"
want_wh=$(cat pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$want_wh" != "$(cat "$WHEELHOUSE/.stamp" 2>/dev/null || true)" ]; then
    mapfile -t core < <("$SYSTEM_PYTHON" -c 'import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["dependencies"]))')
    say "pip download ${#core[@]} core dependencies (with theirs) into $WHEELHOUSE"
    rm -rf "$WHEELHOUSE"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip download --quiet --progress-bar off \
        --only-binary :all: --python-version "$("$SYSTEM_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" \
        --dest "$WHEELHOUSE" "${core[@]}" 2>&1 | grep -v "is ignored: it is neither" || true
    [ -n "$(ls "$WHEELHOUSE"/numpy-*.whl 2>/dev/null)" ] || { say "wheel download failed" >&2; exit 1; }
    echo "$want_wh" >"$WHEELHOUSE/.stamp"
else
    say "$WHEELHOUSE up to date"
fi
