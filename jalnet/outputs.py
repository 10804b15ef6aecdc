"""Settings for the GeoPackages the tools write, shared so every output opens the same way.

GeoPackage 1.2 is what the GDAL inside QGIS 3.22 LTR (GDAL 3.4-3.6) reads without
"may only be partially supported" warnings; newer GDAL writes 1.4 by default.
"""

#: pyogrio ``dataset_options`` for every GeoPackage a tool creates.
GPKG_DATASET_OPTIONS: dict[str, str] = {"VERSION": "1.2"}
