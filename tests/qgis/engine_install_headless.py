"""Run *Install the JalNet engine* as a user would, headless, in a clean QGIS profile.

Run by tests/qgis/test_engine_install.py with Debian's /usr/bin/python3 (QGIS's Python,
not the test venv) and the plugin unpacked from its zip into PLUGINS_DIR:

    python3 -s engine_install_headless.py PROFILE_ROOT PLUGINS_DIR WHEEL_FOLDERS

Prints one JSON line: what the dialog showed and what find_engine found afterwards.
"""

from __future__ import annotations

import json
import os
import sys
import time

profile_root, plugins_dir, wheel_folders = sys.argv[1:4]
sys.path.insert(0, plugins_dir)

from qgis.core import QgsApplication  # noqa: E402

app = QgsApplication([], True, profile_root)
app.initQgis()

import jalnet  # noqa: E402
from jalnet.plugin.engine import EngineDialog, current_engine, profile_dir  # noqa: E402

before = current_engine()
dialog = EngineDialog()
dialog.show()
status_before = dialog.status.text()
dialog.wheelhouse_edit.setText(wheel_folders)
task = dialog.start_install()
started = time.monotonic()
progress_seen = []
while dialog.cancel_button.isEnabled() and time.monotonic() - started < 600:
    app.processEvents()
    progress_seen.append(dialog.progress.value())
    time.sleep(0.05)
app.processEvents()
engine_stack = ("geopandas", "pyogrio", "fiona", "rasterio", "pyproj", "shapely", "wntr")
print(json.dumps({
    "plugin_file": jalnet.__file__,
    "profile_dir": profile_dir(),
    "engine_before": before,
    "status_before": status_before,
    "engine_after": current_engine(),
    "status_after": dialog.status.text(),
    "progress_max": max(progress_seen or [0]),
    "progress_final": dialog.progress.value(),
    "log": dialog.log_view.toPlainText(),
    "task_error": task.error,
    "seconds": round(time.monotonic() - started, 1),
    "engine_modules_in_qgis": sorted(m for m in engine_stack if m in sys.modules),
    "python": sys.executable,
}))
sys.stdout.flush()
app.exitQgis()
os._exit(0)  # no teardown surprises: the JSON line is the result
