"""A data-health GeoPackage as the Data health panel reads it, through QGIS's own OGR provider.

``jalnet health`` (the ``datahealth`` engine job) writes the file; the panel only reads it:
schemes worst first with their score and counts, every finding with its trend (new or
still open), the findings fixed since the previous run, and the run's facts (registry,
counts, modules). Findings accepted as exceptions after the run (status ``accepted``)
are left out, as the next run leaves them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qgis.core import QgsGeometry, QgsVectorLayer

from ..errors import InputError
from .findings_dock import plain

FINDING_LAYERS = ("findings_points", "findings_lines")
SCHEME_LAYER = "scheme_health"
NO_SCHEME = "(no scheme)"


@dataclass(eq=False)
class HealthFinding:
    values: dict[str, Any]
    layer: QgsVectorLayer | None = None  # None for a fixed finding (it has no feature any more)
    fid: int | None = None
    geometry: QgsGeometry | None = None

    def get(self, name: str) -> Any:
        return self.values.get(name)

    @property
    def scheme(self) -> str:
        return str(self.values.get("scheme_id") or NO_SCHEME)


@dataclass
class HealthFile:
    path: str
    run: dict[str, str]
    schemes: list[dict[str, Any]]  # worst first
    findings: list[HealthFinding]  # open (new or still open), accepted ones left out
    fixed: list[HealthFinding]
    layers: dict[str, QgsVectorLayer] = field(default_factory=dict)
    accepted: int = 0  # accepted as exceptions, at the run and in the panel since

    @classmethod
    def read(cls, path: str) -> HealthFile:
        """Read *path*; an InputError naming the file when it is not a health GeoPackage."""
        path = str(path or "").strip()
        names = (*FINDING_LAYERS, SCHEME_LAYER, "schemes_by_score", "validation_run")
        layers = {n: QgsVectorLayer(f"{path}|layername={n}", n, "ogr") for n in names}
        if not path or not Path(path).exists() or not all(vl.isValid() for vl in layers.values()):
            raise InputError(f"{path or 'no file'} is not a JalNet data-health GeoPackage (written by 'jalnet health' "
                             "or Data health of the registry): layers scheme_health, findings_points and "
                             "schemes_by_score are missing")
        run = {str(r["key"]): str(r["value"]) for r in _rows(layers["validation_run"])}
        schemes = [r for r in _rows(layers["schemes_by_score"]) if r.get("scheme_id") is not None]
        schemes.sort(key=lambda r: (float(r.get("score") or 0), -int(r.get("errors") or 0), str(r["scheme_id"])))
        findings, accepted = [], 0
        for name in FINDING_LAYERS:
            vl = layers[name]
            for f in vl.getFeatures():
                values = plain({n: f[n] for n in vl.fields().names()})
                if values.get("status") == "accepted":
                    accepted += 1
                    continue
                geometry = QgsGeometry(f.geometry()) if f.hasGeometry() else None
                findings.append(HealthFinding(values, vl, f.id(), geometry))
        findings.sort(key=lambda x: (_SEVERITY.get(str(x.get("severity")), 9), str(x.get("rule")),
                                     str(x.get("asset_ids"))))
        fixed_layer = QgsVectorLayer(f"{path}|layername=fixed_since_last_run", "fixed", "ogr")
        fixed = [HealthFinding(r) for r in _rows(fixed_layer) if r.get("fingerprint")] if fixed_layer.isValid() else []
        accepted += int(run.get("accepted_exceptions") or 0)
        return cls(path, run, schemes, findings, fixed, layers, accepted)

    @property
    def registry(self) -> str:
        return self.run.get("registry", "")

    @property
    def dashboard(self) -> str | None:
        html = Path(self.path).with_suffix(".html")
        return str(html) if html.exists() else None

    def trend(self, scheme: str | None = None) -> dict[str, int]:
        """Counts of new, still open and fixed findings (of one scheme, or all)."""
        mine = [f for f in self.findings if scheme is None or f.scheme == scheme]
        return {"new": sum(1 for f in mine if f.get("trend") == "new"),
                "open": sum(1 for f in mine if f.get("trend") != "new"),
                "fixed": sum(1 for f in self.fixed if scheme is None or f.scheme == scheme)}

    def of_scheme(self, scheme: str, which: str) -> list[HealthFinding]:
        """The scheme's findings: ``open`` (all not fixed), ``new`` (since the previous run) or ``fixed``."""
        if which == "fixed":
            return [f for f in self.fixed if f.scheme == scheme]
        return [f for f in self.findings if f.scheme == scheme and (which != "new" or f.get("trend") == "new")]

    def mark_accepted(self, finding: HealthFinding, note: str) -> bool:
        """Record in the file that *finding* was accepted, and leave it out of the lists from now on."""
        if finding.layer is None or finding.fid is None:
            return False
        fields = finding.layer.fields()
        changes = {fields.indexOf("status"): "accepted", fields.indexOf("note"): note}
        if not finding.layer.dataProvider().changeAttributeValues({finding.fid: changes}):
            return False
        self.findings.remove(finding)
        self.accepted += 1
        return True


_SEVERITY = {"error": 0, "warning": 1, "info": 2}


def _rows(layer: QgsVectorLayer) -> list[dict[str, Any]]:
    names = layer.fields().names()
    return [plain({n: f[n] for n in names}) for f in layer.getFeatures()]
