"""The asset registry: one versioned schema in a GeoPackage file or a PostGIS schema.

Python API::

    from jalnet.registry import create_registry, open_registry
    reg = create_registry("scheme.gpkg", crs="EPSG:32646")      # or "postgresql://u@h/db?schema=s"
    with reg.batch("my tool", "what it does") as b:             # one transaction, one log batch
        fids = b.insert("pipes", gdf)
        b.update("pipes", fids[0], {"material": "DI"})
        b.delete("pipes", fids[1:])
    reg.read("pipes")                                           # GeoDataFrame, index = fid
    reg.undo(b.id)                                              # exactly as before the batch

The names are loaded on first use, so ``jalnet.registry.schema`` can be read (by the QGIS
plugin at start-up) without importing geopandas, pyproj or GDAL bindings.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS = {
    "Registry": "store",
    "borrow": "access",
    "takes_target": "access",
    "using_registry": "access",
    "content_digest": "store",
    "copy_registry": "copying",
    "create_registry": "store",
    "open_registry": "store",
    "load_layers": "loader",
}

__getattr__, __all__ = lazy_exports(__name__, _EXPORTS)
