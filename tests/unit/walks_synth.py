"""Contractor walk sets made from real EPANET networks, with their truth, and a scorer for a snap.

A network shipped with WNTR (tests/data) is laid out in metres near Nalbari, Assam (UTM 46N),
loaded into a registry without the pipes a contractor is about to report, and those pipes
are "walked" with a phone: correlated GPS noise plus white noise, multipath spikes,
duplicated fixes, lost fixes (long enough to cut a walk in pieces), overshoots and
undershoots of several metres at the ends, a few pipes walked twice, a share of walks
exported as untimed KML lines, and tap connections (FHTC) and valves captured as points.
The files go through ``jalnet.tracks.import_tracks`` like a contractor's, so cleaning is
part of what is judged.

:func:`score` compares the registry after ``snap`` with the truth: pipes found, pipes
whose two ends are on the right junctions, Hausdorff distance of each rebuilt pipe to its
true alignment (median, 95th percentile), pipes lost (rejected or conflated into another
pipe), re-walks added twice, and staged points that became assets on the right pipe.

Used by tests/unit/test_snap_walks.py (small sets, targets asserted) and
benchmarks/bench_walks.py (full sets, figures printed).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import wntr
from shapely.geometry import LineString, Point
from topology_nets import make_registry
from tracks_synth import ORIGIN, TO_LL, gpx11, kml, placemark, write
from tracks_synth import Walk as Fixes

DATA = Path(__file__).resolve().parent.parent / "data"
#: Farthest a new junction may stand from the true node (m); a dead end (end cap) from the true pipe end.
NODE_M, DEAD_END_M = 8.0, 15.0
#: Two pipes whose true alignments lie this close everywhere (m) are parallel mains in one trench (Net6
#: has such pairs): the walk of one is a walk of the other, and rebuilding or keeping one of them is right.
TWIN_M = 1.0
FT = 0.3048


@dataclass(frozen=True)
class WalkSpec:
    """How one walk set is made (the noise and faults of the phones and the people)."""

    network: str  # file in tests/data
    pipes: int  # pipes walked
    seed: int = 1
    noise_m: float = 3.0  # radial RMS of the GPS error (correlated part + white part)
    correlated_share: float = 0.8  # share of the error variance that drifts slowly (about 20 s)
    min_length_m: float = 30.0  # shorter pipes are not walked (a phone cannot draw them)
    over_under_m: tuple[float, float] = (2.0, 8.0)  # size of an overshoot or undershoot at an end
    end_fault_share: float = 0.5  # ends over- or undershot
    spike_share: float = 0.3  # walks with multipath spikes
    lost_share: float = 0.1  # walks that lose the fix for a while
    rewalks: int = 3  # pipes walked twice
    kml_share: float = 0.3  # walks exported as untimed KML lines
    taps_per_100m: float = 1.0
    valves: int = 6


SMALL = {"ky10": WalkSpec("ky10.inp", pipes=40, seed=3, rewalks=2, valves=4),
         "Net3": WalkSpec("Net3.inp", pipes=20, seed=5, noise_m=4.0, rewalks=1, valves=3, taps_per_100m=0.5)}
FULL = {"ky10": WalkSpec("ky10.inp", pipes=150, seed=3, valves=12),
        "Net3": WalkSpec("Net3.inp", pipes=30, seed=5, noise_m=4.0, rewalks=1, valves=6, taps_per_100m=0.5),
        "Net6": WalkSpec("Net6.inp", pipes=100, seed=7, valves=6)}  # a third network, in no asserted test


@dataclass
class Truth:
    """What the contractor really laid."""

    lines: dict[str, LineString]  # walked pipe name -> true alignment
    ends: dict[str, tuple[str, str]]  # walked pipe -> its end node names
    node_xy: dict[str, tuple[float, float]]
    existing_nodes: set[str]  # nodes in the registry before the snap (junction ids = node names)
    points: dict[str, tuple[str, str]]  # staged point asset id -> (kind, walked pipe it belongs to)
    rewalked: list[str]
    kept: set[str]  # pipes in the registry before the snap
    dead_ends: set[str] = field(default_factory=set)  # nodes with one pipe in the whole network
    kept_lines: dict[str, LineString] = field(default_factory=dict)  # true alignment of each kept pipe
    files: list[Path] = field(default_factory=list)


# -----------------------------------------------------------------------------------------
# The network in metres
# -----------------------------------------------------------------------------------------
def network(name: str) -> tuple[dict[str, LineString], dict[str, tuple[str, str]], dict[str, tuple[float, float]],
                                set[str]]:
    """(pipe lines, pipe end nodes, node xy, tank/reservoir nodes) of an EPANET file, in UTM 46N metres.

    Coordinates are scaled so drawn lengths match the model's pipe lengths (ky10 is drawn in
    feet; Net3's coordinates have no unit) and moved next to the origin the track tests use.
    """
    wn = wntr.network.WaterNetworkModel(str(DATA / name))
    raw: dict[str, np.ndarray] = {}
    ends: dict[str, tuple[str, str]] = {}
    lengths = []
    for pid, p in wn.pipes():
        xy = np.array([p.start_node.coordinates, *p.vertices, p.end_node.coordinates], dtype=float)
        raw[pid], ends[pid] = xy, (p.start_node_name, p.end_node_name)
        drawn = np.hypot(*np.diff(xy, axis=0).T).sum()
        if drawn > 0:
            lengths.append(p.length / drawn)
    scale = float(np.median(lengths))
    # A pump or valve drawn as two nodes a fitting apart is one place to a walker: one node.
    alias = {n: n for n in wn.node_name_list}
    for _, link in list(wn.pumps()) + list(wn.valves()):
        gap = np.hypot(*np.subtract(link.start_node.coordinates, link.end_node.coordinates)) * scale
        if gap < 5.0:
            alias[link.end_node_name] = alias[link.start_node_name]
    ends = {pid: (alias[a], alias[b]) for pid, (a, b) in ends.items()}
    xy0 = np.min([xy.min(axis=0) for xy in raw.values()], axis=0)
    shift = np.array(ORIGIN) - xy0 * scale
    lines = {pid: LineString(xy * scale + shift) for pid, xy in raw.items() if np.ptp(xy, axis=0).any()}
    ends = {pid: ends[pid] for pid in lines}
    node_xy = {n: tuple(np.array(node.coordinates, dtype=float) * scale + shift) for n, node in wn.nodes()
               if alias[n] == n}
    storage = {alias[n] for n, _ in wn.tanks()} | {alias[n] for n, _ in wn.reservoirs()}
    return lines, ends, node_xy, storage


def _pick(lines: dict[str, LineString], ends: dict[str, tuple[str, str]], spec: WalkSpec,
          rng: np.random.Generator) -> list[str]:
    """Walked pipes: clusters of 3-12 connected pipes long enough to walk (an extension a contractor lays)."""
    by_node: dict[str, list[str]] = defaultdict(list)
    for pid, (a, b) in ends.items():
        by_node[a].append(pid)
        by_node[b].append(pid)
    walkable = sorted(p for p, g in lines.items() if g.length >= spec.min_length_m and ends[p][0] != ends[p][1])
    chosen: list[str] = []
    taken: set[str] = set()
    while len(chosen) < spec.pipes:
        seed = walkable[rng.integers(len(walkable))]
        if seed in taken:
            continue
        size, queue = int(rng.integers(3, 13)), [seed]
        while queue and size and len(chosen) < spec.pipes:
            pid = queue.pop(0)
            if pid in taken or lines[pid].length < spec.min_length_m or ends[pid][0] == ends[pid][1]:
                continue
            taken.add(pid)
            chosen.append(pid)
            size -= 1
            queue += [q for n in ends[pid] for q in by_node[n] if q not in taken]
    return chosen


# -----------------------------------------------------------------------------------------
# Walking
# -----------------------------------------------------------------------------------------
def _extended(line: LineString, start_by: float, end_by: float) -> LineString:
    """*line* grown (positive) or cut back (negative) at each end along its own direction."""
    c = np.asarray(line.coords)
    if start_by > 0:
        u = c[0] - c[1]
        c = np.vstack([c[0] + u / np.hypot(*u) * start_by, c])
    if end_by > 0:
        u = c[-1] - c[-2]
        c = np.vstack([c, c[-1] + u / np.hypot(*u) * end_by])
    out = LineString(c)
    lo = max(0.0, -start_by)
    hi = out.length - max(0.0, -end_by)
    return shapely.ops.substring(out, lo, hi)


def _noise(n: int, dt: float, sigma: float, share: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) GPS errors: an AR(1) drift (about 20 s memory) plus white noise, radial RMS *sigma*."""
    axis = sigma / np.sqrt(2.0)
    sc, sw = axis * np.sqrt(share), axis * np.sqrt(1 - share)
    rho = np.exp(-dt / 20.0)
    drift = np.zeros((n, 2))
    drift[0] = rng.normal(0, sc, 2)
    shocks = rng.normal(0, sc * np.sqrt(1 - rho * rho), (n, 2))
    for k in range(1, n):
        drift[k] = rho * drift[k - 1] + shocks[k]
    return drift + rng.normal(0, sw, (n, 2))


