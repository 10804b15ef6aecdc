"""QGIS-side helpers for the engine process: find it, install it, talk to it.

Pure standard library: the plugin and the Processing provider both use it, and neither
may import the engine stack (geopandas, pyogrio, pyproj, ...) into QGIS's process.
"""
