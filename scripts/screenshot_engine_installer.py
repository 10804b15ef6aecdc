"""The engine installer screenshot in docs/screenshots: *Install the JalNet engine*, running.

    xvfb-run -a -s "-screen 0 1280x900x24" /usr/bin/python3 scripts/screenshot_engine_installer.py

QGIS (its application and widgets, Debian's /usr/bin/python3) in a throw-away profile with no
engine: the JalNet engine dialog installs the engine offline from a wheel of this checkout and
.venv/wheelhouse (scripts/bootstrap.sh fills it), and the dialog is captured while pip runs,
then again when the check has passed. Writes docs/screenshots/engine_installer.png (running)
and leaves the finished state in out/engine_installer_done.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots" / "engine_installer.png"
DONE = ROOT / "out" / "engine_installer_done.png"


def build_wheel(folder: Path) -> None:
    """A wheel of this checkout, built from a copy so no build/ is left here."""
    src = folder.parent / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "out", "build", "*.egg-info",
                                                             "__pycache__", "*.zip", "tests", "benchmarks", "docs"))
    subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--no-index", "-q", "-w", str(folder), str(src)], check=True)


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="jalnet-shot-"))
    build_wheel(tmp / "wheel")
    for key in [k for k in os.environ if k.startswith(("PIP_", "JALNET_"))]:
        del os.environ[key]
    os.environ.update(PIP_CONFIG_FILE=os.devnull, JALNET_ENGINE_EXTRAS="")
    sys.path.insert(0, str(ROOT))
    from qgis.core import QgsApplication

    app = QgsApplication([], True, str(tmp))
    app.initQgis()
    from jalnet.plugin.engine import EngineDialog

    dialog = EngineDialog()
    dialog.resize(760, 620)
    dialog.show()
    dialog.wheelhouse_edit.setText(os.pathsep.join([str(tmp / "wheel"), str(ROOT / ".venv" / "wheelhouse")]))
    dialog.start_install()
    shot = False
    started = time.monotonic()
    while dialog.cancel_button.isEnabled() and time.monotonic() - started < 600:
        app.processEvents()
        if not shot and dialog.progress.value() >= 50:
            app.processEvents()
            OUT.parent.mkdir(parents=True, exist_ok=True)
            shot = dialog.grab().save(str(OUT))
        time.sleep(0.05)
    app.processEvents()
    DONE.parent.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(DONE))
    print(f"wrote {OUT} (running) and {DONE} (finished: {dialog.status.text()})")
    sys.stdout.flush()
    shutil.rmtree(tmp, ignore_errors=True)
    os._exit(0 if shot else 1)


if __name__ == "__main__":
    main()
