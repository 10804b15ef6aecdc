"""One page template so every JalNet report looks alike and opens offline (no external assets)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from dataclasses import dataclass
from typing import Any

from .. import __version__

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans','Noto Sans Bengali',sans-serif;margin:2rem;
color:#1b2733;max-width:1100px}
h1{color:#0b5394;margin-bottom:.2rem}h2{color:#0b5394;border-bottom:2px solid #cfe2f3;padding-bottom:.2rem;margin-top:2rem}
.sub{color:#5b6b7b;margin-top:0}table{border-collapse:collapse;margin:.6rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;font-size:.92rem}
th{background:#eef4fb}td.num{text-align:right;font-variant-numeric:tabular-nums}
img{max-width:100%;border:1px solid #d0d7de}.note{color:#5b6b7b;font-size:.9rem}
.sev-error{color:#b00020;font-weight:600}.sev-warning{color:#b26a00}.sev-info{color:#35608a}
"""


@dataclass
class Section:
    title: str
    body_html: str


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if isinstance(value, int):
        return f'<td class="num">{value:,}</td>'
    if isinstance(value, float):
        return f'<td class="num">{value:,.2f}</td>' if value == value else "<td></td>"
    return f"<td>{esc(value)}</td>"


def table_html(rows: list[dict[str, Any]], columns: list[str], headers: dict[str, str] | None = None) -> str:
    if not rows:
        return '<p class="note">None.</p>'
    headers = headers or {}
    head = "".join(f"<th>{esc(headers.get(c, c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(r.get(c)) for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def figure_png(fig: Any, alt: str) -> str:
    """A matplotlib figure as an inline <img> (the report stays one file)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:image/png;base64,{data}">'


def page(title: str, subtitle: str, sections: list[Section]) -> str:
    stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{esc(title)}</h1><p class='sub'>{esc(subtitle)}</p>",
    ]
    for s in sections:
        parts.append(f"<h2>{esc(s.title)}</h2>{s.body_html}")
    parts.append(f"<p class='note'>Made by JalNet {__version__} on {stamp}.</p></body></html>")
    return "\n".join(parts)