def _walk(line: LineString, spec: WalkSpec, rng: np.random.Generator, start_t: float) -> tuple[Fixes, bool]:
    """Fixes of one walk along *line* (with its end faults); True when the fix was lost on the way."""
    lo, hi = spec.over_under_m
    by = [0.0, 0.0]
    for i in range(2):
        if rng.random() < spec.end_fault_share:
            by[i] = rng.uniform(lo, hi) * rng.choice([-1.0, 1.0])
        else:
            by[i] = rng.uniform(-1.0, 1.0)
    walked = _extended(line, by[0], by[1]) if line.length + min(by[0], 0) + min(by[1], 0) > 10 else line
    dt, speed = float(rng.choice([1.0, 2.0, 3.0])), rng.uniform(0.9, 1.4)
    s = np.append(np.arange(0, walked.length, speed * dt), walked.length)
    t = start_t + np.arange(len(s)) * dt
    lost = False
    if rng.random() < spec.lost_share and walked.length > 300:
        a = rng.uniform(0.2, 0.35) * walked.length
        keep = (s < a) | (s > a + 160)  # about two minutes without a fix while walking on
        s, t, lost = s[keep], t[keep], True
    p = shapely.line_interpolate_point(walked, s)
    err = _noise(len(s), dt, spec.noise_m, spec.correlated_share, rng)
    x, y = shapely.get_x(p) + err[:, 0], shapely.get_y(p) + err[:, 1]
    spikes = np.zeros(0, dtype=int)
    if rng.random() < spec.spike_share and len(s) > 20:
        spikes = rng.choice(np.arange(5, len(s) - 5), int(rng.integers(1, 3)), replace=False)
        ang = rng.uniform(0, 2 * np.pi, len(spikes))
        r = rng.uniform(40, 150, len(spikes))
        x[spikes] += r * np.cos(ang)
        y[spikes] += r * np.sin(ang)
    dup = np.flatnonzero(rng.random(len(s)) < 0.05)  # the phone repeats a fix now and then
    order = np.sort(np.concatenate([np.arange(len(s)), dup]))
    x, y, t = x[order], y[order], t[order]
    acc = np.round(np.clip(spec.noise_m + rng.normal(0, 1.0, len(x)), 2.0, None), 1)
    fixes = Fixes(x, y, t, np.full(len(x), 50.0), acc, spikes, np.zeros(0, dtype=int), line)
    return fixes, lost


