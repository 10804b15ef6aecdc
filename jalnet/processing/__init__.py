"""JalNet's Processing provider and algorithms: thin QGIS adapters over the engines."""
