"""Every engine call QGIS can make, by name: ``{"job": NAME, "args": {...}}``.

A job takes plain JSON arguments (paths, numbers, text) and a feedback, calls the same
engine function the ``jalnet`` command uses, and returns plain JSON: ``outputs`` (what a
Processing algorithm returns), optionally ``load`` (layers QGIS opens, each
``{"uri", "title", "group", "style"}``) and anything a panel needs.
"""

from __future__ import annotations

import importlib
from typing import Any

from ...errors import InputError
from ...feedback import Feedback

#: job name -> "module:function" in this package. Processing algorithm jobs carry the algorithm's name.
JOBS: dict[str, str] = {
    "createregistry": "registry:create",
    "loadlayers": "registry:load",
    "undobatch": "registry:undo",
    "copyregistry": "registry:copy",
    "registry.info": "registry:info",
    "importtracks": "tracks:import_files",
    "snapnetwork": "network:snap_network",
    "validatenetwork": "network:validate_network",
    "network.accept": "network:accept",
    "hydraulicsbuild": "hydraulics:build",
    "hydraulicsimportinp": "hydraulics:import_inp_file",
    "hydraulicsexportinp": "hydraulics:export_inp_file",
    "hydraulicsrun": "hydraulics:run",
    "hydraulics.scenarios": "hydraulics:scenarios",
    "hydraulics.scenario": "hydraulics:scenario",
    "assessflood": "flood:assess",
    "geologyimport": "geology:import_logs",
    "geologyvalidate": "geology:validate",
    "geologystriplog": "geology:striplog",
    "geologysection": "geology:section",
    "geology.figure": "geology:figure",
    "gatishaktiexport": "gatishakti:export",
    "designpipes": "design:design",
    "fieldpackage": "field:package",
    "fieldsync": "field:sync",
    "datahealth": "health:health",
    "sleep": "registry:sleep",
}


def run_job(name: str, args: dict[str, Any], feedback: Feedback) -> dict[str, Any]:
    """Run the job *name*; a JalnetError from it is the user's one-line error."""
    if name not in JOBS:
        raise InputError(f"engine: no job named '{name}'; this engine knows: {', '.join(sorted(JOBS))} "
                         "(is the JalNet engine older than the plugin? update it)")
    module_name, func_name = JOBS[name].split(":")
    func = getattr(importlib.import_module(f"{__name__}.{module_name}"), func_name)
    return func(feedback=feedback, **args)
