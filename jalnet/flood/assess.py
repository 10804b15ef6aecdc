"""``assess_flood``: the flood-impact overlay from inputs to the impact GeoPackage, CSV and report.

Everything is checked before anything is written (tables, rasters, polygons, the registry,
their overlap), and outputs are written to temporary files that replace the targets only
when all of them are complete, so a failure leaves no half-written output behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..outputs import output_folder, staged_write, write_gpkg_layer
from ..registry import Registry, borrow
from .assets import Assets, read_assets
from .events import FloodEvent, OpenEvent, open_event
from .impact import SUPPLY_TYPES, impact_layers
from .overlay import check_overlap
from .summary import asset_history, district_summary, scheme_summary, summary_csv_frame
from .supply import METHODS, SupplyNetwork, build_network, households_losing_supply, hydraulic_function
from .tables import (
    ASSET_TYPES,
    CriticalHeight,
    SeverityClass,
    class_table,
    load_classes,
    load_critical_heights,
    severity_rank,
)


@dataclass
class EventResult:
    name: str
    date: str | None
    source: str
    impacts: dict[str, gpd.GeoDataFrame]
    notes: list[str] = field(default_factory=list)


@dataclass
class FloodAssessment:
    """What an assessment found and wrote."""

    registry: str
    crs: Any
    events: list[EventResult]
    impacts: dict[str, gpd.GeoDataFrame]  # stacked over events, as written
    schemes: pd.DataFrame  # per scheme and event
    districts: pd.DataFrame  # per district and event
    history: dict[str, gpd.GeoDataFrame]
    heights: dict[tuple[str, str], CriticalHeight]
    classes: tuple[SeverityClass, ...]
    method: str
    hazards: list[OpenEvent] = field(default_factory=list, repr=False)
    out: Path | None = None
    report: Path | None = None
    summary: Path | None = None
    notes: list[str] = field(default_factory=list)
    #: report sections, made while the rasters are open (the demo adds them to its summary)
    sections: list[Any] = field(default_factory=list, repr=False)

    def totals(self, event: str | None = None) -> dict[str, int]:
        """Headline counts for one event (the last one by default)."""
        if self.schemes.empty:
            return {}
        name = event or self.events[-1].name
        rows = self.schemes[self.schemes["event"] == name]
        return {
            "schemes_affected": int(rows["affected"].sum()),
            "households_flooded": int(rows["fhtc_flooded"].sum()),
            "households_losing_supply": int(rows["fhtc_lose_supply"].sum()),
            "households_affected": int(rows["households_affected"].sum()),
            "assets_out_of_service": int(rows["assets_out_of_service"].sum()),
        }


def _check_output(path: str | Path | None, suffixes: tuple[str, ...], what: str, overwrite: bool) -> Path | None:
    if path is None or str(path) == "":
        return None
    p = Path(path).expanduser().resolve()
    if p.suffix.lower() not in suffixes:
        raise InputError(f"{what} {p} must end in {' or '.join(suffixes)}")
    output_folder(p, what)
    if p.exists() and not overwrite:
        raise InputError(f"{what} {p} already exists; choose another name or overwrite it (--overwrite)")
    return p


def _assess_events(reg: Registry | None, assets: Assets, opened: list[OpenEvent], heights: dict, classes: tuple,
                   method: str, steps: Steps, feedback: Feedback | None,
                   network: SupplyNetwork | None, dem: str | None = None) -> list[EventResult]:
    results = []
    for ev in opened:
        steps.next(f"overlaying {ev.name}")
        impacts, sampler = impact_layers(assets, ev.hazard, ev.name, ev.date, heights, classes, feedback)
        raster = ev.hazard.raster
        if raster is not None and sampler.inside == 0:
            raise InputError(f"depth raster {raster.path} and registry {assets.label} do not overlap: no asset lies on "
                             "the raster; check that the raster is for this area and that its CRS is right")
        if raster is not None and sampler.valid == 0:
            raise InputError(f"depth raster {raster.path} holds only nodata where the assets of {assets.label} are "
                             f"({sampler.inside} sample(s) on the raster, none with a depth); check the band, the "
                             "nodata value and that the raster is the right one")
        notes = list(ev.notes)
        if sampler.negative_min < -1.0:
            notes.append(f"{raster.path if raster else ''} has depths down to {sampler.negative_min:.1f} m, read as "
                         "dry; if they mark missing data, declare them as nodata (gdal_edit.py -a_nodata)")
        steps.next(f"households losing supply in {ev.name} ({method})")
        out = {name: sorted(impacts[name].loc[impacts[name]["out_of_service"], assets.key(name)].astype(str))
               for name in (*SUPPLY_TYPES, "pipes")}
        loss = households_losing_supply(reg, out, method, assets=assets, network=network, dem=dem)
        fhtc = impacts["fhtc"]
        ids = fhtc["fhtc_id"].astype(str).to_numpy()
        fhtc["supply_status"] = loss["supply_status"].reindex(ids).to_numpy()
        fhtc["loses_supply"] = loss["loses_supply"].reindex(ids).fillna(False).astype(bool).to_numpy()
        source = ev.hazard.describe()
        results.append(EventResult(ev.name, ev.date, source, impacts, notes))
    return results


def _stack(results: list[EventResult]) -> dict[str, gpd.GeoDataFrame]:
    stacked = {}
    for name in ASSET_TYPES:
        frames = [r.impacts[name] for r in results]
        crs = frames[0].crs
        stacked[name] = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs)
    return stacked


def assess(
    assets: Assets,
    events: Sequence[OpenEvent],
    heights: dict[tuple[str, str], CriticalHeight],
    classes: tuple[SeverityClass, ...],
    method: str = "connectivity",
    registry: Registry | None = None,
    feedback: Feedback | None = None,
    dem: str | None = None,
) -> FloodAssessment:
    """The assessment in memory: impacts, households losing supply, summaries and history."""
    if method not in METHODS:
        raise InputError(f"unknown method '{method}'; use {' or '.join(METHODS)}")
    names = [e.name for e in events]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"flood event name(s) {', '.join(duplicates)} given twice; name every event (--event)")
    if method == "hydraulic":
        hydraulic_function()  # refuse before the overlay when the engine is missing
    for ev in events:
        check_overlap(ev.hazard, assets.bounds, assets.crs, assets.label)
    steps = Steps(feedback, 2 * len(events) + 2)
    steps.next("building the supply network")
    network = build_network(assets) if method == "connectivity" else None
    notes = [f"left out of the supply check: {m}" for m in (network.unattached if network else [])]
    results = _assess_events(registry, assets, list(events), heights, classes, method, steps, feedback, network, dem)
    steps.next("counting per scheme and district")
    impacts = _stack(results)
    per_scheme = scheme_summary(impacts, assets.schemes)
    history = asset_history(impacts, severity_rank(classes))
    steps.done()
    return FloodAssessment(assets.label, assets.crs, results, impacts, per_scheme, district_summary(per_scheme),
                           history, heights, classes, method, list(events), notes=notes)


def assess_flood(
    registry: str | Registry,
    events: Sequence[FloodEvent],
    out: str | Path,
    *,
    report: str | Path | None = None,
    summary: str | Path | None = None,
    thresholds: str | Path | None = None,
    classes: str | Path | None = None,
    method: str = "connectivity",
    wet_threshold: float = 0.0,
    repair_extent: bool = False,
    overwrite: bool = False,
    with_sections: bool = False,
    feedback: Feedback | None = None,
    dem: str | Path | None = None,
) -> FloodAssessment:
    """Assess *events* over a registry and write the impact GeoPackage (and the CSV and HTML report).

    *with_sections* keeps the report sections (maps included) on the result even without
    a report file, for pages that embed them. *dem* gives the hydraulic method the ground
    levels of junctions without an elevation. Raises :class:`~jalnet.errors.InputError`
    for bad input before anything is written.
    """
    out_path = _check_output(out, (".gpkg",), "impact GeoPackage", overwrite)
    if out_path is None:
        raise InputError("no output given; name the impact GeoPackage (--out IMPACT.gpkg)")
    report_path = _check_output(report, (".html", ".htm"), "report", overwrite)
    summary_path = _check_output(summary, (".csv",), "summary CSV", overwrite)
    if not events:
        raise InputError("no flood event given; give a depth raster (--depth) or extent polygons (--extent)")
    if wet_threshold < 0:
        raise InputError(f"wet threshold {wet_threshold} must be zero or more (metres)")
    heights = load_critical_heights(thresholds)
    class_rows = load_classes(classes)
    opened: list[OpenEvent] = []
    reg, own = borrow(registry, readonly=True)
    try:
        for event in events:
            opened.append(open_event(event, wet_threshold, repair_extent))
        result = assess(read_assets(reg), opened, heights, class_rows, method, reg, feedback,
                        str(dem) if dem else None)
        if report_path is not None or with_sections:
            from .report import flood_sections

            result.sections = flood_sections(result)
        if feedback is not None:
            feedback.info(f"writing {out_path.name}")
        write_outputs(result, out_path, report_path, summary_path)
    finally:
        for ev in opened:
            ev.close()
        if own:
            reg.close()
    return result


def output_tables(result: FloodAssessment) -> dict[str, pd.DataFrame]:
    """Every layer of the impact GeoPackage, by name, in write order."""
    tables: dict[str, pd.DataFrame] = {f"impact_{name}": frame for name, frame in result.impacts.items()}
    tables.update(result.history)
    tables["summary_schemes"] = result.schemes
    tables["summary_districts"] = result.districts
    tables["events"] = pd.DataFrame([{"event": e.name, "date": e.date, "inputs": e.source, "notes": "; ".join(e.notes)}
                                     for e in result.events])
    tables["severity_classes"] = pd.DataFrame(class_table(result.classes)).assign(
        rank=lambda f: range(len(f)))
    tables["critical_heights"] = pd.DataFrame([vars(h) for h in result.heights.values()])
    return tables


def write_outputs(result: FloodAssessment, out: Path, report: Path | None = None, summary: Path | None = None) -> None:
    """Write to temporary files next to the targets, then move them in place together."""
    staged: list[tuple[Path, Path]] = []
    try:
        tmp = _temp_next_to(out)
        staged.append((tmp, out))
        with staged_write():
            for name, frame in output_tables(result).items():
                write_gpkg_layer(_writable(frame), tmp, name)
        if summary is not None:
            tmp = _temp_next_to(summary)
            staged.append((tmp, summary))
            summary_csv_frame(result.schemes, result.districts).to_csv(tmp, index=False)
        if report is not None:
            from .report import report_html

            tmp = _temp_next_to(report)
            staged.append((tmp, report))
            tmp.write_text(report_html(result), encoding="utf-8")
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    result.out, result.report, result.summary = out, report, summary


def _temp_next_to(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.unlink(name)  # GDAL creates the GeoPackage itself
    return Path(name)


def _writable(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns GDAL can store: plain objects to text where they are mixed."""
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if column == getattr(frame, "_geometry_column_name", None):
            continue
        if frame[column].dtype == object:
            values = frame[column]
            frame[column] = values.where(values.isna(), values.astype(str)).astype(object)
    return frame
