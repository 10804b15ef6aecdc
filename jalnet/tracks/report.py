"""What an import did, file by file: read, kept and dropped features and points, and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..report.html import Section, esc, table_html
from .model import FEATURE_REASONS, POINT_REASONS


@dataclass
class TrackFixes:
    """The fixes of one track in the registry CRS and what cleaning did to each ("" = kept)."""

    ref: str
    x: np.ndarray
    y: np.ndarray
    time: np.ndarray | None
    accuracy: np.ndarray | None
    reason: np.ndarray
    lines: list[np.ndarray]  # the cleaned pieces


@dataclass
class FileReport:
    path: str
    name: str
    format: str = ""
    status: str = "imported"  # or "refused"
    reason: str = ""  # why it was refused
    features_read: int = 0
    features_kept: int = 0
    features_dropped: Counter = field(default_factory=Counter)
    points_read: int = 0
    points_kept: int = 0
    points_dropped: Counter = field(default_factory=Counter)
    pipes: int = 0  # pipe candidates staged
    points: int = 0  # point candidates staged
    messages: list[str] = field(default_factory=list)
    messages_left_off: int = 0
    max_messages: int = 50
    fixes: list[TrackFixes] = field(default_factory=list)  # only with the keep_fixes option

    def say(self, message: str) -> None:
        if len(self.messages) < self.max_messages:
            self.messages.append(message)
        else:
            self.messages_left_off += 1

    def refuse(self, reason: str) -> None:
        self.status, self.reason = "refused", reason
        self.features_read = self.features_kept = self.pipes = self.points = 0
        self.points_read = self.points_kept = 0
        self.features_dropped.clear()
        self.points_dropped.clear()
        self.messages = [reason]

    def drop_feature(self, reason: str, message: str, points: int = 0, point_reason: str = "out_of_range") -> None:
        self.features_dropped[reason] += 1
        if points:
            self.points_dropped[point_reason] += points
        self.say(message)

    def row(self) -> dict[str, Any]:
        return {
            "file": self.name, "format": self.format, "status": self.status,
            "features read": self.features_read, "kept": self.features_kept,
            "dropped": sum(self.features_dropped.values()), "pipes": self.pipes, "points": self.points,
            "GPS points read": self.points_read, "points kept": self.points_kept,
            "why dropped": why_dropped(self) if self.status == "imported" else _short(self.reason, self.path),
        }  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "format": self.format, "status": self.status, "reason": self.reason,
            "features_read": self.features_read, "features_kept": self.features_kept,
            "features_dropped": dict(self.features_dropped), "points_read": self.points_read,
            "points_kept": self.points_kept, "points_dropped": dict(self.points_dropped),
            "pipe_candidates": self.pipes, "point_candidates": self.points, "messages": self.messages,
            "messages_left_off": self.messages_left_off,
        }  # fmt: skip


def _short(reason: str, path: str) -> str:
    text = reason[len(path) + 2 :] if reason.startswith(f"{path}: ") else reason
    return text if len(text) <= 90 else text[:87] + "..."


def why_dropped(r: FileReport) -> str:
    """'2 coordinates out of range; 40 pts spike': what was dropped from one file and why."""
    parts = [f"{n} {FEATURE_REASONS.get(k, k)}" for k, n in sorted(r.features_dropped.items())]
    parts += [f"{r.points_dropped[k]} pts {k.replace('_', ' ')}" for k in POINT_REASONS if r.points_dropped.get(k)]
    return "; ".join(parts)


COLUMNS = ["file", "format", "status", "features read", "kept", "dropped", "pipes", "points", "GPS points read",
           "points kept", "why dropped"]


@dataclass
class ImportReport:
    registry: str
    files: list[FileReport]
    batch_id: str | None = None
    dry_run: bool = False
    epsg: int | None = None  # the registry CRS, which fixes and candidates are in

    @property
    def refused(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "refused"]

    @property
    def imported(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "imported"]

    @property
    def pipes(self) -> int:
        return sum(f.pipes for f in self.files)

    @property
    def points(self) -> int:
        return sum(f.points for f in self.files)

    @property
    def exit_code(self) -> int:
        """0 when any file gave something (others may have been refused: warnings), 2 when none did."""
        return 0 if self.imported else 2

    def rows(self) -> list[dict[str, Any]]:
        return [f.row() for f in self.files]

    def to_dict(self) -> dict[str, Any]:
        return {"registry": self.registry, "batch_id": self.batch_id, "dry_run": self.dry_run,
                "pipe_candidates": self.pipes, "point_candidates": self.points,
                "files": [f.to_dict() for f in self.files]}

    def summary_line(self) -> str:
        where = "nothing written (dry run)" if self.dry_run else (
            f"batch {self.batch_id}" if self.batch_id else "nothing written")
        line = (f"{len(self.imported)} of {len(self.files)} file(s) imported: {self.pipes} pipe and {self.points} point "
                f"candidate(s) staged; {where}")
        if self.refused:
            line += f"; {len(self.refused)} file(s) refused: {', '.join(f.name for f in self.refused)}"
        return line


def report_section(report: ImportReport, title: str = "Contractor files imported") -> Section:
    """The per-file table and the messages, for HTML reports (demo summary, Processing output)."""
    body = [f"<p>{esc(report.summary_line())}</p>", table_html(report.rows(), COLUMNS)]
    notes = [m for f in report.files for m in f.messages]
    if notes:
        items = "".join(f"<li>{esc(m)}</li>" for m in notes)
        body.append(f"<details><summary>{len(notes)} message(s)</summary><ul class='note'>{items}</ul></details>")
    return Section(title, "".join(body))
