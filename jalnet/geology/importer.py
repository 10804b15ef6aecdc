"""Importing litholog field sheets (and LAS curves) into the registry, one borehole at a time.

The unit is the borehole with everything logged for it: it is stored whole or not at
all. A borehole whose rows cannot be read (a malformed number, no coordinates, an ID
already in the registry) is refused and its findings say why, with file and row; the
other boreholes import. A borehole that reads cleanly but is geologically inconsistent
(gaps, a screen in clay, an unknown lithology word) is stored with its findings flagged
in ``boreholes.findings``. All stored boreholes go in as one registry batch, so an
import can be undone, and a failure while writing leaves the registry as it was.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..registry.access import takes_target
from ..registry.schema import LAYERS
from ..registry.store import Registry
from . import las as las_io
from .model import Lithologs, aquifer_summary, empty_table, write_csv
from .sheets import Sheet, read_sheet
from .validate import COLUMNS, RULES, Finding, findings_text, validate
from .vocabulary import PERMEABLE, lithology_code, parse_terms

IMPORT_COLUMNS = [*COLUMNS, "imported"]
#: Import-only rules (the validation rules are in :data:`jalnet.geology.validate.RULES`).
IMPORT_RULES: dict[str, str] = {
    "malformed_value": "a value cannot be read (not a number, ambiguous comma, wrong unit, not a code)",
    "missing_value": "a required value is empty (borehole ID, coordinates, from/to depth, construction kind)",
    "bad_coordinates": "coordinates outside their valid range, or longitude and latitude swapped",
    "duplicate_borehole": "the same borehole ID on several rows of the borehole sheet",
    "already_in_registry": "the borehole is already in the registry (import again with replace to update it)",
    "orphan_row": "an interval or construction row for a borehole not in the borehole sheet",
    "unknown_column": "a column that matches no field; it was not imported",
    "las_file": "a LAS file that could not be attached",
}


@dataclass
class ImportResult:
    imported: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    batch_id: str | None = None
    findings_path: Path | None = None

    def rows(self) -> list[dict[str, str]]:
        refused = set(self.refused)
        out = []
        for f in self.findings:
            status = "" if not f.borehole_id else ("no" if f.borehole_id in refused else "yes")
            out.append({**f.as_dict(), "imported": status})
        return out


@takes_target()
def import_lithologs(
    registry: Registry | str | os.PathLike,
    boreholes: str | os.PathLike,
    intervals: str | os.PathLike | None = None,
    construction: str | os.PathLike | None = None,
    las_files: Sequence[str | os.PathLike] = (),
    columns: Mapping[str, Mapping[str, str]] | None = None,
    terms: Mapping[str, str] | None = None,
    crs: str = "EPSG:4326",
    replace: bool = False,
    findings_path: str | os.PathLike | None = None,
    max_source_distance_m: float = 100.0,
    feedback: Feedback | None = None,
) -> ImportResult:
    """Import boreholes (+ lithology, construction, LAS curves); see the module docstring.

    *columns* maps table -> {field: column in the file} for sheets laid out differently
    (tables: boreholes, intervals, construction). An Excel workbook given as *boreholes*
    also supplies the intervals and construction sheets when those are not given.
    """
    steps = Steps(feedback, 5)
    columns = dict(columns or {})
    for table in columns:
        if table not in ("boreholes", "intervals", "construction"):
            raise InputError(f"column mapping: unknown table '{table}' (use boreholes, intervals or construction)")
    user_terms = parse_terms(terms)
    steps.next("reading the field sheets")
    bh_sheet = read_sheet(boreholes, "boreholes", columns.get("boreholes"))
    workbook = Path(boreholes).suffix.lower() in (".xlsx", ".xlsm")
    iv_sheet = _optional_sheet(intervals, boreholes if workbook else None, "intervals", columns)
    cs_sheet = _optional_sheet(construction, boreholes if workbook else None, "construction", columns)
    job = _Job(registry, crs, replace)
    job.unknown_columns([s for s in (bh_sheet, iv_sheet, cs_sheet) if s is not None])

    steps.next("checking rows")
    holes = job.boreholes(bh_sheet)
    lith = job.children(iv_sheet, holes, "lithology")
    cons = job.children(cs_sheet, holes, "construction")
    logs = job.las(las_files, holes)
    accepted = [b for b in holes["borehole_id"] if b not in job.refused]
    holes = holes[holes["borehole_id"].isin(accepted)].reset_index(drop=True)
    lith = _lithology_codes(lith[lith["borehole_id"].isin(accepted)], user_terms)
    if iv_sheet is not None and "aquifer" not in iv_sheet.headers:
        lith = _infer_aquifers(lith, iv_sheet.label)
    cons = cons[cons["borehole_id"].isin(accepted)]
    logs = logs[logs["borehole_id"].isin(set(accepted) | job.existing)] if len(logs) else logs

    steps.next("validating the logs")
    data = Lithologs(holes, _number_ids(lith, "interval_id", ""), _number_ids(cons, "construction_id", "c"), logs)
    found = sorted(validate(data, registry.read("sources"), max_source_distance_m) + inferred_findings(lith),
                   key=lambda f: (f.borehole_id, list(RULES).index(f.rule)))
    text = findings_text(found)
    summary = aquifer_summary(data.intervals)
    holes = holes.assign(
        findings=holes["borehole_id"].map(text),
        first_aquifer_m=holes["borehole_id"].map(summary["first_aquifer_m"]).astype(float),
        aquifer_thickness_m=holes["borehole_id"].map(summary["aquifer_thickness_m"]).astype(float),
    )

    steps.next(f"writing {len(holes)} borehole(s) to the registry")
    result = ImportResult(imported=list(holes["borehole_id"]), refused=sorted(job.refused))
    result.findings = job.findings + found
    result.batch_id, result.counts = _store(registry, job, holes, data, Path(boreholes).name)
    if findings_path is not None:
        result.findings_path = write_csv(findings_path, result.rows(), IMPORT_COLUMNS)
    steps.done()
    return result


def parse_pairs(items: Sequence[str], option: str = "") -> dict[str, str]:
    """['clay=CI', 'murrum=weathered_rock'] -> {'clay': 'CI', ...}; refuses items without '='."""
    out = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"{option or 'mapping'} '{item}': write KEY=VALUE")
        out[key.strip()] = value.strip().strip('"').strip("'")
    return out


def parse_columns(items: Sequence[str]) -> dict[str, dict[str, str]]:
    """['boreholes:collar_elev_m=RL'] -> {'boreholes': {'collar_elev_m': 'RL'}}."""
    out: dict[str, dict[str, str]] = {}
    for key, column in parse_pairs(items, "column mapping").items():
        table, sep, name = key.partition(":")
        if not sep or not name.strip():
            raise InputError(f"column mapping '{key}={column}': write TABLE:FIELD=COLUMN (tables: boreholes, "
                             "intervals, construction)")
        out.setdefault(table.strip(), {})[name.strip()] = column
    return out


def _optional_sheet(path: str | os.PathLike | None, workbook: str | os.PathLike | None, kind: str,
                    columns: Mapping[str, Mapping[str, str]]) -> Sheet | None:
    if path is not None:
        return read_sheet(path, kind, columns.get(kind))
    if workbook is None:
        return None
    try:
        return read_sheet(workbook, kind, columns.get(kind))
    except InputError as err:
        if "no sheet named like" in str(err):
            return None
        raise


def _lithology_codes(frame: pd.DataFrame, terms: dict[str, str]) -> pd.DataFrame:
    """The code column when the sheet has one (an export), else the vocabulary's code for the word."""
    words = frame["lithology"]
    given = frame["code"] if "code" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
    codes = [c if isinstance(c, str) else lithology_code(w, terms) for w, c in zip(words, given)]
    return frame.assign(logged_as=words, lithology=codes)


