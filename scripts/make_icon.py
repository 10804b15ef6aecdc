"""Draw jalnet/icon.png (a water drop carrying a small pipe network) and the toolbar icons.

The toolbar icons (jalnet/icons/*.svg) share one badge: JalNet's blue drop colours on a
rounded square with a white glyph, so they read as JalNet's and never as core QGIS buttons.

Drawn with QPainter so the icon is reproducible from code (no binary design file to
keep in sync). Run offscreen: ``QT_QPA_PLATFORM=offscreen python scripts/make_icon.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.PyQt.QtCore import QPointF, QRectF, Qt  # noqa: E402
from qgis.PyQt.QtGui import (  # noqa: E402
    QBrush,
    QColor,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

OUT = Path(__file__).resolve().parent.parent / "jalnet" / "icon.png"
ICON_DIR = OUT.parent / "icons"

_BADGE = ('<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#4fc3f7"/>'
          '<stop offset="1" stop-color="#0d47a1"/></linearGradient></defs>'
          '<rect x="1" y="1" width="22" height="22" rx="5" fill="url(#g)" stroke="#0b3a75" stroke-width="1"/>')
_W = 'fill="none" stroke="#ffffff" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round"'
_DROP = "M12 4 C13.5 7 17 9.5 17 13 A5 5 0 0 1 7 13 C7 9.5 10.5 7 12 4 Z"
#: Glyph of each toolbar action, drawn on the badge (24 x 24 units).
GLYPHS = {
    "registry": f'<path d="{_DROP}" fill="#ffffff"/><path d="M12 10v4M12 14l-2.5 2.5M12 14l2.5 2.5" '
                'stroke="#0d47a1" stroke-width="1.5" fill="none" stroke-linecap="round"/>',
    "create": f'<ellipse cx="10" cy="7" rx="5" ry="2" {_W}/><path d="M5 7v9c0 1.1 2.2 2 5 2M15 7v4" {_W}/>'
              f'<path d="M17 13v6M14 16h6" {_W}/>',
    "open": f'<path d="M4 8h5l1.5 1.5H19v8.5H4Z" {_W}/><path d="M13.5 11.5c.8 1.3 1.8 2 1.8 3.2a1.8 1.8 0 0 1-3.6 '
            '0c0-1.2 1-1.9 1.8-3.2Z" fill="#ffffff"/>',
    "toolbox": f'<path d="M5 17l4-4 3 3 6-7" {_W}/><circle cx="5" cy="17" r="1.6" fill="#ffffff"/>'
               '<circle cx="9" cy="13" r="1.6" fill="#ffffff"/><circle cx="12" cy="16" r="1.6" fill="#ffffff"/>'
               '<circle cx="18" cy="9" r="1.6" fill="#ffffff"/>',
    "striplog": '<rect x="8" y="4" width="8" height="4" fill="#fff59d"/><rect x="8" y="8" width="8" height="5" '
                'fill="#bcaaa4"/><rect x="8" y="13" width="8" height="7" fill="#ffffff"/>'
                '<rect x="8" y="4" width="8" height="16" fill="none" stroke="#0b3a75" stroke-width="0.8"/>',
    "findings": f'<path d="M3 17h7l4-8h7" {_W}/><circle cx="16.5" cy="16.5" r="4" fill="#e53935" stroke="#ffffff" '
                'stroke-width="1"/><path d="M16.5 14v3M16.5 18.6v.1" stroke="#ffffff" stroke-width="1.5" '
                'stroke-linecap="round"/>',
    "hydraulics": f'<path d="M5.5 16a6.5 6.5 0 1 1 13 0" {_W}/><path d="M12 16l3.5-4.5" {_W}/>'
                  '<circle cx="12" cy="16" r="1.6" fill="#ffffff"/>',
    "health": '<rect x="5" y="12" width="3.6" height="7" rx="0.6" fill="#ef5350" stroke="#ffffff" stroke-width="0.8"/>'
              '<rect x="10.2" y="9" width="3.6" height="10" rx="0.6" fill="#ffca28" stroke="#ffffff" '
              'stroke-width="0.8"/><rect x="15.4" y="5" width="3.6" height="14" rx="0.6" fill="#66bb6a" '
              'stroke="#ffffff" stroke-width="0.8"/>',
    "engine": f'<rect x="7" y="7" width="10" height="10" rx="1.5" {_W}/><path d="M10 4v3M14 4v3M10 17v3M14 17v3'
              f'M4 10h3M4 14h3M17 10h3M17 14h3" {_W}/><path d="M12 9.5c.9 1.4 2 2.2 2 3.5a2 2 0 0 1-4 0c0-1.3 '
              '1.1-2.1 2-3.5Z" fill="#ffffff"/>',
}


def write_toolbar_icons(folder: Path = ICON_DIR) -> list[Path]:
    """One SVG per toolbar action, each the badge with its glyph."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, glyph in GLYPHS.items():
        path = folder / f"{name}.svg"
        path.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">'
                        f"{_BADGE}{glyph}</svg>\n", encoding="utf-8")
        written.append(path)
    return written
SIZE = 128


def drop_path(s: float) -> QPainterPath:
    """A drop: pointed top, round bottom, filling most of the square."""
    path = QPainterPath()
    top = QPointF(0.5 * s, 0.05 * s)
    path.moveTo(top)
    path.cubicTo(QPointF(0.62 * s, 0.25 * s), QPointF(0.86 * s, 0.44 * s), QPointF(0.86 * s, 0.62 * s))
    path.arcTo(QRectF(0.14 * s, 0.26 * s, 0.72 * s, 0.70 * s), 0, -180)
    path.cubicTo(QPointF(0.14 * s, 0.44 * s), QPointF(0.38 * s, 0.25 * s), top)
    path.closeSubpath()
    return path


def draw(size: int = SIZE) -> QImage:
    img = QImage(size, size, QImage.Format_ARGB32)
    img.fill(Qt.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.Antialiasing)
    s = float(size)

    grad = QLinearGradient(0, 0.05 * s, 0, 0.96 * s)
    grad.setColorAt(0.0, QColor("#4fc3f7"))
    grad.setColorAt(1.0, QColor("#0d47a1"))
    p.setPen(QPen(QColor("#0b3a75"), max(1.0, s / 40)))
    p.setBrush(QBrush(grad))
    p.drawPath(drop_path(s))

    # The network: a main with two branches, nodes as white dots.
    nodes = {
        "src": QPointF(0.50 * s, 0.42 * s),
        "mid": QPointF(0.50 * s, 0.64 * s),
        "left": QPointF(0.30 * s, 0.76 * s),
        "right": QPointF(0.70 * s, 0.76 * s),
        "tail": QPointF(0.50 * s, 0.86 * s),
    }
    p.setPen(QPen(QColor("#ffffff"), s / 18, Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))
    for a, b in (("src", "mid"), ("mid", "left"), ("mid", "right"), ("mid", "tail")):
        p.drawLine(nodes[a], nodes[b])
    p.setPen(QPen(QColor("#0b3a75"), s / 64))
    p.setBrush(QColor("#ffffff"))
    for name, pt in nodes.items():
        r = s / 11 if name == "src" else s / 15
        p.drawEllipse(pt, r, r)
    p.end()
    return img


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (QPainter needs it)
    if not draw().save(str(OUT)):
        raise RuntimeError(f"cannot write {OUT}")
    print("wrote", OUT)
    for path in write_toolbar_icons():
        print("wrote", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
