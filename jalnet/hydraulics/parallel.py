"""Every scheme of a registry, run in parallel with Dask (or one after another, if asked).

Each scheme is an independent model, so a state's schemes are embarrassingly parallel:
they go to Dask workers in chunks (a local cluster by default, or a scheduler address for
a real cluster; workers must reach the registry: a shared path or a PostGIS URL). A
scheme that fails is recorded with its error and the others go on. ``engine="serial"``
runs in this process, for QGIS installs without Dask; it is chosen, never fallen back to.
"""

from __future__ import annotations

import logging
import math
import os
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..errors import Canceled, InputError, JalnetError
from ..feedback import Feedback, check_canceled
from ..registry import open_registry
from ..registry.postgis import is_postgis_target
from .build import load_schemes, scheme_ids
from .norms import Norms
from .results import ScenarioResult, layers_of, merge_layers, write_results
from .scenarios import _names, resolve, run_scheme, stored_scenarios
from .stored import engine_text, now, store_runs

ENGINES = ("dask", "serial")


@dataclass
class RunAllReport:
    schemes: int
    scenarios_run: int
    failures: list[dict[str, Any]]
    seconds: float
    engine: str
    workers: int
    out: str | None = None
    #: every run's line of the comparison table (scheme_id, scenario, kind, pressures, households...)
    summaries: list[dict[str, Any]] = field(default_factory=list)
    #: the runs themselves, with their layers (only with keep_results)
    results: list[ScenarioResult] = field(default_factory=list)
    #: IDs of the runs stored in the registry (hyd_runs), in the order of summaries
    run_ids: list[str] = field(default_factory=list)
    #: time spent keeping the runs in the registry (not part of ``seconds``)
    store_seconds: float = 0.0


@dataclass
class ChunkOutput:
    """What a task sends back: its runs' layers already joined into one frame per layer (a few
    frames cross the wire instead of several per run), the comparison lines, the failures."""

    layers: dict[str, pd.DataFrame]
    summaries: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    results: list[ScenarioResult] = field(default_factory=list)


def run_chunk(target: str, schemes: list[str], scenarios: str | list[str] | None, dem: str | None,
              params: dict[str, Any] | None, norms: dict[str, float] | None, start: str | None,
              keep: bool = False) -> ChunkOutput:
    """Run scenarios of some schemes (a Dask task); failures are returned, not raised."""
    results, failures = _run_schemes(target, schemes, scenarios, dem, params, norms, start)
    return ChunkOutput(layers_of(results), [r.summary for r in results], failures, results if keep else [])


