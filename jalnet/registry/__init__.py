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
"""

from .loader import load_layers
from .store import Registry, content_digest, copy_registry, create_registry, open_registry

__all__ = [
    "Registry",
    "content_digest",
    "copy_registry",
    "create_registry",
    "load_layers",
    "open_registry",
]
