"""The data-health report: findings counted per scheme and division, worst first (HTML and a table).

What a state or district GIS cell needs to decide where to send people: which divisions
and schemes have the most errors, of which kind, and per km of pipe so large and small
schemes compare fairly.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from ..masking import mask
from ..registry import Registry
from ..report.html import Section, esc, figure_png, page, table_html
from .findings import ValidationResult
from .rules import PARAMS, RULES, SEVERITIES
from .validate import registry_access

NO_SCHEME = "(no scheme)"
_TOP_FINDINGS = 200


def scheme_table(result: ValidationResult, schemes: pd.DataFrame) -> pd.DataFrame:
    """One row per scheme: division, names, pipes, km, findings by severity and by rule; worst first."""
    found = result.findings.assign(scheme_id=result.findings["scheme_id"].fillna(""))
    info = schemes[["scheme_id", "name", "district", "division"]].copy() if len(schemes) else \
        pd.DataFrame(columns=["scheme_id", "name", "district", "division"])
    info["scheme_id"] = info["scheme_id"].astype(str)
    totals = result.counts_by_scheme if len(result.counts_by_scheme) else pd.DataFrame(columns=["scheme_id", "pipes",
                                                                                              "km"])
    keys = sorted(set(info["scheme_id"]) | set(totals["scheme_id"]) | set(found["scheme_id"]))
    table = pd.DataFrame({"scheme_id": keys})
    table = table.merge(info, on="scheme_id", how="left").merge(totals, on="scheme_id", how="left")
    by_sev = found.pivot_table(index="scheme_id", columns="severity", values="rule", aggfunc="size", fill_value=0)
    by_rule = found.pivot_table(index="scheme_id", columns="rule", values="severity", aggfunc="size", fill_value=0)
    for sev in SEVERITIES:
        table[sev] = table["scheme_id"].map(by_sev[sev] if sev in by_sev else {}).fillna(0).astype(int)
    table["pipes"] = table["pipes"].fillna(0).astype(int)
    table["km"] = table["km"].fillna(0.0).astype(float).round(3)
    table["errors_per_km"] = (table["error"] / table["km"].where(table["km"] > 0)).round(2)
    for code in RULES:
        if code in by_rule:
            table[code] = table["scheme_id"].map(by_rule[code]).fillna(0).astype(int)
    table["division"] = table["division"].fillna("")
    table["scheme_id"] = table["scheme_id"].replace("", NO_SCHEME)
    table = table.sort_values(["error", "warning", "info", "scheme_id"], ascending=[False, False, False, True])
    return table.rename(columns={"error": "errors", "warning": "warnings"}).reset_index(drop=True)


def division_table(schemes: pd.DataFrame) -> pd.DataFrame:
    grouped = schemes.groupby("division", dropna=False).agg(
        schemes=("scheme_id", "size"), pipes=("pipes", "sum"), km=("km", "sum"), errors=("errors", "sum"),
        warnings=("warnings", "sum"), info=("info", "sum"),
        schemes_with_errors=("errors", lambda s: int((s > 0).sum()))).reset_index()
    grouped["division"] = grouped["division"].replace("", "(no division)")
    grouped["km"] = grouped["km"].round(3)
    return grouped.sort_values(["errors", "warnings", "info"], ascending=False).reset_index(drop=True)


def health_report(result: ValidationResult, registry: Registry | str | os.PathLike | None = None
                  ) -> tuple[str, pd.DataFrame]:
    """(HTML page, per-scheme table for CSV) of a validation result."""
    target = registry if registry is not None else result.registry
    if target:
        with registry_access(target, readonly=True) as reg:
            schemes = reg.read("schemes")
            title_target = mask(reg.target)  # no password in a report
    else:
        schemes, title_target = pd.DataFrame(columns=["scheme_id", "name", "district", "division"]), "network"
    per_scheme = scheme_table(result, schemes)
    per_division = division_table(per_scheme)
    sections = [
        Section("Summary", _summary_html(result, per_scheme)),
        Section("Divisions, worst first", table_html(_records(per_division), list(per_division.columns),
                                                     {"schemes_with_errors": "schemes with errors"})),
        Section("Schemes, worst first", _schemes_html(per_scheme)),
        Section("Findings by rule", _rules_html(result)),
        Section("Findings to fix first", _top_html(result)),
        Section("Rule parameters", table_html([{"parameter": k, "value": v, "unit": PARAMS[k].unit,
                                                "meaning": PARAMS[k].description} for k, v in result.params.items()],
                                              ["parameter", "value", "unit", "meaning"])),
    ]
    scope = f"scheme {result.scheme}" if result.scheme else "all schemes"
    html = page("Data health: pipe network", f"{title_target}, {scope}", sections)
    return html, per_scheme


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _summary_html(result: ValidationResult, per_scheme: pd.DataFrame) -> str:
    counts = result.counts
    bad = int((per_scheme["errors"] > 0).sum())
    parts = [
        f"<p><span class='sev-error'>{counts['error']:,} errors</span>, "
        f"<span class='sev-warning'>{counts['warning']:,} warnings</span> and "
        f"<span class='sev-info'>{counts['info']:,} notes</span> from {len(result.rules)} rules; "
        f"{bad} of {len(per_scheme)} schemes have errors.</p>",
    ]
    if result.accepted:
        parts.append(f"<p class='note'>{result.accepted} finding(s) accepted earlier as exceptions are not counted.</p>")
    chart = _chart(per_scheme)
    if chart:
        parts.append(chart)
    return "".join(parts)


def _chart(per_scheme: pd.DataFrame) -> str:
    top = per_scheme[(per_scheme["errors"] + per_scheme["warnings"]) > 0].head(20)
    if top.empty:
        return ""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.35 * len(top) + 1.2))
    labels = top["scheme_id"].astype(str).tolist()[::-1]
    ax.barh(labels, top["errors"].tolist()[::-1], color="#b00020", label="errors")
    ax.barh(labels, top["warnings"].tolist()[::-1], left=top["errors"].tolist()[::-1], color="#e69500",
            label="warnings")
    ax.set_xlabel("findings")
    ax.legend(loc="lower right")
    ax.set_title("Schemes with the most findings")
    try:
        return figure_png(fig, "Findings per scheme")
    finally:
        plt.close(fig)


def _schemes_html(per_scheme: pd.DataFrame) -> str:
    columns = ["division", "scheme_id", "name", "district", "pipes", "km", "errors", "warnings", "info",
               "errors_per_km"]
    return table_html(_records(per_scheme), [c for c in columns if c in per_scheme.columns],
                      {"scheme_id": "scheme", "errors_per_km": "errors per km"})


def _rules_html(result: ValidationResult) -> str:
    rows = []
    for row in result.by_rule().itertuples(index=False):
        rule = RULES[row.rule]
        rows.append({"rule": row.rule, "severity": row.severity, "title": row.title, "findings": int(row.findings),
                     "what it means": rule.description})
    return table_html(rows, ["rule", "severity", "title", "findings", "what it means"])


def _top_html(result: ValidationResult) -> str:
    found = result.findings[result.findings["severity"] != "info"].head(_TOP_FINDINGS)
    if found.empty:
        return "<p>No errors or warnings.</p>"
    rows = _records(found[["severity", "rule", "scheme_id", "message", "asset_ids", "fingerprint"]])
    note = "" if len(found) < _TOP_FINDINGS else f"<p class='note'>First {_TOP_FINDINGS}; all are in the error layers.</p>"
    return table_html(rows, ["severity", "rule", "scheme_id", "message", "asset_ids", "fingerprint"]) + note + \
        f"<p class='note'>{esc('Open the error GeoPackage in QGIS and step through the findings in the JalNet')} " \
        "findings panel; accept a legitimate one there (or with 'jalnet network accept') and it is not reported again.</p>"