def make_walks(spec: WalkSpec, folder: Path) -> tuple[str, Truth]:
    """A registry without the walked pipes, the contractor's files (GPX, KML, CSV log), and the truth."""
    rng = np.random.default_rng(spec.seed)
    lines, ends, node_xy, storage = network(spec.network)
    walked = _pick(lines, ends, spec, rng)
    walked_set = set(walked)
    kept = [p for p in lines if p not in walked_set]
    existing = {n for p in kept for n in ends[p]}
    registry = str(folder / f"{Path(spec.network).stem}.gpkg")
    _registry(registry, lines, ends, node_xy, storage, kept, existing)
    truth = Truth({p: lines[p] for p in walked}, {p: ends[p] for p in walked}, node_xy, existing, {},
                  [walked[int(i)] for i in rng.choice(len(walked), spec.rewalks, replace=False)], set(kept))
    degree = Counter(n for pair in ends.values() for n in pair)
    truth.dead_ends = {n for n, d in degree.items() if d == 1}
    truth.kept_lines = {p: lines[p] for p in kept}
    tracks, marks, csv_rows = [], [], []
    t0 = 1_710_217_800.0  # 2024-03-12 04:30 UTC
    plan = [(p, False) for p in walked] + [(p, True) for p in truth.rewalked]
    for k, (pid, again) in enumerate(plan):
        line = lines[pid] if rng.random() < 0.5 else shapely.reverse(lines[pid])
        fixes, _ = _walk(line, spec, rng, t0 + 900.0 * k)
        name = f"W {pid}" + (" again" if again else "")
        form = rng.random()
        if form < spec.kml_share:  # an app's KML export: a vertex every few fixes, no times
            lon, lat = TO_LL.transform(fixes.x[::2], fixes.y[::2])
            marks.append(placemark(name, "<LineString><coordinates>" + " ".join(
                f"{a:.7f},{b:.7f}" for a, b in zip(lon, lat)) + "</coordinates></LineString>"))
        elif form < spec.kml_share + 0.35:
            tracks.append((name, "HDPE 90 mm", [fixes]))
        else:
            lon, lat = fixes.lonlat
            csv_rows += [f"{name},{b:.7f},{a:.7f},{tm},{ac:.1f}" for a, b, tm, ac in
                         zip(lon, lat, fixes.times(), fixes.acc)]
    waypoints = _points(truth, lines, spec, rng)
    truth.files = [gpx11(folder / "walks.gpx", tracks, waypoints)]
    if marks:
        truth.files.append(write(folder / "walks.kml", kml(*marks)))
    if csv_rows:
        truth.files.append(write(folder / "walks.csv", "track_id,latitude,longitude,time,accuracy\n"
                                 + "\n".join(csv_rows) + "\n"))
    return registry, truth


