"""Network validation: run the rule catalogue over a registry (or over frames) and collect findings."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..feedback import Feedback, Steps
from ..registry import Registry
from ..registry.access import using_registry
from . import checks_geometry, checks_network, checks_supply, checks_topology  # noqa: F401 - they register the checks
from .context import Context
from .exceptions import accepted_fingerprints
from .findings import ValidationResult
from .network import NetworkData
from .rules import CHECKS, resolve_params, select_rules

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
        data = NetworkData.from_registry(reg, scheme)
        accepted = accepted_fingerprints(reg)
        result = validate_network(data, codes, values, feedback, accepted)
        result.registry, result.scheme = reg.target, scheme
    return result


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
