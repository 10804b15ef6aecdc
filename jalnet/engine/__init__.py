"""The engine process: runs one engine call for QGIS and streams JSON lines back.

QGIS never imports the engines (they bring their own GDAL and PROJ, which crash QGIS
when both are loaded in one process). The QGIS side (:mod:`jalnet.engineclient`) sends a
request ``{"job": NAME, "args": {...}}``; the engine answers with the messages of
:mod:`jalnet.engine.protocol`. Jobs are listed in :mod:`jalnet.engine.jobs`. This package
never imports ``qgis``.
"""
