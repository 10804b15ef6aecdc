"""Self-contained HTML reports (summary, data health, flood impact) shared by all engines."""

from .html import Section, figure_png, page, table_html

__all__ = ["Section", "figure_png", "page", "table_html"]
