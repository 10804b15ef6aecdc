"""Network validation: run the rule catalogue over a registry (or over frames) and collect findings."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..feedback import Feedback, Steps, check_canceled
from ..registry import Registry
from ..registry.access import using_registry
from . import checks_geometry, checks_network, checks_supply, checks_topology  # noqa: F401 - they register the checks
from .context import Context
from .exceptions import accepted_fingerprints
from .findings import SEVERITIES, ValidationResult
from .network import NetworkData
from .rules import CHECKS, resolve_params, select_rules
from .validate_groups import scheme_parts

#: The registry helper under the name the network modules (and the findings panel) use.
registry_access = using_registry


def validate(registry: Registry | str | os.PathLike, scheme: str | None = None, rules: Iterable[str] | None = None,
             params: dict[str, Any] | None = None, feedback: Feedback | None = None) -> ValidationResult:
    """Validate the registry's network (or one scheme of it); accepted exceptions are left out."""
    codes = select_rules(rules)
    values = resolve_params(params)
    with registry_access(registry, readonly=True) as reg:
        if feedback is not None:
            feedback.info(f"reading {reg.target}")
        if scheme is not None:
            known = reg.read("schemes")["scheme_id"].dropna().astype(str).tolist()
            if scheme not in known:
                raise InputError(f"scheme {scheme} is not in {reg.target} (schemes: {', '.join(known) or 'none'})")
        accepted = accepted_fingerprints(reg)
        parts = [[scheme]] if scheme is not None else scheme_parts(reg, _reach(values))
        if len(parts) == 1:
            data = NetworkData.from_registry(reg, scheme)
            result = validate_network(data, codes, values, feedback, accepted)
        else:
            results = []
            for k, part in enumerate(parts):
                if feedback is not None:
                    check_canceled(feedback)
                    feedback.info(f"validating part {k + 1} of {len(parts)} ({len(part)} scheme(s))")
                data = NetworkData.from_registry(reg, schemes=part)
                results.append(validate_network(data, codes, values, None, accepted))
                del data
            result = _merge(results)
        result.registry, result.scheme = reg.target, scheme
    return result


def _reach(values: dict[str, float]) -> float:
    """The farthest any rule looks from an asset (m), with a margin."""
    return max(float(v) for k, v in values.items() if k.endswith("_m")) + 1.0


def _merge(results: list[ValidationResult]) -> ValidationResult:
    """The parts' findings as one run's: ordered by severity and rule, totals per scheme added up."""
    frame = pd.concat([r.findings for r in results], ignore_index=True)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    order = np.lexsort((frame["rule"].to_numpy(), frame["severity"].map(rank).to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    # columns typed as one run's lists would make them (a part's all-empty column is not text yet)
    geometry = frame.geometry
    frame = gpd.GeoDataFrame({c: [None if _missing(v) else v for v in frame[c].tolist()]
                              for c in frame.columns if c != geometry.name},
                             geometry=gpd.GeoSeries(geometry.values, crs=geometry.crs))
    totals = pd.concat([r.counts_by_scheme for r in results], ignore_index=True)
    totals = totals.groupby("scheme_id").agg(pipes=("pipes", "sum"), km=("km", "sum")).reset_index()
    first = results[0]
    return ValidationResult(frame, first.rules, first.params, sum(r.accepted for r in results),
                            counts_by_scheme=totals)


def validate_network(data: NetworkData, rules: Iterable[str] | None = None, params: dict[str, Any] | None = None,
                     feedback: Feedback | None = None, accepted: set[str] | None = None) -> ValidationResult:
    """The rules over frames already in memory (the registry's layers, or generated ones)."""
    codes = select_rules(rules)
    values = resolve_params(params)
    ctx = Context(data, values, codes)
    functions = list(dict.fromkeys(CHECKS[c] for c in codes))
    steps = Steps(feedback, len(functions) + 1)
    for func in functions:
        steps.next(f"checking: {func.__name__.replace('_', ' ')}")
        func(ctx)
    steps.next("collecting findings")
    schemes = data["schemes"]
    divisions = dict(zip(schemes["scheme_id"].astype(str), schemes["division"]))
    frame = ctx.out.frame(data.crs, {k: v for k, v in divisions.items() if isinstance(v, str)})
    n_accepted = 0
    if accepted:
        hit = frame["fingerprint"].isin(accepted).to_numpy()
        n_accepted = int(hit.sum())
        frame = frame[~hit].reset_index(drop=True)
    steps.done()
    return ValidationResult(frame, codes, values, n_accepted, counts_by_scheme=_pipe_totals(ctx))


def _pipe_totals(ctx: Context) -> pd.DataFrame:
    """Pipes and km per scheme (for the health report's 'per km' figures)."""
    schemes = np.array([s if isinstance(s, str) else "" for s in ctx.pipe_scheme], dtype=object)
    frame = pd.DataFrame({"scheme_id": schemes, "km": ctx.lengths / 1000.0})
    return frame.groupby("scheme_id").agg(pipes=("km", "size"), km=("km", "sum")).reset_index()


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA
