"""Two walks of one pipe make one better line: their average, not the first one kept as it was.

Each walk carries its own GPS drift; where a pipe was walked twice (a re-walk, or two
gangs walking one street) the errors are independent and the mean of the two lines is
about 1/sqrt(2) as far off as either. The first walk is sampled every couple of metres,
each sample paired with the nearest point of the other walk, and the midpoints make the
line; its ends are the first walk's (the snap places them on their nodes afterwards).
"""

from __future__ import annotations

import numpy as np
import shapely

#: Spacing (m) of the samples the average is taken at.
STEP_M = 2.0


def average_lines(a: shapely.LineString, b: shapely.LineString, simplify_m: float = 0.0) -> shapely.LineString:
    """The mean of two walks of one pipe, running the way *a* runs; simplified within *simplify_m*."""
    if a is None or b is None or a.is_empty or b.is_empty:
        return a
    n = max(2, int(np.ceil(a.length / STEP_M)) + 1)
    at = shapely.line_interpolate_point(a, np.linspace(0.0, a.length, n))
    there = shapely.line_interpolate_point(b, shapely.line_locate_point(b, at))
    xy = (shapely.get_coordinates(at) + shapely.get_coordinates(there)) / 2.0
    xy[[0, -1]] = shapely.get_coordinates(at)[[0, -1]]  # the first walk's ends, for the snap to place
    keep = np.r_[True, np.hypot(*np.diff(xy, axis=0).T) > 1e-6]
    if keep.sum() < 2:
        return a
    line = shapely.linestrings(xy[keep])
    return shapely.simplify(line, simplify_m, preserve_topology=False) if simplify_m > 0 else line
