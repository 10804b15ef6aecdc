"""Cleaning one GPS track: what a GIS cell does by hand to a contractor's walk, as pure functions.

Input is one track in projected metres (x, y), with fix times (seconds) and reported
accuracy (metres) when the file has them. A phone carried along a trench logs the same
faults every time: repeated fixes, a cloud of points where the walker stood, multipath
spikes tens to hundreds of metres off, lost fixes (long gaps), and a few metres of noise
everywhere. Each step below removes one of them and says how many points it took and
why, so a user can trust what is left; every point is either kept or carries its reason.

The defaults suit a phone held by a person walking a trench (about 1 m/s, 1-5 s between
fixes, 3-10 m accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from .fit import fit_runs
from .model import POINT_REASONS


@dataclass(frozen=True)
class CleanOptions:
    """Thresholds, named for what a user can check in the field."""

    max_accuracy_m: float = 25.0  # fixes reporting a worse accuracy are dropped
    default_accuracy_m: float = 5.0  # assumed when the file gives none (phone GPS in the open)
    max_speed_mps: float = 5.0  # a walker never moves faster; a faster jump is a spike
    spike_min_m: float = 20.0  # smallest excursion called a spike
    spike_max_points: int = 3  # a spike is at most this many fixes away from the track and back
    standstill_window_s: float = 30.0  # movement is judged over this much time before and after a fix
    standstill_min_s: float = 20.0  # standing this long is a standstill
    standstill_radius_m: float = 5.0  # smallest radius of a standstill cloud (else 2 x accuracy)
    gap_s: float = 120.0  # a longer loss of fix splits the track (when the walker moved 2 standstill radii meanwhile)
    gap_m: float = 60.0  # a longer jump between fixes splits the track
    gap_factor: float = 5.0  # ... when also this many times the usual spacing (hand-drawn lines have long legs)
    min_length_m: float = 10.0  # shorter pieces are not pipes
    smooth: bool = True
    simplify: bool = True
    simplify_floor_m: float = 1.0  # simplification tolerance is max(this, accuracy / 2)


@dataclass
class CleanResult:
    """The kept lines and the fate of every input point."""

    pieces: list[np.ndarray]  # (k, 2) coordinates of each kept line, smoothed and simplified
    piece_points: list[np.ndarray]  # input indices of the fixes kept in each piece
    reason: np.ndarray  # per input point: "" when kept, else why it was dropped
    owner: np.ndarray  # per input point: the piece it is counted with (-1 when no piece is left)
    splits: list[str] = field(default_factory=list)  # why the track was split
    accuracy_m: float = float("nan")  # median reported accuracy of the fixes
    spread_m: float = float("nan")  # RMS distance of the kept fixes from the cleaned lines

    @property
    def error_m(self) -> float:
        """GPS error of the track: as reported, else estimated from the spread (see :func:`estimated_error`)."""
        return self.accuracy_m if np.isfinite(self.accuracy_m) else estimated_error(self.spread_m)

    def dropped(self, piece: int | None = None) -> dict[str, int]:
        """Dropped points by reason (of one piece, or of the whole track)."""
        sel = self.reason if piece is None else self.reason[self.owner == piece]
        return {r: int(np.count_nonzero(sel == r)) for r in POINT_REASONS if np.any(sel == r)}

    def kept(self, piece: int | None = None) -> int:
        if piece is None:
            return int(np.count_nonzero(self.reason == ""))
        return len(self.piece_points[piece])

    def counted(self, piece: int) -> int:
        """Input points counted with a piece (kept and dropped): the pieces' counts add up to the input."""
        return int(np.count_nonzero(self.owner == piece))


# ---------------------------------------------------------------------------------------
# The steps; each takes the points still alive and returns a mask over them
# ---------------------------------------------------------------------------------------
def duplicates(x: np.ndarray, y: np.ndarray, t: np.ndarray | None) -> np.ndarray:
    """A fix at the same place, or with the same time, as the fix before it."""
    dup = np.zeros(len(x), dtype=bool)
    if len(x) < 2:
        return dup
    same = (np.diff(x) == 0) & (np.diff(y) == 0)
    if t is not None:
        same |= np.diff(t) == 0
    dup[1:] = same
    return dup


