"""Draw jalnet/icon.png: a water drop carrying a small pipe network.

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
