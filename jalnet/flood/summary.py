"""Counting an assessment up: per scheme and district for each event, and per asset across events.

Everything here works on the impact layers alone (stacked over events, as they are
written to the impact GeoPackage), so ``jalnet flood timeline`` can recount a saved
assessment without the registry or the rasters.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from ..registry.schema import LAYERS
from .tables import ASSET_TYPES, POINT_TYPES

#: Columns of the scheme and district summaries, in order.
COUNT_COLUMNS = (
    [f"{t}_hit" for t in ASSET_TYPES]
    + ["pipes_flooded_km", "assets_out_of_service", "assets_no_data", "fhtc_flooded", "fhtc_above_critical",
       "fhtc_lose_supply", "fhtc_storage_only", "fhtc_cut_off", "households_affected", "persons_affected"]
)
HEADERS = {
    "level": "Level", "district": "District", "scheme_id": "Scheme", "scheme_name": "Scheme name",
    "event": "Event", "date": "Date", "affected": "Affected", "schemes_affected": "Schemes affected",
    "sources_hit": "Sources hit", "pumps_hit": "Pumps hit", "treatment_units_hit": "Treatment units hit",
    "tanks_hit": "Tanks hit", "valves_hit": "Valves hit", "fhtc_hit": "Taps hit", "pipes_hit": "Pipes hit",
    "pipes_flooded_km": "Pipes flooded (km)", "assets_out_of_service": "Assets out of service",
    "assets_no_data": "Assets without data", "fhtc_flooded": "Households flooded",
    "fhtc_above_critical": "Taps submerged", "fhtc_lose_supply": "Households losing supply",
    "fhtc_storage_only": "of which on tank storage only", "fhtc_cut_off": "of which cut off",
    "households_affected": "Households affected", "persons_affected": "Persons affected",
}


def is_hit(severity: pd.Series) -> pd.Series:
    return ~severity.isin(["dry", "no_data"])


def _event_order(impacts: Mapping[str, pd.DataFrame]) -> list[tuple[str, str | None]]:
    """(event, date) pairs, by date (undated last) then first appearance."""
    seen: dict[str, str | None] = {}
    for frame in impacts.values():
        for event, date in zip(frame["event"], frame["date"]):
            seen.setdefault(str(event), date if isinstance(date, str) and date else None)
    order = list(seen.items())
    return sorted(order, key=lambda ed: (ed[1] is None, ed[1] or "", order.index(ed)))


def _scheme_key(frame: pd.DataFrame) -> pd.Series:
    return frame["scheme_id"].where(frame["scheme_id"].notna(), "(no scheme)").astype(str)


def scheme_summary(impacts: Mapping[str, pd.DataFrame], schemes: pd.DataFrame) -> pd.DataFrame:
    """One row per scheme and event (every scheme with assets, affected or not), by date."""
    names = dict(zip(schemes.get("scheme_id", []), schemes.get("name", [])))
    districts = dict(zip(schemes.get("scheme_id", []), schemes.get("district", [])))
    events = _event_order(impacts)
    all_schemes = sorted({s for f in impacts.values() for s in _scheme_key(f)})
    index = pd.MultiIndex.from_product([[e for e, _ in events], all_schemes], names=["event", "scheme_id"])
    counts = pd.DataFrame(0, index=index, columns=list(COUNT_COLUMNS), dtype=float)
    for name, frame in impacts.items():
        if frame.empty:
            continue
        hit = is_hit(frame["severity"]).to_numpy()
        work = pd.DataFrame({
            "event": frame["event"].astype(str).to_numpy(), "scheme_id": _scheme_key(frame).to_numpy(),
            f"{name}_hit": hit,
            # a submerged tap is counted as a household, not as an asset out of service
            "assets_out_of_service": frame["out_of_service"].astype(bool).to_numpy() & (name != "fhtc"),
            "assets_no_data": (frame["severity"] == "no_data").to_numpy(),
        })
        if name == "pipes":
            work["pipes_flooded_km"] = frame["flooded_length_m"].fillna(0).to_numpy() / 1000.0
        if name == "fhtc":
            loses = (frame["loses_supply"].fillna(False).astype(bool).to_numpy() if "loses_supply" in frame
                     else np.zeros(len(frame), dtype=bool))
            status = frame["supply_status"].to_numpy() if "supply_status" in frame else np.full(len(frame), "")
            persons = pd.to_numeric(frame["persons"], errors="coerce").fillna(0).to_numpy()
            work["fhtc_flooded"] = hit
            work["fhtc_above_critical"] = frame["out_of_service"].astype(bool).to_numpy()
            work["fhtc_lose_supply"] = loses
            work["fhtc_storage_only"] = loses & (status == "storage_only")
            work["fhtc_cut_off"] = loses & np.isin(status, ["cut_off", "below_pressure"])
            work["households_affected"] = hit | loses
            work["persons_affected"] = np.where(hit | loses, persons, 0)
        summed = work.groupby(["event", "scheme_id"]).sum(numeric_only=True).astype(float)
        counts = counts.add(summed.reindex(columns=counts.columns, fill_value=0), fill_value=0)
    counts = counts.reindex(index).fillna(0)
    out = counts.reset_index()
    for column in COUNT_COLUMNS:
        out[column] = out[column].round(3) if column == "pipes_flooded_km" else out[column].astype(int)
    dates = dict(events)
    out.insert(1, "date", out["event"].map(dates))
    out.insert(3, "scheme_name", out["scheme_id"].map(lambda s: names.get(s) or ""))
    out.insert(4, "district", out["scheme_id"].map(lambda s: districts.get(s) or "(district not recorded)"))
    hits = out[[f"{t}_hit" for t in ASSET_TYPES]].sum(axis=1)
    out.insert(5, "affected", (hits > 0) | (out["fhtc_lose_supply"] > 0))
    return out


def district_summary(per_scheme: pd.DataFrame) -> pd.DataFrame:
    """Scheme rows added up per district and event."""
    if per_scheme.empty:
        return pd.DataFrame(columns=["event", "date", "district", "schemes", "schemes_affected", *COUNT_COLUMNS])
    grouped = per_scheme.groupby(["event", "district"], sort=False)
    out = grouped[list(COUNT_COLUMNS)].sum().reset_index()
    out.insert(1, "date", grouped["date"].first().to_numpy())
    out.insert(3, "schemes", grouped["scheme_id"].count().to_numpy())
    out.insert(4, "schemes_affected", grouped["affected"].sum().astype(int).to_numpy())
    out["pipes_flooded_km"] = out["pipes_flooded_km"].round(3)
    return out


def summary_csv_frame(per_scheme: pd.DataFrame, per_district: pd.DataFrame) -> pd.DataFrame:
    """Scheme and district rows in one sheet, told apart by ``level``."""
    schemes = per_scheme.assign(level="scheme", schemes="", schemes_affected="")
    districts = per_district.assign(level="district", scheme_id="", scheme_name="", affected="")
    columns = ["level", "event", "date", "district", "scheme_id", "scheme_name", "affected", "schemes",
               "schemes_affected", *COUNT_COLUMNS]
    return pd.concat([districts[columns], schemes[columns]], ignore_index=True)


def asset_history(impacts: Mapping[str, gpd.GeoDataFrame], rank: Mapping[str, int]) -> dict[str, gpd.GeoDataFrame]:
    """Per asset over all events: times flooded, first and last flooded, maximum depth, worst severity.

    Returns ``history_points`` (every point asset, with its layer) and ``history_pipes``.
    """
    order = {event: k for k, (event, _) in enumerate(_event_order(impacts))}
    out: dict[str, list[gpd.GeoDataFrame]] = {"history_points": [], "history_pipes": []}
    crs = None
    for name, frame in impacts.items():
        if frame.empty:
            continue
        crs = frame.crs
        key = LAYERS[name].key
        depth = frame["depth_m"] if name in POINT_TYPES else frame["max_depth_m"]
        work = pd.DataFrame({
            "asset_id": frame[key].astype(str).to_numpy(), "scheme_id": frame["scheme_id"].to_numpy(),
            "event": frame["event"].astype(str).to_numpy(), "date": frame["date"].to_numpy(),
            "depth": pd.to_numeric(depth, errors="coerce").to_numpy(),
            "hit": is_hit(frame["severity"]).to_numpy(), "severity": frame["severity"].to_numpy(),
        })
        work["order"] = work["event"].map(order)
        work["rank"] = work["severity"].map(rank).fillna(-1)
        work["pos"] = np.arange(len(work))
        work = work.sort_values(["asset_id", "order"], kind="stable")
        first = work.drop_duplicates("asset_id").set_index("asset_id")
        flooded = work[work["hit"]]
        first_hit = flooded.drop_duplicates("asset_id").set_index("asset_id")
        last_hit = flooded.drop_duplicates("asset_id", keep="last").set_index("asset_id")
        worst = work.sort_values(["asset_id", "rank"], kind="stable").drop_duplicates("asset_id", keep="last")
        g = work.groupby("asset_id", sort=False)
        ids = first.index
        hist = pd.DataFrame({
            "layer": name,
            "asset_id": ids.to_numpy(),
            "scheme_id": first["scheme_id"].to_numpy(),
            "events_assessed": g.size().reindex(ids).to_numpy(),
            "times_flooded": g["hit"].sum().reindex(ids).astype(int).to_numpy(),
            "first_flooded_event": first_hit["event"].reindex(ids).to_numpy(),
            "first_flooded_date": first_hit["date"].reindex(ids).to_numpy(),
            "last_flooded_event": last_hit["event"].reindex(ids).to_numpy(),
            "last_flooded_date": last_hit["date"].reindex(ids).to_numpy(),
            "max_depth_m": g["depth"].max().reindex(ids).to_numpy(),
            "worst_severity": worst.set_index("asset_id")["severity"].reindex(ids).to_numpy(),
        })
        geoms = frame.geometry.to_numpy()[first["pos"].to_numpy()]
        target = "history_points" if name in POINT_TYPES else "history_pipes"
        out[target].append(gpd.GeoDataFrame(hist, geometry=geoms, crs=crs))
    result = {}
    for target, parts in out.items():
        if parts:
            result[target] = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=crs)
    return result


def read_timeline(path: str) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    """(asset history, scheme timeline) recounted from a saved impact GeoPackage."""
    import os

    import pyogrio

    from ..errors import InputError

    if not os.path.exists(path):
        raise InputError(f"impact GeoPackage {path} does not exist")
    try:
        layers = {str(n) for n, _ in pyogrio.list_layers(path)}
    except Exception as err:  # noqa: BLE001 - GDAL raises several error types
        raise InputError(f"cannot read {path}: {str(err).splitlines()[0]}") from None
    names = [n for n in ASSET_TYPES if f"impact_{n}" in layers]
    if not names or "summary_schemes" not in layers:
        raise InputError(f"{path} is not a JalNet impact GeoPackage (no impact_* and summary_schemes layers); "
                         "make one with 'jalnet flood assess'")
    impacts = {n: pyogrio.read_dataframe(path, layer=f"impact_{n}") for n in names}
    for frame in impacts.values():
        frame["date"] = frame["date"].astype(object).where(frame["date"].notna(), None)
    rank: dict[str, int] = {}
    if "severity_classes" in layers:
        classes = pyogrio.read_dataframe(path, layer="severity_classes")
        rank = dict(zip(classes["severity"], classes["rank"].astype(int)))
    schemes = pyogrio.read_dataframe(path, layer="summary_schemes")
    schemes = schemes.sort_values(["scheme_id", "date", "event"], kind="stable", na_position="last")
    return asset_history(impacts, rank), schemes.reset_index(drop=True)
