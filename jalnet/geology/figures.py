"""Drawing pieces shared by strip logs and sections: lithology fills, legends, saving.

Figures are built on ``matplotlib.figure.Figure`` directly, never through pyplot, so they
render the same from the CLI, in tests and inside QGIS (no GUI backend, no global state).
SVG text stays text, so a borehole ID or lithology word can be searched in the file.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from ..errors import InputError
from ..outputs import output_folder
from .vocabulary import CODES, is1498_class, style

FORMATS = ("png", "svg")
DPI = 150


def lithology_rect(x: float, top: float, width: float, bottom: float, code: str | None, **kw: object) -> Rectangle:
    """A depth interval filled with the lithology's colour and hatch (y grows downward: depth)."""
    st = style(code)
    return Rectangle((x, top), width, bottom - top, facecolor=st.colour, hatch=st.hatch,
                     edgecolor=kw.pop("edgecolor", "#3b3b3b"), linewidth=kw.pop("linewidth", 0.6), **kw)


def lithology_handles(codes: Iterable[str | None]) -> list[Patch]:
    """Legend entries for the codes present, in vocabulary order; unknown last."""
    present = set(codes)
    out = []
    for code in CODES:
        if code in present:
            st = style(code)
            name = CODES[code].rsplit(" (", 1)[0]
            label = f"{code}: {name}" if code[0].isupper() else name
            out.append(Patch(facecolor=st.colour, hatch=st.hatch, edgecolor="#3b3b3b", label=label))
    if None in present:
        st = style(None)
        out.append(Patch(facecolor=st.colour, hatch=st.hatch, edgecolor="#3b3b3b", label="unknown lithology"))
    return out


def code_label(code: str | None, word: str | None) -> str:
    """'SM fine sand' when the word differs from the code; the code's class otherwise."""
    if code is None:
        return f"? {word}" if word else "?"
    if word and word.strip().lower() != code.lower():
        return f"{code}  {word.replace('_', ' ')}"
    return is1498_class(code) if code[0].isupper() else code.replace("_", " ")


def save(fig: Figure, base: str | os.PathLike, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write *fig* as base.png / base.svg; returns the paths."""
    base = Path(base)
    output_folder(base)
    paths = []
    for fmt in formats:
        if fmt not in FORMATS:
            raise InputError(f"unknown figure format '{fmt}' (use png or svg)")
        path = base.with_suffix(f".{fmt}")
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "jalnet"}):
            fig.savefig(path, format=fmt, dpi=DPI, metadata=_metadata(fmt),
                        **({"pil_kwargs": {"compress_level": 3}} if fmt == "png" else {}))
        paths.append(path)
    return paths


def png_bytes(fig: Figure, dpi: int = DPI) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _metadata(fmt: str) -> dict[str, str | None]:
    # No creation date: the same data gives the same file.
    return {"Date": None} if fmt == "svg" else {}
