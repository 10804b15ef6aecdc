"""The QGIS side of JalNet: plugin entry, registry panel, layer loading, project writing.

Everything here is a thin adapter over the engines (``jalnet.registry``...), which never
import QGIS.
"""
