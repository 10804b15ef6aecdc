"""The QGIS side of JalNet: plugin entry, panels, layer loading, project writing.

Nothing here imports an engine or the engine's libraries: panel actions run their engine
call in the JalNet engine process (:mod:`jalnet.plugin.engine_calls`), and the engines
never import QGIS.
"""