def low_accuracy(acc: np.ndarray | None, max_accuracy_m: float) -> np.ndarray:
    if acc is None:
        return np.zeros(0, dtype=bool)
    with np.errstate(invalid="ignore"):
        return np.isfinite(acc) & (acc > max_accuracy_m)


def _allowance(dt: np.ndarray | None, a1: np.ndarray, a2: np.ndarray, opts: CleanOptions) -> np.ndarray:
    """How far apart two fixes may honestly be: walking for the time between them plus both errors."""
    base = a1 + a2
    if dt is not None:
        base = base + opts.max_speed_mps * dt
    return np.maximum(opts.spike_min_m, base)


def spikes(x: np.ndarray, y: np.ndarray, t: np.ndarray | None, acc: np.ndarray, opts: CleanOptions) -> np.ndarray:
    """Short excursions: a jump away from the track and, within a few fixes, a jump back.

    A jump is a move longer than walking could explain (speed limit times the time
    between fixes, plus both fixes' accuracy) and longer than ``spike_min_m``. A jump away
    with no jump back is a gap, not a spike, and is left for :func:`gaps`.
    """
    n = len(x)
    spike = np.zeros(n, dtype=bool)
    if n < 3:
        return spike
    leg = np.hypot(np.diff(x), np.diff(y))
    dt = np.diff(t) if t is not None else None
    jump = leg > _allowance(dt, acc[:-1], acc[1:], opts)
    done_to = -1
    edge = opts.spike_max_points
    for j in np.flatnonzero(jump):
        if j < done_to:
            continue
        back_at = _jump_back(x, y, t, acc, leg, jump, int(j), opts)
        if back_at is not None:
            spike[j + 1 : back_at] = True
            done_to = back_at
        elif t is not None and n > 3 * edge and j < edge and not jump[:j].any() and not jump[j + 1 : j + 1 + edge].any():
            spike[: j + 1] = True  # the log starts with a few wild fixes before the track proper
        elif t is not None and n > 3 * edge and j >= n - 1 - edge and not jump[j + 1 :].any() \
                and not jump[max(0, j - edge) : j].any():
            spike[j + 1 :] = True  # ... or ends with a few
            done_to = n
    return spike


def _jump_back(x: np.ndarray, y: np.ndarray, t: np.ndarray | None, acc: np.ndarray, leg: np.ndarray,
               jump: np.ndarray, j: int, opts: CleanOptions) -> int | None:
    """Index of the fix where the track comes back after the jump away at leg *j*, if it does soon."""
    for r in range(1, opts.spike_max_points + 1):
        c = j + r + 1
        if c >= len(x):
            return None
        if not jump[c - 1]:
            continue
        back = np.hypot(x[c] - x[j], y[c] - y[j])
        dt = None if t is None else np.array([t[c] - t[j]])
        if back <= _allowance(dt, acc[j : j + 1], acc[c : c + 1], opts)[0] and back < 0.5 * min(leg[j], leg[c - 1]):
            return c
    return None


def standstill_radius(acc: np.ndarray, opts: CleanOptions) -> float:
    """How far fixes wander while the phone lies still: twice the accuracy, 5 to 15 m."""
    return float(np.clip(2.0 * np.median(acc), opts.standstill_radius_m, 15.0))