def _points(truth: Truth, lines: dict[str, LineString], spec: WalkSpec,
            rng: np.random.Generator) -> list[tuple[str, str, float, float]]:
    """Tap connections beside the walked pipes and valves on them, as GPX waypoints (3 m GPS noise).

    A tap stands 2-8 m off its pipe, in front of the house; only taps whose true place is
    nearer their own pipe than any other by 3 m are made (elsewhere the truth is unclear).
    """
    tree_ids = list(lines)
    tree = shapely.STRtree([lines[p] for p in tree_ids])
    out = []
    n_tap = 0
    for pid, line in truth.lines.items():
        for _ in range(rng.poisson(spec.taps_per_100m * line.length / 100.0)):
            at = shapely.line_interpolate_point(line, rng.uniform(0.15, 0.85), normalized=True)
            ahead = shapely.line_interpolate_point(line, min(line.line_locate_point(at) + 1.0, line.length))
            d = np.array([ahead.x - at.x, ahead.y - at.y])
            normal = np.array([-d[1], d[0]]) / max(np.hypot(*d), 1e-9) * rng.choice([-1.0, 1.0])
            true = np.array([at.x, at.y]) + normal * rng.uniform(2.0, 8.0)
            near = tree.query(Point(true), predicate="dwithin", distance=15.0)
            gaps = sorted((lines[tree_ids[i]].distance(Point(true)), tree_ids[i]) for i in near)
            if gaps[0][1] != pid or (len(gaps) > 1 and gaps[1][0] - gaps[0][0] < 3.0):
                continue
            n_tap += 1
            seen = true + rng.normal(0, 3.0 / np.sqrt(2), 2)
            asset = f"FHTC-{spec.seed}{n_tap:04d}"
            truth.points[asset] = ("fhtc", pid)
            lon, lat = TO_LL.transform(*seen)
            out.append((f"FHTC {asset}", "tap connection", lon, lat))
    for k, pid in enumerate(rng.choice(list(truth.lines), min(spec.valves, len(truth.lines)), replace=False)):
        line = truth.lines[pid]
        at = shapely.line_interpolate_point(line, rng.uniform(0.25, 0.75), normalized=True)
        seen = np.array([at.x, at.y]) + rng.normal(0, 3.0 / np.sqrt(2), 2)
        asset = f"V-{spec.seed}{k + 1:03d}"
        truth.points[asset] = ("valve", str(pid))
        lon, lat = TO_LL.transform(*seen)
        out.append((f"Valve {asset}", "sluice valve", lon, lat))
    return out


