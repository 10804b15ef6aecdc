"""The QGIS side of the engine process (pure standard library: no qgis, no engine stack).

Processing algorithms and panels build one engine call and run it with
:func:`jalnet.engineclient.client.run_job`; :mod:`.locate` finds the engine to start.
"""
