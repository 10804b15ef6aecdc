"""The registry summary: what a scheme has, in numbers and on a map."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..masking import mask
from ..registry import Registry
from ..registry.schema import LAYERS
from .html import Section, esc, figure_png, table_html

LPCD_DEFAULT = 55.0


def registry_sections(reg: Registry) -> list[Section]:
    """Schemes, asset counts, pipe lengths, households and demand, and a map."""
    schemes = reg.read("schemes")
    pipes = reg.read("pipes")
    fhtc = reg.read("fhtc")
    sections = [Section("Schemes", _schemes_html(reg, schemes, fhtc))]
    counts = [{"layer": LAYERS[n].title, "features": reg.count(n)} for n in reg.layer_names()]
    sections.append(Section("Assets in the registry", table_html(counts, ["layer", "features"],
                                                                    {"layer": "Layer", "features": "Features"})))
    sections.append(Section("Pipes by material and diameter", _pipes_html(pipes)))
    sections.append(Section("Map", _map_html(reg, pipes, fhtc)))
    batches = reg.batches()
    rows = batches.astype(object).where(batches.notna(), None).to_dict("records")
    sections.append(Section("Change log", table_html(rows, ["batch_id", "started", "tool", "n_changes", "description"])))
    return sections


def _schemes_html(reg: Registry, schemes: pd.DataFrame, fhtc: pd.DataFrame) -> str:
    rows = []
    for s in schemes.itertuples():
        taps = fhtc[fhtc["scheme_id"] == s.scheme_id]
        persons = int(taps["persons"].fillna(0).sum())
        lpcd = s.lpcd if pd.notna(s.lpcd) else LPCD_DEFAULT
        rows.append({
            "scheme_id": s.scheme_id, "name": s.name, "name_local": s.name_local, "division": s.division,
            "district": s.district, "fhtc": len(taps), "persons": persons,
            "demand_kld": round(persons * lpcd / 1000.0, 1),
        })
    return table_html(rows, ["scheme_id", "name", "name_local", "division", "district", "fhtc", "persons",
                             "demand_kld"],
                      {"scheme_id": "Scheme ID", "name": "Name", "name_local": "Local name", "division": "Division",
                       "district": "District", "fhtc": "Tap connections", "persons": "Persons served",
                       "demand_kld": "Demand at service level (kL/day)"})


def _pipes_html(pipes: Any) -> str:
    if pipes.empty:
        return "<p class='note'>No pipes.</p>"
    frame = pd.DataFrame({"material": pipes["material"].fillna("(missing)"),
                          "diameter_mm": pipes["diameter_mm"], "km": pipes.geometry.length / 1000.0})
    grouped = frame.groupby(["material", "diameter_mm"], dropna=False)["km"].agg(["count", "sum"]).reset_index()
    rows = [{"material": r.material, "diameter_mm": None if pd.isna(r.diameter_mm) else int(r.diameter_mm),
             "pipes": int(r["count"]), "km": round(float(r["sum"]), 3)} for _, r in grouped.iterrows()]
    total = f"<p>Total: <b>{frame['km'].sum():.2f} km</b> in {len(frame)} pipes.</p>"
    return total + table_html(rows, ["material", "diameter_mm", "pipes", "km"],
                              {"material": "Material", "diameter_mm": "Diameter (mm)", "pipes": "Pipes",
                               "km": "Length (km)"})


def _map_html(reg: Registry, pipes: Any, fhtc: Any) -> str:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "<p class='note'>Install matplotlib for the map.</p>"
    fig, ax = plt.subplots(figsize=(9, 7))
    villages = reg.read("villages")
    if not villages.empty:
        villages.boundary.plot(ax=ax, color="#9aa5b1", linewidth=0.8)
        for v in villages.itertuples():
            p = v.geometry.representative_point()
            ax.annotate(v.name, (p.x, p.y), color="#5b6b7b", fontsize=8, ha="center")
    if not pipes.empty:
        colours = plt.get_cmap("tab10").colors
        for k, (material, part) in enumerate(pipes.groupby(pipes["material"].fillna("(missing)"))):
            part.plot(ax=ax, color=colours[k % len(colours)], label=str(material),
                      linewidth=(part["diameter_mm"].fillna(50) / 50).clip(0.8, 4))
    if not fhtc.empty:
        fhtc.plot(ax=ax, markersize=3, color="#1f77b4", alpha=0.6, label="tap connections")
    for name, marker, color in (("sources", "^", "#8b0000"), ("tanks", "s", "#003f7f"),
                                ("treatment_units", "D", "#2e7d32"), ("pumps", "P", "#6a1b9a")):
        layer = reg.read(name)
        if not layer.empty:
            layer.plot(ax=ax, marker=marker, color=color, markersize=60, label=LAYERS[name].title, zorder=5)
    ax.set_aspect("equal")
    ax.ticklabel_format(useOffset=False, style="plain")
    ax.legend(loc="upper left", fontsize=8, frameon=True)
    ax.set_title(f"{reg.crs.name} (metres)", fontsize=9)
    ax.tick_params(labelsize=7)
    html_img = figure_png(fig, "map of the scheme")
    plt.close(fig)
    return html_img + f"<p class='note'>Registry: {esc(mask(reg.target))}</p>"