def _registry(path: str, lines: dict[str, LineString], ends: dict[str, tuple[str, str]],
              node_xy: dict[str, tuple[float, float]], storage: set[str], kept: list[str], existing: set[str]) -> None:
    common = {"scheme_id": "S1", "material": "HDPE", "pipe_function": "distribution", "status": "in_service"}
    layers: dict[str, list[dict[str, Any]]] = {
        "schemes": [{"scheme_id": "S1", "name": "Walked scheme", "division": "D", "district": "Nalbari"}],
        "pipes": [{**common, "pipe_id": p, "diameter_mm": 110.0, "from_node": ends[p][0], "to_node": ends[p][1],
                   "length_m": round(lines[p].length, 1), "geom_source": "epanet", "geometry": lines[p]}
                  for p in kept],
        "junctions": [{"node_id": n, "scheme_id": "S1", "node_type": "junction", "geometry": Point(node_xy[n])}
                      for n in sorted(existing)],
        "tanks": [{"tank_id": f"T-{n}", "scheme_id": "S1", "tank_type": "GSR", "geometry": Point(node_xy[n])}
                  for n in sorted(storage & existing)],
    }
    make_registry(path, layers)


# -----------------------------------------------------------------------------------------
# Scoring
# -----------------------------------------------------------------------------------------
@dataclass
class Score:
    pipes: int  # truth pipes walked
    found: int  # rebuilt as new pipes
    ends_right: int  # both ends on the right junction
    lost: int  # walked but not rebuilt (rejected, or conflated into another pipe) though alone in its trench
    added_twice: int  # re-walks added as a second pipe
    hausdorff: np.ndarray  # per found pipe (m)
    points: int
    points_right: int  # staged points now assets on the right pipe
    taps: int = 0  # tap connections the walks captured
    served: int = 0  # of those, taps with one service line from their pipe to the tap
    wrong: list[str] = field(default_factory=list)  # what went wrong, one line per case
    twins: int = 0  # parallel mains in one trench, rebuilt or kept once (no walk can tell them apart)

    @property
    def right_share(self) -> float:
        return self.ends_right / max(1, self.pipes)

    @property
    def points_share(self) -> float:
        return self.points_right / max(1, self.points)

    def median(self) -> float:
        return float(np.median(self.hausdorff)) if len(self.hausdorff) else float("nan")

    def p95(self) -> float:
        return float(np.percentile(self.hausdorff, 95)) if len(self.hausdorff) else float("nan")

    def _twins(self) -> str:
        return f" ({self.twins} parallel main(s) in one trench with another, built once)" if self.twins else ""

    def line(self) -> str:
        return (f"{self.pipes} pipes walked: {self.found} found, {self.ends_right} ({100 * self.right_share:.1f} %) "
                f"ends on the right junctions, {self.lost} lost{self._twins()}, {self.added_twice} re-walks added "
                f"twice; Hausdorff median {self.median():.2f} m, p95 {self.p95():.2f} m; points "
                f"{self.points_right}/{self.points} "
                f"({100 * self.points_share:.1f} %) promoted to the right pipe; service lines for {self.served}/"
                f"{self.taps} taps")