def _run_schemes(target: str, schemes: list[str], scenarios: str | list[str] | None, dem: str | None,
                 params: dict[str, Any] | None, norms: dict[str, float] | None, start: str | None
                 ) -> tuple[list[ScenarioResult], list[dict[str, Any]]]:
    results: list[ScenarioResult] = []
    failures: list[dict[str, Any]] = []
    try:
        reg = open_registry(target, readonly=True)
    except JalnetError as err:
        return [], [{"scheme_id": s, "scenario": "", "error": str(err)} for s in schemes]
    try:
        data = load_schemes(reg, schemes)
        stored = stored_scenarios(reg, schemes)
    finally:
        reg.close()
    begin = pd.Timestamp(start) if start else None
    for scheme in schemes:
        try:
            chosen = [resolve(scheme, n, stored[scheme]) for n in _names(scenarios, stored[scheme])]
            got, failed = run_scheme(data[scheme], chosen, dem, params, Norms.from_any(norms), None, begin,
                                     strict=False)
            results += got
            failures += failed
        except JalnetError as err:
            failures.append({"scheme_id": scheme, "scenario": "", "error": str(err)})
        except Exception as err:  # noqa: BLE001 - one broken scheme must not stop a state's run
            where = traceback.extract_tb(err.__traceback__)[-1]
            failures.append({"scheme_id": scheme, "scenario": "",
                             "error": f"{type(err).__name__}: {err} (at {os.path.basename(where.filename)}:"
                                      f"{where.lineno})"})
    return results, failures


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def run_all(registry: str | os.PathLike, schemes: list[str] | None = None, scenarios: str | list[str] | None = None,
            out: str | os.PathLike | None = None, dem: str | os.PathLike | None = None,
            params: dict[str, Any] | None = None, norms: Norms | dict[str, Any] | str | None = None,
            engine: str = "dask", address: str | None = None, workers: int | None = None, chunk: int | None = None,
            feedback: Feedback | None = None, start: Any = None, keep_results: bool = False,
            store: bool = True) -> RunAllReport:
    """Run scenarios of every scheme (or *schemes*); write *out*; failures are collected in the report.

    The report lists every run's comparison line; with *keep_results* it also holds the runs' layers
    as :class:`ScenarioResult` objects (for a few schemes: a state's would not fit in memory twice).
    With *store* each run is kept in the registry (see :mod:`jalnet.hydraulics.stored`); the report
    gives their IDs in ``run_ids``.
    """
    if engine not in ENGINES:
        raise InputError(f"engine {engine}: use dask or serial")
    target = str(registry)
    if not is_postgis_target(target):
        target = os.path.abspath(target)
    with open_registry(target, readonly=True) as reg:
        every = scheme_ids(reg)
    chosen = list(schemes) if schemes else every
    unknown = [s for s in chosen if s not in every]
    if unknown:
        raise InputError(f"scheme(s) {', '.join(unknown[:5])} have no pipes in registry {target}")
    if not chosen:
        raise InputError(f"registry {target} has no scheme with pipes to model")
    norms_dict = Norms.from_any(norms).as_dict()
    dem_path = os.path.abspath(str(dem)) if dem else None
    start_text = str(pd.Timestamp(start)) if start is not None else None
    n_workers = workers or (os.cpu_count() or 1)
    size = chunk or max(1, min(50, math.ceil(len(chosen) / (n_workers * 4))))
    pieces = _chunks(chosen, size)
    args = (scenarios, dem_path, params, norms_dict, start_text, keep_results)
    began, started = time.perf_counter(), now()
    outputs: list[ChunkOutput] = []
    if engine == "serial":
        n_workers = 1
        for k, piece in enumerate(pieces):
            check_canceled(feedback)
            outputs.append(run_chunk(target, piece, *args))
            _progress(feedback, k + 1, len(pieces), outputs[-1].failures)
    else:
        n_workers = _run_dask(target, pieces, args, address, workers, feedback, outputs)
    summaries = [row for o in outputs for row in o.summaries]
    failures = [f for o in outputs for f in o.failures]
    report = RunAllReport(len(chosen), len(summaries), failures, time.perf_counter() - began, engine, n_workers,
                          summaries=summaries, results=[r for o in outputs for r in o.results])
    layers = merge_layers([o.layers for o in outputs], summaries, failures)
    if out is not None and (summaries or failures):
        report.out = write_results(layers, out)
    if store and summaries:
        settings = {"model": params or {}, "dem": dem_path, "norms": norms_dict, "start": start_text}
        stored_at = time.perf_counter()
        with open_registry(target) as reg:
            report.run_ids = store_runs(reg, layers, summaries, started, engine_text(engine, n_workers), settings)
        report.store_seconds = time.perf_counter() - stored_at
    return report


def _progress(feedback: Feedback | None, done: int, total: int, failed: list[dict[str, Any]]) -> None:
    if feedback is None:
        return
    for f in failed:
        feedback.warning(f"scheme {f['scheme_id']}{' ' + f['scenario'] if f['scenario'] else ''} failed: {f['error']}")
    feedback.set_progress(100.0 * done / max(1, total))


def _run_dask(target: str, pieces: list[list[str]], args: tuple, address: str | None, workers: int | None,
              feedback: Feedback | None, outputs: list[ChunkOutput]) -> int:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError("the dask engine needs the Python packages dask and distributed: install them with "
                         "'python -m pip install \"dask[distributed]\" \"numpy<2\"', or run with engine serial "
                         "(--engine serial)") from None
    cluster = None
    if address:
        try:
            client = Client(address, timeout="20s")
        except OSError as err:
            raise InputError(f"cannot reach the Dask scheduler at {address}: {err}") from None
    else:
        cluster = LocalCluster(n_workers=workers or (os.cpu_count() or 1), threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        n_workers = len(client.scheduler_info().get("workers", {})) or (workers or 1)
        if feedback is not None:
            feedback.info(f"running {sum(len(p) for p in pieces)} scheme(s) in {len(pieces)} task(s) on "
                          f"{n_workers} Dask worker(s)")
        futures = {client.submit(run_chunk, target, piece, *args, pure=False): piece for piece in pieces}
        done = 0
        for future in as_completed(list(futures)):
            if feedback is not None and feedback.is_canceled():
                client.cancel(list(futures))
                raise Canceled("canceled by the user; nothing was written")
            piece = futures[future]
            try:
                output = future.result()
            except Exception as err:  # noqa: BLE001 - a lost worker fails its chunk, not the run
                output = ChunkOutput({}, [], [{"scheme_id": s, "scenario": "", "error": f"worker failed: {err}"}
                                              for s in piece])
            outputs.append(output)
            done += 1
            _progress(feedback, done, len(pieces), output.failures)
        return n_workers
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
