"""One EPANET run of a WNTR model, in a temporary folder of its own.

EpanetSimulator writes .inp/.rpt/.bin files; each run gets its own folder so runs in
parallel (threads, processes, Dask workers) never collide. EPANET also names its scratch
files (``enXXXXXX``) relative to the working folder, so it runs with that folder as the
working folder, and a run that fails still closes EPANET (which deletes them). EPANET's warnings (negative
pressures, disconnected nodes, pumps that cannot deliver) are read from its report and
passed on; an EPANET error becomes a one-line error naming the scheme.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..feedback import Feedback
from .build import _epanet_message, unfed_nodes
from .wntr_compat import forward_log, require_wntr

#: EPANET link status codes in WNTR results (LinkStatus): 0 closed, 1 open, 2 active, 3 CV.
CLOSED = 0
#: the working folder is the process's: one EPANET run at a time changes it
_CWD_LOCK = threading.Lock()


@dataclass
class Run:
    """The results of one simulation, with nodes cut off from every source masked."""

    results: Any
    times: np.ndarray  # seconds
    warnings: list[str] = field(default_factory=list)
    #: bool DataFrame (time x node): True where no source or tank reached the node
    unfed: pd.DataFrame | None = None


def simulate(wn: Any, label: str, feedback: Feedback | None = None) -> Run:
    """Run EPANET on *wn*; *label* names the model in errors (e.g. 'scheme 4010457, peak_hour')."""
    wntr = require_wntr()
    # EPANET's input summary in the report also leaks onto stdout for water-age runs; nobody reads it
    summary, wn.options.report.summary = wn.options.report.summary, "NO"
    with tempfile.TemporaryDirectory(prefix="jalnet-epanet-") as folder, forward_log(None) as log:
        prefix = os.path.join(folder, "run")
        sim = wntr.sim.EpanetSimulator(wn)
        try:
            with _working_folder(folder):
                try:
                    results = sim.run_sim(file_prefix=prefix)
                finally:
                    _close(sim)
        except Exception as err:  # noqa: BLE001 - EPANET and WNTR raise several types
            detail = _report_errors(prefix + ".rpt") or _epanet_message(err)
            raise InputError(f"{label}: EPANET could not simulate the model: {detail}") from None
        finally:
            wn.options.report.summary = summary
        warnings = _report_warnings(prefix + ".rpt")
    warnings += [m for m in log if "error 200" not in m.lower()]
    run = Run(results, np.asarray(results.node["pressure"].index, dtype=float), warnings)
    run.unfed = _unfed(wn, results)
    if feedback is not None and warnings:
        shown = warnings[:5]
        for message in shown:
            feedback.warning(f"{label}: EPANET: {message}")
        if len(warnings) > len(shown):
            feedback.warning(f"{label}: EPANET: {len(warnings) - len(shown)} more warning(s)")
    return run


@contextmanager
def _working_folder(folder: str) -> Iterator[None]:
    """Run with *folder* as the working folder (where EPANET puts its scratch files)."""
    with _CWD_LOCK:
        try:
            here = os.getcwd()
        except OSError:  # the caller's folder was deleted under it: nowhere to go back to
            here = None
        os.chdir(folder)
        try:
            yield
        finally:
            if here is not None:
                os.chdir(here)


def _close(sim: Any) -> None:
    """Close EPANET after a run that stopped half way (a finished run has closed it already)."""
    en = getattr(sim, "enData", None)
    if en is None or not getattr(getattr(en, "_project", None), "value", 0):
        return
    try:
        en.ENclose()
    except Exception:  # noqa: BLE001, S110 - closing is best effort; the run's own error is what matters
        pass


def _report_lines(path: str) -> list[str]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8", errors="replace") as f:
        return [line.strip() for line in f]


def _report_warnings(path: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in _report_lines(path) if line.upper().startswith("WARNING:")]


def _report_errors(path: str) -> str:
    errors = [line for line in _report_lines(path) if line.lower().startswith("error")]
    return "; ".join(errors[:3])


def _unfed(wn: Any, results: Any) -> pd.DataFrame:
    """Per reported time, the nodes no open path joins to a reservoir or tank."""
    status = results.link["status"]
    names = list(status.columns)
    sources = set(wn.reservoir_name_list) | set(wn.tank_name_list)
    values = status.to_numpy()
    frame = pd.DataFrame(False, index=status.index, columns=list(results.node["pressure"].columns))
    cache: dict[bytes, list[str]] = {}
    for k in range(len(values)):
        open_mask = values[k] != CLOSED
        sig = np.packbits(open_mask).tobytes()
        if sig not in cache:
            cache[sig] = unfed_nodes(wn, sources, {n for n, o in zip(names, open_mask) if o})
        cut = cache[sig]
        if cut:
            frame.iloc[k, frame.columns.get_indexer(cut)] = True
    return frame