def _infer_aquifers(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    """A sheet without an aquifer column: intervals of permeable lithology are the aquifers (said so per borehole)."""
    inferred = [code in PERMEABLE for code in frame["lithology"]]
    return frame.assign(aquifer=inferred, _inferred_from=label)


def inferred_findings(frame: pd.DataFrame) -> list[Finding]:
    """One info finding per borehole whose aquifer intervals were inferred, naming them."""
    if "_inferred_from" not in frame.columns or frame.empty:
        return []
    out = []
    for bid, rows in frame.groupby("borehole_id", sort=True):
        aq = rows[rows["aquifer"].astype(bool)].sort_values("from_m")
        units = ", ".join(f"{r.from_m:g}–{r.to_m:g} m ({r.lithology})" for r in aq.itertuples(index=False)) or "none"
        out.append(Finding(str(bid), "aquifer_inferred", "info",
                           f"{rows['_inferred_from'].iloc[0]} has no aquifer column: aquifer intervals inferred from "
                           f"permeable lithology ({', '.join(sorted(PERMEABLE))}): {units}"))
    return out


def _number_ids(frame: pd.DataFrame, key: str, prefix: str) -> pd.DataFrame:
    """'BH-01:1', 'BH-01:2'... from the top down (construction: 'BH-01:c1')."""
    frame = frame.sort_values(["borehole_id", "from_m", "to_m"], kind="stable").reset_index(drop=True)
    n = frame.groupby("borehole_id").cumcount() + 1
    # joined value by value: Arrow-backed text columns (pandas 3 with pyarrow) refuse "+" on an empty frame
    return frame.assign(**{key: [f"{hole}:{prefix}{k}" for hole, k in zip(frame["borehole_id"], n.tolist())]})


class _Job:
    """What one import has found so far: refused boreholes, findings, IDs in the registry."""

    def __init__(self, registry: Registry, crs: str, replace: bool) -> None:
        self.registry = registry
        self.replace = replace
        try:
            self.crs = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError:
            raise InputError(f"unknown CRS '{crs}' for the borehole coordinates; give e.g. EPSG:4326") from None
        self.findings: list[Finding] = []
        self.refused: set[str] = set()
        self.existing = set(registry.read("boreholes")["borehole_id"])
        self.replaced: set[str] = set()

    def add(self, borehole_id: str | None, rule: str, message: str, refuse: bool = True) -> None:
        severity = "error" if refuse else "warning"
        self.findings.append(Finding(borehole_id or "", rule, severity, message))
        if refuse and borehole_id:
            self.refused.add(borehole_id)

    def unknown_columns(self, sheets: list[Sheet]) -> None:
        for sheet in sheets:
            if sheet.unknown:
                names = ", ".join(f"'{c}'" for c in sheet.unknown)
                self.add(None, "unknown_column",
                         f"{sheet.label}: column(s) {names} match no {sheet.kind} field and were not imported "
                         f"(map one with --map {sheet.kind}:FIELD=COLUMN)", refuse=False)

    # -- boreholes --------------------------------------------------------------------------
    def boreholes(self, sheet: Sheet) -> gpd.GeoDataFrame:
        rows = sheet.rows
        errors = sheet.errors_by_row()
        ids = rows["borehole_id"]
        for number, bid in zip(rows["_row"], ids):
            for err in errors.get(number, []):
                self.add(bid, "malformed_value", f"{sheet.label} row {number}, column {err.column}: {err.message}")
            if bid is None:
                self.add(None, "missing_value", f"{sheet.label} row {number}: no borehole ID; row not imported")
        dup = ids[ids.notna() & ids.duplicated(keep=False)]
        for bid in dict.fromkeys(dup):
            at = ", ".join(str(n) for n in rows.loc[ids == bid, "_row"])
            self.add(bid, "duplicate_borehole", f"{sheet.label}: borehole {bid} is on rows {at}; keep one row")
        self._range_check(sheet, "boreholes", {"collar_elev_m", "drilled_depth_m", "swl_m", "yield_lpm", "drawdown_m"})
        geoms = self._points(sheet)
        for bid in ids.dropna():
            if bid in self.existing:
                if self.replace:
                    self.replaced.add(bid)
                else:
                    self.add(bid, "already_in_registry",
                             f"borehole {bid} is already in the registry; import with replace to update it")
        frame = rows[rows["borehole_id"].notna()].drop(columns=["_row"])
        keep = [c for c in frame.columns if c in LAYERS["boreholes"].field_names]
        gdf = gpd.GeoDataFrame(frame[keep].copy(), geometry=geoms[rows["borehole_id"].notna().to_numpy()],
                               crs=self.registry.crs)
        gdf["source_file"] = sheet.label
        for name in LAYERS["boreholes"].field_names:
            if name not in gdf.columns:
                gdf[name] = None
        return gdf.drop_duplicates("borehole_id").reset_index(drop=True)

    def _points(self, sheet: Sheet) -> np.ndarray:
        rows = sheet.rows
        x = rows["longitude"].astype(float).to_numpy()
        y = rows["latitude"].astype(float).to_numpy()
        label = sheet.label
        for number, bid, xi, yi in zip(rows["_row"], rows["borehole_id"], x, y):
            if np.isnan(xi) or np.isnan(yi):
                if not any(e.row == number and e.column in (sheet.headers["longitude"], sheet.headers["latitude"])
                           for e in sheet.errors):
                    self.add(bid, "missing_value", f"{label} row {number}: no coordinates")
                continue
            if self.crs.is_geographic:
                if 6 <= xi <= 38 and 68 <= yi <= 98:
                    self.add(bid, "bad_coordinates", f"{label} row {number}: longitude {xi:g} and latitude {yi:g} look "
                             "swapped (India is at longitude 68-98, latitude 6-38); swap the columns")
                elif not (-180 <= xi <= 180 and -90 <= yi <= 90):
                    self.add(bid, "bad_coordinates", f"{label} row {number}: longitude {xi:g}, latitude {yi:g} are not "
                             f"valid degrees (coordinates are read in {self.crs.to_string()}; give --crs otherwise)")
        to_reg = pyproj.Transformer.from_crs(self.crs, self.registry.crs, always_xy=True)
        with np.errstate(invalid="ignore"):
            px, py = to_reg.transform(x, y, errcheck=False)
        px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
        geoms = shapely.points(px, py)
        bad = ~np.isfinite(px) | ~np.isfinite(py)
        for number, bid in zip(rows["_row"][bad & np.isfinite(x) & np.isfinite(y)],
                               rows["borehole_id"][bad & np.isfinite(x) & np.isfinite(y)]):
            self.add(bid, "bad_coordinates", f"{label} row {number}: coordinates cannot be transformed from "
                     f"{self.crs.to_string()} to the registry CRS")
        geoms[bad] = None
        return geoms

    def _range_check(self, sheet: Sheet, layer: str, names: set[str]) -> None:
        lyr = LAYERS[layer]
        for name in names & set(sheet.rows.columns):
            fld = lyr.field(name)
            values = sheet.rows[name].astype(float)
            never = pd.Series(False, index=values.index)
            low = values < fld.min if fld.min is not None else never
            high = values > fld.max if fld.max is not None else never
            for number, bid, v in zip(sheet.rows["_row"][low | high], sheet.rows["borehole_id"][low | high],
                                      values[low | high]):
                self.add(bid, "malformed_value",
                         f"{sheet.label} row {number}, column {sheet.headers[name]}: {v:g} is outside "
                         f"{'-inf' if fld.min is None else f'{fld.min:g}'}..{'inf' if fld.max is None else f'{fld.max:g}'}")

    # -- intervals and construction -----------------------------------------------------------
    def children(self, sheet: Sheet | None, holes: gpd.GeoDataFrame, what: str) -> pd.DataFrame:
        layer = "lithology_intervals" if what == "lithology" else "construction_intervals"
        if sheet is None or sheet.rows.empty:
            return empty_table(layer)
        rows = sheet.rows
        known = set(holes["borehole_id"])
        errors = sheet.errors_by_row()
        keep = []
        required = ["from_m", "to_m"] + (["kind"] if what == "construction" else [])
        empty = {name: rows[name].isna().to_numpy() for name in required}
        for k, (number, bid) in enumerate(zip(rows["_row"], rows["borehole_id"])):
            if bid is None:
                self.add(None, "missing_value", f"{sheet.label} row {number}: no borehole ID; row not imported")
                continue
            if bid not in known:
                self.add(None, "orphan_row", f"{sheet.label} row {number}: borehole {bid} is not in the borehole sheet; "
                         "import its rows together with the borehole")
                continue
            for err in errors.get(number, []):
                self.add(bid, "malformed_value", f"{sheet.label} row {number}, column {err.column}: {err.message}")
            for name in required:
                if empty[name][k] and not any(e.column == sheet.headers[name] for e in errors.get(number, [])):
                    self.add(bid, "missing_value", f"{sheet.label} row {number}: {name} is empty")
            keep.append(k)
        self._range_check(sheet, layer, {"from_m", "to_m", "slot_mm", "diameter_mm"})
        frame = rows.iloc[keep].drop(columns=["_row"]).reset_index(drop=True)
        for name in LAYERS[layer].field_names:
            if name not in frame.columns:
                frame[name] = None
        frame["from_m"] = frame["from_m"].astype(float)
        frame["to_m"] = frame["to_m"].astype(float)
        return frame

    # -- LAS ----------------------------------------------------------------------------------
    def las(self, files: Sequence[str | os.PathLike], holes: gpd.GeoDataFrame) -> pd.DataFrame:
        frames = []
        importing = set(holes["borehole_id"])
        taken = set(self.registry.read("geophysical_logs")["log_id"])
        for path in files:
            try:
                bid, curves = las_io.read_las(path)
            except InputError as err:
                self.add(None, "las_file", str(err), refuse=False)
                continue
            name = Path(path).name
            if bid not in importing and bid not in self.existing:
                self.add(bid, "las_file", f"{name}: borehole {bid} is neither in this import nor in the registry; "
                         "curves not imported", refuse=False)
                continue
            clash = [c for c in curves["log_id"] if c in taken]
            if clash and not (self.replace or bid in self.replaced):
                self.add(bid, "las_file", f"{name}: curve(s) {', '.join(clash)} already in the registry; import with "
                         "replace to update them", refuse=False)
                continue
            frames.append(curves)
        if not frames:
            return empty_table("geophysical_logs")
        out = pd.concat(frames, ignore_index=True)
        dup = out["log_id"].duplicated(keep="last")
        for log_id in out.loc[dup, "log_id"]:
            self.add(log_id.split(":")[0], "las_file", f"curve {log_id} is in several LAS files; the last one is kept",
                     refuse=False)
        return out[~dup]


def _store(registry: Registry, job: _Job, holes: gpd.GeoDataFrame, data: Lithologs,
           source: str) -> tuple[str | None, dict[str, int]]:
    counts = {"boreholes": 0, "lithology_intervals": 0, "construction_intervals": 0, "geophysical_logs": 0}
    if holes.empty and data.logs.empty:
        return None, counts
    tables = {
        "lithology_intervals": data.intervals,
        "construction_intervals": data.construction,
        "geophysical_logs": data.logs,
    }
    with registry.batch("geology import", f"import lithologs from {source}") as batch:
        replaced = sorted(job.replaced & set(holes["borehole_id"]))
        if replaced:
            for name in ("geophysical_logs", "construction_intervals", "lithology_intervals", "boreholes"):
                old = registry.read(name, {"borehole_id": replaced})
                if len(old):
                    batch.delete(name, list(old.index))
        if len(data.logs):
            old = registry.read("geophysical_logs", {"log_id": list(data.logs["log_id"])})
            if len(old):
                batch.delete("geophysical_logs", list(old.index))
        fields = LAYERS["boreholes"].field_names
        counts["boreholes"] = len(batch.insert("boreholes", holes[[c for c in fields if c in holes.columns] + ["geometry"]]))
        for name, frame in tables.items():
            if len(frame):
                cols = [c for c in LAYERS[name].field_names if c in frame.columns]
                counts[name] = len(batch.insert(name, frame[cols]))
    return (batch.id if batch.n_changes else None), counts
