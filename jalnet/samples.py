"""Where the bundled sample data lives (``jalnet/data``), for the demo, tests and docs."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

DATA_DIR = Path(__file__).resolve().parent / "data"


def sample_path(*parts: str) -> Path:
    """Path of a bundled sample file; a clear error when the package was installed without data."""
    path = DATA_DIR.joinpath(*parts)
    if not path.exists():
        raise InputError(f"sample file {path} is missing; regenerate it with 'python scripts/make_sample_data.py'")
    return path