def standstills(x: np.ndarray, y: np.ndarray, t: np.ndarray | None, acc: np.ndarray, opts: CleanOptions) -> np.ndarray:
    """Clouds of fixes where the walker stood: all but the most central fix of each are dropped.

    A fix is "still" when the mean position over the window before it and the window
    after it differ by less than the standstill radius (walking 30 s moves 20-40 m;
    standing moves only the noise). Runs of still fixes lasting ``standstill_min_s`` are
    standstills. Without times there is
    no standstill: a line drawn or exported without them (a KML line) cannot tell a pause
    from a slow walk, and dropping fixes there lost half of some walks.
    """
    n = len(x)
    drop = np.zeros(n, dtype=bool)
    if n < 3 or t is None:
        return drop
    cx, cy = np.zeros(n + 1), np.zeros(n + 1)
    np.cumsum(x, out=cx[1:])
    np.cumsum(y, out=cy[1:])
    radius = standstill_radius(acc, opts)
    still = np.zeros(n, dtype=bool)
    for start in range(0, n, _SMOOTH_BLOCK):  # in blocks: a million-fix walk needs no dozen n-long temporaries
        i = np.arange(start, min(start + _SMOOTH_BLOCK, n))
        lo = np.searchsorted(t, t[i] - opts.standstill_window_s, side="left")
        hi = np.searchsorted(t, t[i] + opts.standstill_window_s, side="right") - 1
        pre_n, post_n = i + 1 - lo, hi + 1 - i
        move = np.hypot((cx[hi + 1] - cx[i]) / post_n - (cx[i + 1] - cx[lo]) / pre_n,
                        (cy[hi + 1] - cy[i]) / post_n - (cy[i + 1] - cy[lo]) / pre_n)
        still[i] = move < radius
    still = _close_gaps(still, 2)
    for start, end in _runs(still):
        if t[end] - t[start] < opts.standstill_min_s:
            continue
        mx, my = np.median(x[start : end + 1]), np.median(y[start : end + 1])
        near = _Near(x, y, mx, my, radius)  # asked only around the run: a long walk has many runs
        start, end = _grow(near, start, -1), _grow(near, end, 1)
        centre = start + int(np.argmin(np.hypot(x[start : end + 1] - mx, y[start : end + 1] - my)))
        drop[start : end + 1] = True
        drop[centre] = False
    return drop


class _Near:
    """Whether fix i lies within *radius* of (mx, my), computed for the fixes asked about."""

    def __init__(self, x: np.ndarray, y: np.ndarray, mx: float, my: float, radius: float) -> None:
        self.x, self.y, self.mx, self.my, self.radius = x, y, mx, my, radius

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> bool:
        return bool(np.hypot(self.x[i] - self.mx, self.y[i] - self.my) < self.radius)


