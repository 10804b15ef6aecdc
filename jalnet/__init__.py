"""JalNet: GIS toolkit and QGIS plugin for rural drinking-water schemes.

As a Python package, ``jalnet`` gives the engines (``jalnet.registry``, ...) and the
``jalnet`` command. As a QGIS plugin, QGIS calls :func:`classFactory`. Nothing here
imports QGIS at module level, so the engines run without it.
"""

__version__ = "0.1.0"


def classFactory(iface):  # noqa: N802 (QGIS's name)
    """QGIS plugin entry point."""
    from .plugin.main import JalnetPlugin

    return JalnetPlugin(iface)