def score(registry: str, truth: Truth) -> Score:
    """The registry after import and snap, judged against the truth.

    A walk's end is right when it is on the junction the pipe ends at: the same registry
    junction (or one under a metre from it: one place on the ground), or, for a node the
    walks make, one junction shared by all the walks meeting there and by no other, within
    8 m of the true node (15 m for a dead end, which stands where the walker stopped).
    """
    from jalnet.registry import open_registry

    with open_registry(registry, readonly=True) as reg:
        staged = reg.read("staged_pipes")
        pipes = reg.read("pipes").set_index("pipe_id")
        junctions = reg.read("junctions").set_index("node_id")
        fhtc, valves = reg.read("fhtc"), reg.read("valves")
        points = reg.read("staged_points")
        service = reg.read("service_lines")
    walk_of = staged["name"].astype(str).str.replace(r"^W ", "", regex=True)
    again = walk_of.str.endswith(" again")
    walk_of = walk_of.str.replace(r" again$", "", regex=True)
    rebuilt: dict[str, list[str]] = {}
    wrong: list[str] = []
    lost = twice = 0
    lost_walks: dict[str, str] = {}  # walked pipe rebuilt from none of its walks -> what became of them
    for pid in truth.lines:
        rows = staged[walk_of == pid]  # the walk and any re-walk: one of them is added, the other conflated
        added = rows["state"].eq("added") & ~again[rows.index]
        if added.any() and again[rows.index].any() and rows.loc[again[rows.index], "state"].eq("added").any():
            twice += 1
            wrong.append(f"{pid}: walked again and added a second time")
        if not added.any():
            added = rows["state"].eq("added")
        ids = [i.strip() for v in rows.loc[added, "result_pipe_id"].dropna() for i in str(v).split(",")]
        mine = [i for i in dict.fromkeys(ids) if i in pipes.index and i not in truth.kept]
        if mine:
            rebuilt[pid] = mine
        else:
            lost_walks[pid] = '; '.join(rows['state'] + ': ' + rows['message'].fillna(''))
    twins = 0
    kept_near = shapely.STRtree(list(truth.kept_lines.values())) if truth.kept_lines else None
    for pid, said in lost_walks.items():  # a main laid beside another in one trench: its walk is the other's
        line = truth.lines[pid]
        beside = [o for o in rebuilt if shapely.hausdorff_distance(truth.lines[o], line) < TWIN_M]
        if kept_near is not None:  # or the walk of a main beside one already in the registry
            geoms = kept_near.geometries.take(kept_near.query(line, predicate="dwithin", distance=TWIN_M))
            beside += ["an existing pipe" for g in geoms if shapely.hausdorff_distance(g, line) < TWIN_M]
        twin = beside[0] if beside else None
        if twin is not None:
            twins += 1
            wrong.append(f"{pid}: walked in one trench with {twin} (parallel mains), built once ({said})")
        else:
            lost += 1
            wrong.append(f"{pid}: lost ({said})")
    # Where each truth node ended up: the registry node of every rebuilt end there.
    at_node: dict[str, set[str]] = defaultdict(set)
    end_of: dict[str, tuple[str | None, str | None]] = {}
    hausdorff = []
    valve_nodes = _valve_nodes(junctions, valves)
    for pid, ids in rebuilt.items():
        ids = _through_valves(ids, pipes, valve_nodes, truth.kept)
        rebuilt[pid] = ids
        parts = pipes.loc[ids]
        merged = shapely.line_merge(shapely.union_all(parts.geometry.values))
        line = truth.lines[pid]
        hausdorff.append(shapely.hausdorff_distance(merged, line))
        count: dict[str, int] = defaultdict(int)
        for a, b in zip(parts["from_node"], parts["to_node"]):
            count[a] += 1
            count[b] += 1
        loose = [n for n, c in count.items() if c == 1]
        a_name, b_name = truth.ends[pid]
        pick: list[str | None] = [None, None]
        for i, name in enumerate((a_name, b_name)):
            there = Point(truth.node_xy[name])
            near = sorted(loose, key=lambda n: junctions.geometry[n].distance(there) if n in junctions.index else 1e9)
            pick[i] = near[0] if near else None
            if pick[i] is not None:
                at_node[name].add(pick[i])
        end_of[pid] = (pick[0], pick[1])
    owner: dict[str, set[str]] = defaultdict(set)  # registry node -> truth nodes rebuilt ends there claim
    for name, got in at_node.items():
        for n in got:
            owner[n].add(name)
    ends_right = 0
    for pid, picked in end_of.items():
        ok = True
        for name, got in zip(truth.ends[pid], picked):
            if got is None:
                ok = False
            elif name in truth.existing_nodes:  # nodes under a metre apart are one place on the ground
                ok &= got == name or (got in junctions.index and got in truth.existing_nodes
                                      and junctions.geometry[got].distance(Point(truth.node_xy[name])) < 1.0)
            else:  # a new junction: every walk there on one node, no other walk's; a dead end (an end
                # cap) can only stand where the walker stopped, up to an overshoot plus the GPS error off
                xy = junctions.geometry[got] if got in junctions.index else None
                near = DEAD_END_M if name in truth.dead_ends else NODE_M
                ok &= (len(at_node[name]) == 1 and owner[got] == {name} and xy is not None
                       and xy.distance(Point(truth.node_xy[name])) <= near)
        ends_right += ok
        if not ok:
            said = [f"{g} for {n}{'' if n in truth.existing_nodes else ' (new)'}" + (
                f" {junctions.geometry[g].distance(Point(truth.node_xy[n])):.1f} m off" if g in junctions.index else "")
                for n, g in zip(truth.ends[pid], picked)]
            wrong.append(f"{pid}: ends {'; '.join(said)}")
    right = served = 0
    said = points["message"].fillna("").str.extract(r"(?:added as|repeats) (?:tap connection|valve) (\S+)")[0]
    asset_of = dict(zip(points["name"].astype(str).str.split(" ").str[-1], said))
    for asset, (kind, pid) in truth.points.items():
        frame, key = (fhtc, "fhtc_id") if kind == "fhtc" else (valves, "valve_id")
        hit = frame[frame[key] == asset_of.get(asset)]
        pipe = hit["pipe_id"].iloc[0] if len(hit) else None
        good = len(hit) == 1 and pipe in rebuilt.get(pid, [])  # the pipe rebuilt from that walk (or a part)
        right += good
        if not good:
            wrong.append(f"{kind} {asset}: on {pipe} for truth {pid}")
        if kind == "fhtc" and len(hit) == 1:
            ok = _served(service, hit.iloc[0], pipes)
            served += ok
            if not ok:
                wrong.append(f"fhtc {asset}: no service line from {pipe} to the tap")
    taps = sum(kind == "fhtc" for kind, _ in truth.points.values())
    return Score(len(truth.lines), len(rebuilt), ends_right, lost, twice, np.array(hausdorff),
                 len(truth.points), right, taps, served, wrong, twins)


