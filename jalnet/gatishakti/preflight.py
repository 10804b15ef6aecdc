"""The pre-flight check: every target layer built in memory, every fault found, nothing written.

The export runs the same check and refuses to write when it finds a fault, so a package
that leaves the department has passed it: mandatory values present, codes inside the
profile's lists, geometries valid (repaired only where safe), IDs unique, every feature
carrying a scheme ID the registry knows. The report names the layer, the feature and the
field of each fault so the registry can be corrected.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..outputs import output_folder
from ..registry import Registry, using_registry
from ..registry.schema import LAYERS
from ..report.html import Section, esc, page, table_html
from .geometry import check_geometries, check_transformed
from .profile import FORMATS, FieldSpec, LayerSpec, Profile, load_profile
from .values import DUPLICATE, GEOMETRY, KIND_TITLES, SCHEME, TWICE, convert, duplicates

TEXT_LIMIT = 20  # faults listed per kind in the text report; the HTML report lists all


@dataclass(frozen=True)
class Fault:
    kind: str
    layer: str
    feature: str
    fid: int | None
    field: str | None
    message: str

    def line(self) -> str:
        where = f"{self.feature} (fid {self.fid})" if self.fid is not None else self.feature
        return f"{self.layer} {where}: {self.message}"


@dataclass
class MappedLayer:
    """One target layer as it will be written: exported columns and WGS 84 geometry."""

    spec: LayerSpec
    fids: list[int]
    labels: list[str]
    columns: dict[str, pd.Series]
    geometry: np.ndarray
    repaired: int = 0

    @property
    def count(self) -> int:
        return len(self.fids)

    @property
    def bbox(self) -> tuple[float, float, float, float] | None:
        if not self.count:
            return None
        west, south, east, north = shapely.total_bounds(self.geometry)
        return float(west), float(south), float(east), float(north)


@dataclass
class Preflight:
    profile: Profile
    registry: str
    registry_crs: str
    schemes: list[str]
    formats: tuple[str, ...]
    layers: list[MappedLayer]
    faults: list[Fault] = field(default_factory=list)
    repairs: list[Fault] = field(default_factory=list)
    checked_at: str = ""

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def features(self) -> int:
        return sum(m.count for m in self.layers)

    def counts(self) -> dict[str, int]:
        out = {kind: sum(1 for f in self.faults if f.kind == kind) for kind in KIND_TITLES}
        return {kind: n for kind, n in out.items() if n}

    def summary(self) -> str:
        if self.ok:
            return (f"pre-flight check passed: {self.features} features in {len(self.layers)} layers, "
                    f"{len(self.repairs)} geometry repair(s)")
        kinds = ", ".join(f"{n} {KIND_TITLES[k].lower()}" for k, n in self.counts().items())
        first = self.faults[0].line()
        return f"pre-flight check found {len(self.faults)} fault(s) ({kinds}); first: {first}"

    # -- reports ------------------------------------------------------------------------
    def text(self, limit: int = TEXT_LIMIT) -> str:
        p = self.profile
        lines = [
            f"PM Gati Shakti pre-flight check: {'PASSED' if self.ok else f'FAILED, {len(self.faults)} fault(s)'}",
            f"profile   {p.name} v{p.version} ({p.file})",
            f"registry  {self.registry} ({self.registry_crs}); scheme(s) {', '.join(self.schemes) or '(none)'}",
            f"formats   {', '.join(self.formats)}",
            "layers    " + ", ".join(f"{m.spec.name} {m.count}" for m in self.layers),
        ]
        for kind, title in KIND_TITLES.items():
            found = [f for f in self.faults if f.kind == kind]
            if found:
                lines += ["", f"{title} ({len(found)})"]
                lines += [f"  {f.line()}" for f in found[:limit]]
                if len(found) > limit:
                    lines.append(f"  ... and {len(found) - limit} more (see the HTML report)")
        if self.repairs:
            lines += ["", f"Geometries repaired ({len(self.repairs)})"]
            lines += [f"  {r.line()}" for r in self.repairs[:limit]]
            if len(self.repairs) > limit:
                lines.append(f"  ... and {len(self.repairs) - limit} more")
        withheld = self.withheld()
        if withheld:
            lines += ["", "Withheld as personal data (never written): "
                      + "; ".join(f"{k}: {', '.join(v)}" for k, v in withheld.items())]
        lines += ["", "Nothing can be written until every fault is corrected in the registry (or the profile)."
                  if not self.ok else "Ready to export."]
        return "\n".join(lines)

    def withheld(self) -> dict[str, list[str]]:
        return {m.spec.name: [f.name for f in m.spec.withheld] for m in self.layers if m.spec.withheld}

    def sections(self) -> list[Section]:
        rows = []
        counts_by_layer: dict[str, int] = {}
        for f in self.faults:
            counts_by_layer[f.layer] = counts_by_layer.get(f.layer, 0) + 1
        for m in self.layers:
            rows.append({"layer": m.spec.name, "source": m.spec.source, "features": m.count,
                         "faults": counts_by_layer.get(m.spec.name, 0), "repaired": m.repaired,
                         "withheld": ", ".join(f.name for f in m.spec.withheld)})
        verdict = ("<p><b>Passed.</b> The package can be written.</p>" if self.ok else
                   f"<p class='sev-error'>Failed: {len(self.faults)} fault(s). Nothing is written until they are "
                   "corrected in the registry (or the profile is adapted).</p>")
        head = (f"{verdict}<p>Profile <b>{esc(self.profile.name)}</b> v{esc(self.profile.version)} "
                f"({esc(self.profile.file)}); registry {esc(self.registry)} ({esc(self.registry_crs)}); scheme(s) "
                f"{esc(', '.join(self.schemes))}; formats {esc(', '.join(self.formats))}; checked {esc(self.checked_at)}."
                "</p>")
        sections = [Section("Pre-flight check", head + table_html(
            rows, ["layer", "source", "features", "faults", "repaired", "withheld"],
            {"layer": "Target layer", "source": "Registry layer", "features": "Features", "faults": "Faults",
             "repaired": "Geometries repaired", "withheld": "Withheld fields (personal data)"}))]
        columns = ["layer", "feature", "fid", "field", "message"]
        headers = {"layer": "Target layer", "feature": "Feature (asset ID)", "fid": "Registry fid",
                   "field": "Target field", "message": "What is wrong"}
        for kind, title in KIND_TITLES.items():
            found = [vars(f) for f in self.faults if f.kind == kind]
            if found:
                sections.append(Section(f"{title} ({len(found)})", table_html(found, columns, headers)))
        if self.repairs:
            sections.append(Section(f"Geometries repaired ({len(self.repairs)})", table_html(
                [vars(r) for r in self.repairs], columns, {**headers, "message": "Repair"})))
        return sections

    def html(self) -> str:
        return page("PM Gati Shakti export: pre-flight check", f"{self.profile.title} — {', '.join(self.schemes)}",
                    self.sections())

    def write_report(self, path: str | os.PathLike) -> Path:
        """The HTML report, written whole or not at all."""
        target = Path(path)
        output_folder(target, f"report {target.name}")
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(self.html(), encoding="utf-8")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target


# =========================================================================================
def parse_formats(formats: str | Sequence[str] | None, profile: Profile) -> tuple[str, ...]:
    """'gpkg,shp' or a list -> checked format names; None -> the profile's formats."""
    if formats is None or (isinstance(formats, str) and not formats.strip()):
        return profile.formats
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    names = [str(x).strip().lower() for x in items if str(x).strip()]
    aliases = {"geopackage": "gpkg", "shapefile": "shp", "json": "geojson", "esri shapefile": "shp"}
    names = [aliases.get(n, n) for n in names]
    unknown = [n for n in names if n not in FORMATS]
    if unknown or not names:
        raise InputError(f"unknown format '{', '.join(unknown) or formats}'; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(names))


def check_export(registry: str | os.PathLike | Registry, profile: str | os.PathLike | Profile | None = None,
                 scheme: str | None = None, layers: Sequence[str] | None = None,
                 formats: str | Sequence[str] | None = None, feedback: Feedback | None = None,
                 frames: Mapping[str, pd.DataFrame] | None = None,
                 twice: Sequence[tuple[str, str]] | None = None) -> Preflight:
    """Build every target layer in memory and collect the faults; writes nothing.

    *frames*: registry layers the caller has already read (as ``Registry.read`` returns them, of the
    scheme when one is given), used instead of reading them again. *twice*: the pairs of pipe IDs
    the network rule NET-010 has already found in those pipes, used instead of finding them again; it
    also says the network geometry rules have judged the pipes, so their repair is not redone.
    """
    prof = load_profile(profile)
    chosen = prof.selected(list(layers) if layers else None)
    fmts = parse_formats(formats, prof)
    with using_registry(registry, readonly=True) as reg:
        return _check(reg, prof, chosen, scheme, fmts, feedback, frames or {}, twice)


def registry_label(reg: Registry) -> str:
    """File name of a GeoPackage (the folder layout stays private), the redacted URL of PostGIS."""
    return Path(reg.target).name if reg.kind == "gpkg" else reg.target


def _check(reg: Registry, prof: Profile, chosen: list[LayerSpec], scheme: str | None, formats: tuple[str, ...],
           feedback: Feedback | None, frames: Mapping[str, pd.DataFrame],
           twice: Sequence[tuple[str, str]] | None = None) -> Preflight:
    for spec in chosen:
        if LAYERS[spec.source].since > reg.schema_version:
            raise InputError(f"registry {registry_label(reg)} (schema v{reg.schema_version}) has no layer "
                             f"{spec.source}; open it for writing once to upgrade it")
    schemes = reg.read("schemes").set_index("scheme_id", drop=False)
    if scheme is not None:
        scheme = str(scheme).strip()
        if scheme not in schemes.index:
            known = ", ".join(map(str, schemes.index)) or "none"
            raise InputError(f"scheme '{scheme}' is not in registry {registry_label(reg)} (schemes: {known})")
    now = dt.datetime.now(dt.timezone.utc)
    result = Preflight(prof, registry_label(reg), f"EPSG:{reg.epsg}", [], formats, [],
                       checked_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    steps = Steps(feedback, len(chosen))
    seen: set[str] = set()
    for spec in chosen:
        steps.next(f"checking {spec.name} (registry layer {spec.source})")
        frame = frames.get(spec.source)
        if frame is None:
            frame = reg.read(spec.source, where={"scheme_id": scheme} if scheme is not None else None)
        mapped = _map_layer(spec, frame, reg, schemes, "shp" in formats, now.date().isoformat(), result, twice)
        result.layers.append(mapped)
        seen.update(v for v in mapped.columns[spec.scheme_field.name].dropna())
    steps.done()
    result.schemes = [scheme] if scheme is not None else sorted(seen)
    return result


def _map_layer(spec: LayerSpec, frame: gpd.GeoDataFrame, reg: Registry, schemes: pd.DataFrame, shapefile: bool,
               today: str, result: Preflight, twice: Sequence[tuple[str, str]] | None = None) -> MappedLayer:
    key = LAYERS[spec.source].key
    fids = [int(f) for f in frame.index]
    keys = frame[key].astype(object).where(frame[key].notna(), None).tolist()
    labels = [str(k) if k not in (None, "") else f"fid {fid}" for k, fid in zip(keys, fids)]

    def fault(kind: str, pos: int, message: str, fld: str | None = None, into: list | None = None) -> None:
        (result.faults if into is None else into).append(Fault(kind, spec.name, labels[pos], fids[pos], fld, message))

    # pipes the caller has run the network rules on (NET-001..006, NET-010: it passes *twice*) are judged; as
    # nothing is written here, their vertex repair and WGS 84 transform are skipped
    judged = twice is not None and spec.source == "pipes"
    if judged:
        geoms, geo_faults, geo_repairs = np.asarray(frame.geometry.values, dtype=object), [], []
    else:
        geoms, geo_faults, geo_repairs = check_geometries(frame.geometry.to_numpy(), spec.geometry)
    for issue in geo_faults:
        fault(GEOMETRY, issue.pos, issue.message)
    for issue in geo_repairs:
        fault(GEOMETRY, issue.pos, issue.message, into=result.repairs)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    usable[[issue.pos for issue in geo_faults]] = False
    lengths = np.full(len(geoms), np.nan)
    wgs = np.full(len(geoms), None, dtype=object)
    if usable.any():
        lengths[usable] = shapely.length(geoms[usable])
    if usable.any() and not judged:
        wgs[usable] = gpd.GeoSeries(geoms[usable], crs=reg.crs).to_crs("EPSG:4326").to_numpy()
        for issue in check_transformed(wgs):
            fault(GEOMETRY, issue.pos, issue.message)
    scheme_ids = frame["scheme_id"].astype(object).where(frame["scheme_id"].notna(), None)
    columns: dict[str, pd.Series] = {}
    for fspec in spec.exported:
        raw = _raw_values(fspec, frame, key, schemes, scheme_ids, lengths, wgs, today)
        converted = convert(fspec, raw, shapefile)
        for pos, kind, message in converted.problems:
            fault(kind, pos, message, fspec.name)
        columns[fspec.name] = converted.values
        if fspec.unique:
            for pos, others in sorted(duplicates(converted.values).items()):
                also = ", ".join(f"fid {fids[o]}" for o in others[:5])
                fault(DUPLICATE, pos, f"{fspec.name} '{converted.values.iloc[pos]}' is not unique (also {also})",
                      fspec.name)
    if spec.source == "pipes":
        for pos, other in _entered_twice(frame, reg.crs, twice):
            fault(TWICE, pos, f"same ends and course as {labels[other]} (fid {fids[other]}): one pipe entered twice; "
                              "delete one")
    for pos, sid in enumerate(scheme_ids):
        if sid not in (None, "") and sid not in schemes.index:
            fault(SCHEME, pos, f"{spec.scheme_field.name}: scheme ID '{sid}' is not in the registry's schemes layer; "
                               "add the scheme or correct the ID", spec.scheme_field.name)
    return MappedLayer(spec, fids, labels, columns, wgs, repaired=len(geo_repairs))


def _entered_twice(frame: gpd.GeoDataFrame, crs: object, known: Sequence[tuple[str, str]] | None = None
                   ) -> list[tuple[int, int]]:
    """(row, the row it duplicates) for lines with the same ends and course: the network rule NET-010."""
    from ..topology.network import NetworkData
    from ..topology.validate import validate_network

    if known is None:
        found = validate_network(NetworkData(crs, {"pipes": frame}), rules=["NET-010"]).findings
        known = [tuple(str(ids).split(", ")[:2]) for ids in found["asset_ids"]]
    if not known:
        return []
    key = LAYERS["pipes"].key
    pos = {f"fid {f}": p for p, f in enumerate(frame.index)}
    pos.update({str(k): p for p, k in enumerate(frame[key].astype(object)) if isinstance(k, str) and k})
    out = []
    for pair in known:
        a, b = (pos.get(i.strip()) for i in pair)
        if a is not None and b is not None:
            out.append((max(a, b), min(a, b)))
    return sorted(out)


def _raw_values(fspec: FieldSpec, frame: pd.DataFrame, key: str, schemes: pd.DataFrame, scheme_ids: pd.Series,
                lengths: np.ndarray, wgs: np.ndarray, today: str) -> pd.Series:
    n = len(frame)
    if fspec.source is not None:
        return frame[fspec.source].astype(object).where(frame[fspec.source].notna(), None).reset_index(drop=True)
    if fspec.value is not None:
        return pd.Series([fspec.value] * n, dtype=object)
    name = fspec.derived
    if name == "asset_uid":
        ids = frame[key].astype(object).where(frame[key].notna(), None)
        return pd.Series([f"{s}/{k}" if s not in (None, "") and k not in (None, "") else None
                          for s, k in zip(scheme_ids, ids)], dtype=object)
    if name in ("scheme_name", "state", "district", "block", "division"):
        column = "name" if name == "scheme_name" else name
        lookup = schemes[column].astype(object).where(schemes[column].notna(), None).to_dict()
        return pd.Series([lookup.get(s) for s in scheme_ids], dtype=object)
    if name == "length_m":
        return pd.Series(lengths, dtype=object)
    if name in ("longitude", "latitude"):
        values = (shapely.get_x if name == "longitude" else shapely.get_y)(wgs)  # NaN where no usable point
        return pd.Series(values, dtype=object)
    return pd.Series([today] * n, dtype=object)  # export_date