def _grow(near: np.ndarray | _Near, at: int, step: int, look: int = 3) -> int:
    """Move *at* outward while one of the next *look* fixes is still near the standstill."""
    while True:
        ahead = [at + step * k for k in range(1, look + 1) if 0 <= at + step * k < len(near)]
        hits = [i for i in ahead if near[i]]
        if not hits:
            return at
        at = hits[-1]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of True."""
    if not mask.any():
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1))


def _close_gaps(mask: np.ndarray, width: int) -> np.ndarray:
    """Fill runs of False no longer than *width* between two runs of True."""
    out = mask.copy()
    for start, end in _runs(~mask):
        if start > 0 and end < len(mask) - 1 and end - start + 1 <= width:
            out[start : end + 1] = True
    return out


def gaps(x: np.ndarray, y: np.ndarray, lost: np.ndarray | None, radius: float, opts: CleanOptions) -> tuple[
    np.ndarray, list[str]
]:
    """Indices after which the track splits, and why: lost fix while moving, or a long jump.

    *lost* is, per leg, the longest time without a usable fix; fixes dropped as spikes or
    standstill do not make a gap (the phone had a fix), low-accuracy ones do.
    """
    if len(x) < 2:
        return np.zeros(0, dtype=int), []
    leg = np.hypot(np.diff(x), np.diff(y))
    space = leg > max(opts.gap_m, opts.gap_factor * float(np.median(leg)))
    timed = np.zeros_like(space)
    moved = leg.copy()
    if lost is not None:
        for k in np.flatnonzero(lost > opts.gap_s):
            # judged on the mean of three fixes each side: one noisy fix must not split a pause
            before, after = slice(max(0, k - 2), k + 1), slice(k + 1, k + 4)
            moved[k] = np.hypot(x[after].mean() - x[before].mean(), y[after].mean() - y[before].mean())
            timed[k] = moved[k] > 2 * radius
    where = np.flatnonzero(space | timed)
    why = []
    for k in where:
        if timed[k]:
            why.append(f"no fix for {lost[k]:.0f} s (moved {moved[k]:.0f} m)")
        else:
            why.append(f"jump of {leg[k]:.0f} m between fixes")
    return where, why


def _lost_time(t: np.ndarray, fixes: np.ndarray, alive: np.ndarray) -> np.ndarray:
    """Per leg between alive fixes: the longest wait between usable fixes along it."""
    pos = np.searchsorted(fixes, alive)
    waits = np.diff(t[fixes])[: pos[-1]]
    return np.maximum.reduceat(waits, pos[:-1]) if len(waits) else np.zeros(0)


def smooth(x: np.ndarray, y: np.ndarray, half: int) -> tuple[np.ndarray, np.ndarray]:
    """Local straight-line fit over +-half fixes: removes noise, keeps the ends in place (no shrinking).

    Near an end the window can only reach one way; it reaches twice as far that way, so
    the end fixes, which matter most for snapping, are no noisier than the rest.
    """
    n = len(x)
    if n < 3 or half < 1:
        return x.copy(), y.copy()
    out_x, out_y = np.empty(n), np.empty(n)
    for start in range(0, n, _SMOOTH_BLOCK):  # in blocks: a million-fix walk needs no (7, n) temporaries
        stop = min(start + _SMOOTH_BLOCK, n)
        out_x[start:stop], out_y[start:stop] = _smooth_block(x, y, half, np.arange(start, stop))
    return out_x, out_y


_SMOOTH_BLOCK = 65536


def _smooth_block(x: np.ndarray, y: np.ndarray, half: int, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(x)
    left, right = np.minimum(j, half), np.minimum(n - 1 - j, half)
    left, right = np.minimum(j, 2 * half - right), np.minimum(n - 1 - j, 2 * half - left)
    sums = np.zeros((7, len(j)))
    for u in range(-2 * half, 2 * half + 1):
        ok = (u >= -left) & (u <= right)
        k = j[ok] + u
        sums[:, ok] += np.vstack([np.ones(len(k)), np.full(len(k), u), np.full(len(k), u * u), x[k], y[k],
                                  u * x[k], u * y[k]])
    sn, su, suu, sx, sy, sux, suy = sums
    mu, mx, my = su / sn, sx / sn, sy / sn
    var = suu / sn - mu * mu
    safe = np.where(var > 0, var, 1.0)
    bx = np.where(var > 0, (sux / sn - mu * mx) / safe, 0.0)
    by = np.where(var > 0, (suy / sn - mu * my) / safe, 0.0)
    return mx - bx * mu, my - by * mu


def smoothing_half_window(x: np.ndarray, y: np.ndarray, accuracy: float) -> int:
    """Fixes on each side to average: those within about twice the accuracy, 1 to 10 fixes."""
    n = len(x)
    if n < 5:
        return 1
    q = min(5, n - 1)
    step = float(np.median(np.hypot(x[q:] - x[:-q], y[q:] - y[:-q]))) / q
    reach = float(np.clip(2.0 * accuracy, 3.0, 20.0))
    return int(np.clip(round(reach / max(step, 0.1)), 1, 10))


# ---------------------------------------------------------------------------------------
def clean_track(x: np.ndarray, y: np.ndarray, t: np.ndarray | None = None, acc: np.ndarray | None = None,
                options: CleanOptions | None = None) -> CleanResult:
    """Every step in order; see the module text. Pure: arrays in, arrays out."""
    opts = options or CleanOptions()
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    reason = np.full(n, "", dtype=object)
    t = None if t is None or n == 0 or not np.isfinite(t).all() else np.asarray(t, dtype=float)
    acc_in = None if acc is None else np.asarray(acc, dtype=float)
    reported = acc_in[np.isfinite(acc_in)] if acc_in is not None else np.zeros(0)
    median_acc = float(np.median(reported)) if len(reported) else float("nan")
    del reported
    a = np.full(n, opts.default_accuracy_m) if acc_in is None else \
        np.where(np.isfinite(acc_in), np.minimum(acc_in, opts.max_accuracy_m), opts.default_accuracy_m)
    splits: list[str] = []
    alive = np.arange(n)

    def drop(mask: np.ndarray, why: str) -> None:
        nonlocal alive
        reason[alive[mask]] = why
        alive = alive[~mask]

    if t is not None and np.any(np.diff(t) < 0):
        t = None
        splits.append("fix times out of order; cleaned by distance only")

    def at(values: np.ndarray) -> np.ndarray:
        """The values of the fixes still alive; the array itself while none was dropped (no copy of a long walk)."""
        return values if len(alive) == n else values[alive]

    def ta() -> np.ndarray | None:
        return None if t is None else at(t)

    drop(duplicates(at(x), at(y), ta()), "duplicate")
    if acc_in is not None:
        drop(low_accuracy(at(acc_in), opts.max_accuracy_m), "low_accuracy")
    fixes = alive.copy()  # usable fixes: later drops (spikes, standstills) do not make time gaps
    for _ in range(2):  # a second pass finds spikes hidden next to the first ones
        found = spikes(at(x), at(y), ta(), at(a), opts)
        if not found.any():
            break
        drop(found, "spike")
    radius = standstill_radius(at(a), opts) if len(alive) else opts.standstill_radius_m
    drop(standstills(at(x), at(y), ta(), at(a), opts), "standstill")

    lost = _lost_time(t, fixes, alive) if t is not None and len(alive) > 1 else None
    where, why = gaps(at(x), at(y), lost, radius, opts)
    del a, fixes, lost  # not needed to finish the pieces, where a long walk's memory peaks
    splits += why
    groups = np.split(alive, where + 1) if len(alive) else []
    accuracy = median_acc if np.isfinite(median_acc) else opts.default_accuracy_m
    pieces, piece_points = [], []
    for group in groups:
        run = slice(group[0], group[-1] + 1) if len(group) and group[-1] - group[0] + 1 == len(group) else group
        coords = _finish(x[run], y[run], accuracy, opts, np.isfinite(median_acc))  # a run is a view, not a copy
        if len(group) < 2 or coords is None:
            reason[group] = "short_segment"
            continue
        pieces.append(coords)
        piece_points.append(group)
    owner = np.full(n, -1, dtype=int)
    if pieces:
        starts = np.array([g[0] for g in piece_points])
        owner = np.clip(np.searchsorted(starts, np.arange(n), side="right") - 1, 0, len(pieces) - 1)
    return CleanResult(pieces, piece_points, reason, owner, splits, median_acc, _spread(x, y, pieces, piece_points))


def _spread(x: np.ndarray, y: np.ndarray, pieces: list[np.ndarray], piece_points: list[np.ndarray]) -> float:
    """RMS distance of the kept fixes from their cleaned line: the fast part of the GPS error."""
    if not pieces:
        return float("nan")
    lines = shapely.linestrings(np.vstack(pieces), indices=np.repeat(np.arange(len(pieces)), [len(p) for p in pieces]))
    idx = np.concatenate(piece_points)
    owner = np.repeat(np.arange(len(pieces)), [len(p) for p in piece_points])
    d = shapely.distance(shapely.points(np.column_stack([x[idx], y[idx]])), lines[owner])
    return float(np.sqrt(np.mean(d * d)))


def estimated_error(spread_m: float) -> float:
    """GPS error (m) of a track that reports none, from the spread of its fixes about the cleaned line.

    Smoothing takes out the fast jitter; the slow drift of a phone's fix (tens of seconds)
    stays in the line and cannot be seen there. Measured on walks with 3-5 m error, the
    spread is about half the error; twice the spread, 2 to 15 m, is the estimate.
    """
    return float(np.clip(2.0 * spread_m, 2.0, 15.0)) if np.isfinite(spread_m) else float("nan")


def _finish(x: np.ndarray, y: np.ndarray, accuracy: float, opts: CleanOptions, reported: bool = True
            ) -> np.ndarray | None:
    """Smooth and fit one piece; None when what is left is shorter than a pipe can be.

    Without a reported accuracy the error the bends are judged by is measured on the piece
    (twice the spread of its fixes about the smoothed line, see :func:`estimated_error`).
    """
    if len(x) < 2:
        return None
    sx, sy = smooth(x, y, smoothing_half_window(x, y, accuracy)) if opts.smooth else (x, y)
    if not reported and len(x) > 4:
        spread = float(np.sqrt(np.mean((x - sx) ** 2 + (y - sy) ** 2)))
        accuracy = estimated_error(spread) if spread > 0 else accuracy
    if opts.simplify:  # straight runs between the bends, fitted to the fixes themselves
        line = shapely.linestrings(fit_runs(x, y, np.column_stack([sx, sy]), max(opts.simplify_floor_m, accuracy)))
    else:
        line = shapely.linestrings(sx, sy)
    del x, y, sx, sy
    if line.is_empty or line.length < opts.min_length_m:
        return None
    return shapely.get_coordinates(line)
