"""Adapter from QGIS's ``QgsProcessingFeedback`` to the engines' feedback interface.

Engines know nothing of QGIS: they call ``set_progress``/``info``/``warning``/
``is_canceled`` (see :mod:`jalnet.feedback`). This wrapper forwards those calls so the
Processing dialog shows the engine's progress and its Cancel button stops the engine.
"""

from __future__ import annotations

from qgis.core import QgsProcessingFeedback


class ProcessingFeedback:
    """Engine feedback that reports into a Processing dialog or log."""

    def __init__(self, feedback: QgsProcessingFeedback | None) -> None:
        # Processing may pass None when an algorithm runs from a script without feedback.
        self.feedback = feedback or QgsProcessingFeedback()

    def set_progress(self, percent: float) -> None:
        self.feedback.setProgress(max(0.0, min(100.0, float(percent))))

    def info(self, message: str) -> None:
        self.feedback.pushInfo(message)

    def warning(self, message: str) -> None:
        push_warning = getattr(self.feedback, "pushWarning", None)  # QGIS >= 3.16
        if push_warning is not None:
            push_warning(message)
        else:
            self.feedback.reportError(message, fatalError=False)

    def is_canceled(self) -> bool:
        return self.feedback.isCanceled()