def _served(service: Any, tap: Any, pipes: Any) -> bool:
    """One service line for the tap, taken from its pipe: it starts on the pipe and ends at the tap
    (none for a tap whose fix lies on its pipe: there is nothing to draw)."""
    lines = service[service["fhtc_id"] == tap["fhtc_id"]]
    if tap["pipe_id"] not in pipes.index:
        return False
    if not len(lines) and pipes.geometry[tap["pipe_id"]].distance(tap.geometry) < 0.01:
        return True
    if len(lines) != 1 or lines["pipe_id"].iloc[0] != tap["pipe_id"]:
        return False
    line = lines.geometry.iloc[0]
    return bool(shapely.distance(shapely.get_point(line, 0), pipes.geometry[tap["pipe_id"]]) < 0.01
                and shapely.get_point(line, -1).distance(tap.geometry) < 0.01)


def _valve_nodes(junctions: Any, valves: Any) -> set[str]:
    """Junctions a valve stands on (a valve placed on a pipe splits it at a junction under it)."""
    if junctions.empty or valves.empty:
        return set()
    tree = shapely.STRtree(junctions.geometry.values)
    hit = tree.query(valves.geometry.values, predicate="dwithin", distance=0.01)[1]
    return set(junctions.index[hit])


def _through_valves(ids: list[str], pipes: Any, valve_nodes: set[str], kept: set[str]) -> list[str]:
    """A walk's pipes and the parts a valve placed on them split off (they meet at the valve's junction)."""
    ids = list(ids)
    while True:
        ends = set(pipes.loc[ids, "from_node"]) | set(pipes.loc[ids, "to_node"])
        more = pipes.index[(pipes["from_node"].isin(ends & valve_nodes) | pipes["to_node"].isin(ends & valve_nodes))
                           & ~pipes.index.isin(ids) & ~pipes.index.isin(list(kept))]
        if not len(more):
            return ids
        ids += list(more)
