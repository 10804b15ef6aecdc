"""The asset registry schema: layers, fields and coded-value domains.

One definition serves both stores. GeoPackage gets it as tables with CHECK constraints
plus ``gpkg_data_columns``/``gpkg_data_column_constraints`` (so QGIS and GDAL see real
coded-value domains); PostGIS gets the same tables, CHECK constraints and a
``jalnet_domains`` table. The schema is versioned: a layer or field carries the version
that introduced it (``since``) and opening an older registry for writing adds what is
missing (see ``docs`` in README, "Registry schema").

Geometry is always 2D in the registry's one projected metric CRS, in column ``geom``;
every table has an integer primary key ``fid``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Version of the schema this code writes. Bump it when a layer or field is added and
#: give the new layer/field ``since=<new version>``.
SCHEMA_VERSION = 4

# ---------------------------------------------------------------------------------------
# Coded-value domains. Codes are what is stored; descriptions are what a user reads.
# ---------------------------------------------------------------------------------------
DOMAINS: dict[str, dict[str, str]] = {
    "scheme_type": {
        "SVS": "Single-village scheme",
        "MVS": "Multi-village scheme",
    },
    "scheme_status": {
        "planned": "Planned / DPR stage",
        "under_construction": "Under construction",
        "commissioned": "Commissioned",
        "handed_over": "Handed over to the village (VWSC/Pani Samiti)",
        "non_functional": "Non-functional",
    },
    "asset_status": {
        "planned": "Planned",
        "under_construction": "Under construction",
        "in_service": "In service",
        "non_functional": "Non-functional / out of service",
        "abandoned": "Abandoned",
    },
    "source_type": {
        "tube_well": "Tube well",
        "borewell": "Borewell",
        "surface_intake": "Surface water intake (river, reservoir, pond)",
        "spring": "Spring",
        "dug_well": "Dug well / ring well",
    },
    "pipe_material": {
        "DI": "Ductile iron",
        "CI": "Cast iron",
        "GI": "Galvanised iron",
        "MS": "Mild steel",
        "PVC": "PVC",
        "UPVC": "Unplasticised PVC (uPVC)",
        "HDPE": "High-density polyethylene",
        "MDPE": "Medium-density polyethylene",
        "AC": "Asbestos cement",
        "PSC": "Prestressed concrete",
    },
    "pressure_class": {
        "PN4": "PN 4 (4 kg/cm2)",
        "PN6": "PN 6 (6 kg/cm2)",
        "PN8": "PN 8 (8 kg/cm2)",
        "PN10": "PN 10 (10 kg/cm2)",
        "PN12.5": "PN 12.5 (12.5 kg/cm2)",
        "PN16": "PN 16 (16 kg/cm2)",
        "K7": "DI class K7",
        "K9": "DI class K9",
        "LIGHT": "GI light (IS 1239 class A)",
        "MEDIUM": "GI medium (IS 1239 class B)",
        "HEAVY": "GI heavy (IS 1239 class C)",
    },
    "pipe_function": {
        "rising_main": "Rising (pumping) main",
        "gravity_main": "Gravity main",
        "distribution": "Distribution line",
        "service": "Service / house connection line",
    },
    "geom_source": {
        "survey": "Total station / DGPS survey",
        "gps_track": "Contractor GPS track",
        "contractor_kml": "Contractor KML export",
        "digitised": "Digitised on imagery or map",
        "design": "Design drawing (DPR)",
        "epanet": "Imported from an EPANET model",
        "unknown": "Unknown",
    },
    "node_type": {
        "junction": "Junction",
        "end_cap": "End cap (legitimate dead end)",
        "reducer": "Reducer (diameter change fitting)",
        "bulk_meter": "Bulk flow meter",
    },
    "valve_type": {
        "sluice": "Sluice / gate valve (isolation)",
        "butterfly": "Butterfly valve (isolation)",
        "prv": "Pressure-reducing valve",
        "psv": "Pressure-sustaining valve",
        "fcv": "Flow-control valve",
        "tcv": "Throttle-control valve",
        "air_release": "Air-release valve",
        "scour": "Scour / drain valve",
        "non_return": "Non-return (check) valve",
    },
    "valve_status": {
        "open": "Normally open",
        "closed": "Normally closed",
    },
    "tank_type": {
        "OHT": "Overhead tank / elevated service reservoir",
        "GSR": "Ground service reservoir",
        "SUMP": "Sump / clear-water reservoir",
        "MBR": "Master balancing reservoir",
    },
    "pump_type": {
        "submersible": "Submersible",
        "centrifugal": "Horizontal centrifugal",
        "vertical_turbine": "Vertical turbine",
        "booster": "Booster",
    },
    "treatment_type": {
        "iron_removal": "Iron removal plant",
        "arsenic_removal": "Arsenic removal plant",
        "fluoride_removal": "Fluoride removal plant",
        "conventional_wtp": "Conventional WTP (coagulation, settling, rapid sand filter)",
        "slow_sand_filter": "Slow sand filter",
        "chlorinator": "Chlorinator / dosing unit",
        "reverse_osmosis": "Reverse osmosis",
    },
    "staged_state": {
        "staged": "Imported, waiting to be snapped",
        "added": "Snapped and added to the network",
        "conflated": "Duplicates an existing pipe; merged, not added",
        "rejected": "Rejected (see message)",
    },
    "staged_point_kind": {
        "fhtc": "Household tap connection",
        "valve": "Valve",
        "other": "Other point",
    },
    # Hydraulics: scenario kinds and the EPANET vocabularies the model tables use.
    "hyd_scenario_kind": {
        "peak_hour": "Steady state at the peak hour",
        "eps": "Extended period (e.g. 24 h) with the demand pattern",
        "design_year": "Steady peak hour with the demand of the design year",
        "criticality": "N-1: each pipe and each valve-isolated segment closed in turn",
        "pump_outage": "Extended period with each pump out of service in turn",
        "source_outage": "Extended period with each source out of service in turn",
        "water_age": "Extended period water age (EPANET quality AGE)",
        "chlorine": "Extended period residual chlorine from a dose at the sources",
    },
    "hyd_curve_type": {
        "HEAD": "Pump head curve: flow (l/s), head (m)",
        "EFFICIENCY": "Pump efficiency curve: flow (l/s), efficiency (%)",
        "VOLUME": "Tank volume curve: level (m), volume (m3)",
        "HEADLOSS": "General-purpose valve curve: flow (l/s), head loss (m)",
    },
    "hyd_flow_units": {
        "LPS": "Litres per second",
        "LPM": "Litres per minute",
        "MLD": "Megalitres per day",
        "CMH": "Cubic metres per hour",
        "CMD": "Cubic metres per day",
        "CFS": "Cubic feet per second",
        "GPM": "US gallons per minute",
        "MGD": "Million US gallons per day",
        "IMGD": "Million imperial gallons per day",
        "AFD": "Acre-feet per day",
    },
    "hyd_headloss": {
        "H-W": "Hazen-Williams",
        "D-W": "Darcy-Weisbach",
        "C-M": "Chezy-Manning",
    },
    "network_layout": {
        "branched": "Branched (tree): every tap fed along one path; loops are drawing faults",
        "looped": "Looped (grid) distribution",
        "mixed": "Looped mains with branched distribution",
    },
    "health_status": {
        "new": "Found in this run and not in the previous one",
        "open": "Found in this run and in the previous one",
        "fixed": "Found in the previous run, gone in this one",
    },
    "fhtc_status": {
        "functional": "Functional",
        "non_functional": "Non-functional",
        "disconnected": "Disconnected",
    },
    # Geology: lithology codes are IS 1498 group symbols for soils plus common rock types;
    # the field words drillers write (clay, fine_sand...) map to them in jalnet/geology/vocabulary.py.
    "lithology": {
        "GW": "Well-graded gravel, gravel-sand mixture (IS 1498 GW)",
        "GP": "Poorly graded gravel, gravel-sand mixture (IS 1498 GP)",
        "GM": "Silty gravel (IS 1498 GM)",
        "GC": "Clayey gravel (IS 1498 GC)",
        "SW": "Well-graded sand, gravelly sand (IS 1498 SW)",
        "SP": "Poorly graded (uniform) sand (IS 1498 SP)",
        "SM": "Silty sand (IS 1498 SM)",
        "SC": "Clayey sand (IS 1498 SC)",
        "ML": "Silt of low compressibility, rock flour (IS 1498 ML)",
        "MI": "Silt of intermediate compressibility (IS 1498 MI)",
        "MH": "Silt of high compressibility, micaceous silt (IS 1498 MH)",
        "CL": "Clay of low compressibility, lean or silty clay (IS 1498 CL)",
        "CI": "Clay of intermediate compressibility (IS 1498 CI)",
        "CH": "Clay of high compressibility, fat clay (IS 1498 CH)",
        "OL": "Organic silt or clay of low compressibility, top soil (IS 1498 OL)",
        "OI": "Organic clay of intermediate compressibility (IS 1498 OI)",
        "OH": "Organic clay of high compressibility (IS 1498 OH)",
        "Pt": "Peat and highly organic soil (IS 1498 Pt)",
        "kankar": "Kankar, calcrete nodules in alluvium (not an IS 1498 soil class)",
        "boulders": "Boulders and cobbles (IS 1498: oversize, above 80 mm)",
        "laterite": "Laterite, lithomarge (rock; not classified by IS 1498)",
        "weathered_rock": "Weathered rock, murrum (rock; not classified by IS 1498)",
        "fractured_rock": "Fractured or jointed hard rock (rock; not classified by IS 1498)",
        "sandstone": "Sandstone (rock; not classified by IS 1498)",
        "shale": "Shale (rock; not classified by IS 1498)",
        "limestone": "Limestone (rock; not classified by IS 1498)",
        "granite": "Granite (rock; not classified by IS 1498)",
        "gneiss": "Gneiss (rock; not classified by IS 1498)",
        "schist": "Schist, phyllite (rock; not classified by IS 1498)",
        "basalt": "Basalt, Deccan trap (rock; not classified by IS 1498)",
        "quartzite": "Quartzite (rock; not classified by IS 1498)",
    },
    "drilling_method": {
        "direct_rotary": "Direct (mud) rotary",
        "reverse_rotary": "Reverse circulation rotary",
        "dth": "Down-the-hole hammer (DTH)",
        "rotary_dth": "Rotary-cum-DTH (rotary through overburden, DTH in rock)",
        "percussion": "Cable-tool percussion",
        "auger": "Auger",
        "jetting": "Water jetting / sludger",
        "manual": "Hand boring",
        "other": "Other method",
    },
    "water_quality_flag": {
        "ok": "Tested: within the IS 10500 permissible limit",
        "exceeds": "Tested: exceeds the IS 10500 permissible limit",
        "not_tested": "Not tested",
    },
    "construction_kind": {
        "casing": "Casing (housing or plain pipe)",
        "screen": "Screen (slotted pipe)",
        "blank": "Blank pipe between screens or sump below them",
        "gravel_pack": "Gravel pack in the annulus",
        "seal": "Cement or bentonite seal in the annulus",
    },
    "geophysical_curve": {
        "gamma": "Natural gamma (API or cps)",
        "resistivity": "Electrical resistivity (ohm-m)",
        "sp": "Spontaneous potential (mV)",
        "other": "Other curve",
    },
}


@dataclass(frozen=True)
class Field:
    """One attribute column."""

    name: str
    type: str  # TEXT, INTEGER, REAL, DATE (ISO text), DATETIME (ISO text), BOOLEAN
    description: str = ""
    domain: str | None = None
    required: bool = False
    unique: bool = False
    min: float | None = None  # inclusive range for numbers
    max: float | None = None
    sensitive: bool = False  # personal data that must not leave the department
    since: int = 1

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type}")
        if self.domain is not None and self.domain not in DOMAINS:
            raise ValueError(f"field {self.name}: unknown domain {self.domain}")


FIELD_TYPES = ("TEXT", "INTEGER", "REAL", "DATE", "DATETIME", "BOOLEAN")


@dataclass(frozen=True)
class Layer:
    """One registry table; ``geometry`` is None for attribute-only tables."""

    name: str
    title: str
    geometry: str | None  # POINT, LINESTRING, MULTIPOLYGON or None
    key: str  # the business identifier, unique and required
    fields: tuple[Field, ...]
    description: str = ""
    since: int = 1
    group: str = "Assets"  # layer-tree group in QGIS
    internal: bool = False  # bookkeeping tables (change log) are not asset layers

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def _scheme_ref() -> Field:
    return Field("scheme_id", "TEXT", "Scheme the asset belongs to (IMIS/RPWSS scheme ID)")


def _status() -> Field:
    return Field("status", "TEXT", "Operational status", domain="asset_status")


_LAYERS: tuple[Layer, ...] = (
    Layer(
        "schemes",
        "Schemes",
        None,
        "scheme_id",
        (
            Field("scheme_id", "TEXT", "Unique scheme ID as in JJM-IMIS / state RPWSS", required=True, unique=True),
            Field("name", "TEXT", "Scheme name", required=True),
            Field("name_local", "TEXT", "Scheme name in the local script"),
            Field("scheme_type", "TEXT", "Single- or multi-village scheme", domain="scheme_type"),
            Field("status", "TEXT", "Scheme status", domain="scheme_status"),
            Field("state", "TEXT", "State"),
            Field("district", "TEXT", "District"),
            Field("division", "TEXT", "PHED / water-supply division responsible for the scheme"),
            Field("block", "TEXT", "Development block"),
            Field("design_year", "INTEGER", "Design horizon year", min=1950, max=2100),
            Field("design_population", "INTEGER", "Population served in the design year", min=0),
            Field("lpcd", "REAL", "Service level in litres per capita per day (JJM: 55)", min=0, max=500),
            Field("supply_hours", "REAL", "Hours of supply per day (24 = continuous)", min=0, max=24),
            Field("commissioned", "DATE", "Date of commissioning"),
            Field("agency", "TEXT", "Implementing agency / contractor"),
            Field("layout", "TEXT", "Network layout the department designs the scheme to", domain="network_layout",
                  since=3),
        ),
        "Piped water supply schemes; every asset refers to one by scheme_id.",
        group="Administrative",
    ),
    Layer(
        "villages",
        "Villages",
        "MULTIPOLYGON",
        "village_id",
        (
            Field("village_id", "TEXT", "Village code (LGD)", required=True, unique=True),
            Field("name", "TEXT", "Village name", required=True),
            Field("name_local", "TEXT", "Village name in the local script"),
            _scheme_ref(),
            Field("gram_panchayat", "TEXT", "Gram panchayat"),
            Field("block", "TEXT", "Development block"),
            Field("district", "TEXT", "District"),
            Field("state", "TEXT", "State"),
            Field("households", "INTEGER", "Number of households", min=0),
            Field("population", "INTEGER", "Population (census)", min=0),
        ),
        "Village boundaries, the service area of schemes.",
        group="Administrative",
    ),
    Layer(
        "sources",
        "Water sources",
        "POINT",
        "source_id",
        (
            Field("source_id", "TEXT", "Source ID", required=True, unique=True),
            _scheme_ref(),
            Field("name", "TEXT", "Source name"),
            Field("source_type", "TEXT", "Kind of source", domain="source_type", required=True),
            Field("depth_m", "REAL", "Well depth below ground (m)", min=0, max=1500),
            Field("yield_lpm", "REAL", "Tested yield (litres per minute)", min=0),
            Field("elevation_m", "REAL", "Ground elevation (m above MSL)", min=-100, max=9000),
            Field("head_m", "REAL", "Hydraulic head of the source for modelling (m above MSL)", min=-100, max=9000),
            _status(),
            Field("commissioned", "DATE", "Date of commissioning"),
        ),
    ),
    Layer(
        "pipes",
        "Pipes",
        "LINESTRING",
        "pipe_id",
        (
            Field("pipe_id", "TEXT", "Pipe ID", required=True, unique=True),
            _scheme_ref(),
            Field("material", "TEXT", "Pipe material", domain="pipe_material"),
            Field("diameter_mm", "REAL", "Nominal diameter (mm)", min=10, max=3000),
            Field("pressure_class", "TEXT", "Pressure class", domain="pressure_class"),
            Field("pipe_function", "TEXT", "Role of the pipe in the scheme", domain="pipe_function"),
            Field("laid_date", "DATE", "Date laid"),
            Field("contractor", "TEXT", "Contractor who laid the pipe"),
            _status(),
            Field("geom_source", "TEXT", "Where the geometry came from", domain="geom_source"),
            Field("length_m", "REAL", "Length reported by the contractor or design (m)", min=0),
            Field("roughness", "REAL", "Hazen-Williams C when measured; else taken from material and age", min=1, max=200),
            Field("minor_loss", "REAL", "Minor loss coefficient", min=0, max=1000),
            Field("from_node", "TEXT", "Node ID at the start vertex"),
            Field("to_node", "TEXT", "Node ID at the end vertex"),
        ),
        "Mains and distribution pipes as laid.",
    ),
    Layer(
        "junctions",
        "Junctions",
        "POINT",
        "node_id",
        (
            Field("node_id", "TEXT", "Node ID", required=True, unique=True),
            _scheme_ref(),
            Field("node_type", "TEXT", "Kind of node", domain="node_type"),
            Field("elevation_m", "REAL", "Ground elevation (m above MSL)", min=-100, max=9000),
        ),
        "Pipe junctions, end caps and fittings.",
        group="Network",
    ),
    Layer(
        "valves",
        "Valves",
        "POINT",
        "valve_id",
        (
            Field("valve_id", "TEXT", "Valve ID", required=True, unique=True),
            _scheme_ref(),
            Field("valve_type", "TEXT", "Kind of valve", domain="valve_type", required=True),
            Field("diameter_mm", "REAL", "Nominal diameter (mm)", min=10, max=3000),
            Field("normal_status", "TEXT", "Normal position", domain="valve_status"),
            Field("setting", "REAL", "Setting: pressure (m) for PRV/PSV, flow (l/s) for FCV, loss coefficient for TCV"),
            Field("pipe_id", "TEXT", "Pipe the valve sits on"),
            Field("elevation_m", "REAL", "Ground elevation (m above MSL)", min=-100, max=9000),
            _status(),
        ),
        group="Network",
    ),
    Layer(
        "tanks",
        "Tanks",
        "POINT",
        "tank_id",
        (
            Field("tank_id", "TEXT", "Tank ID", required=True, unique=True),
            _scheme_ref(),
            Field("name", "TEXT", "Tank name"),
            Field("tank_type", "TEXT", "Kind of tank", domain="tank_type", required=True),
            Field("capacity_kl", "REAL", "Capacity (kilolitres)", min=0),
            Field("ground_elev_m", "REAL", "Ground elevation (m above MSL)", min=-100, max=9000),
            Field("staging_m", "REAL", "Staging height: ground to tank floor (m); 0 for GSR/sump", min=0, max=60),
            Field("min_level_m", "REAL", "Minimum water level above the tank floor (m)", min=0),
            Field("max_level_m", "REAL", "Maximum (full supply) level above the tank floor (m)", min=0),
            Field("init_level_m", "REAL", "Initial level above the tank floor for simulation (m)", min=0),
            Field("diameter_m", "REAL", "Equivalent diameter (m)", min=0),
            _status(),
        ),
    ),
    Layer(
        "pumps",
        "Pumps",
        "POINT",
        "pump_id",
        (
            Field("pump_id", "TEXT", "Pump ID", required=True, unique=True),
            _scheme_ref(),
            Field("pump_type", "TEXT", "Kind of pump", domain="pump_type"),
            Field("power_kw", "REAL", "Rated power (kW)", min=0),
            Field("design_head_m", "REAL", "Design head (m)", min=0),
            Field("design_flow_lps", "REAL", "Design flow (l/s)", min=0),
            Field("source_id", "TEXT", "Source or tank the pump draws from"),
            Field("pumping_hours", "REAL", "Hours of pumping per day", min=0, max=24),
            Field("elevation_m", "REAL", "Ground elevation (m above MSL)", min=-100, max=9000),
            _status(),
        ),
    ),
    Layer(
        "treatment_units",
        "Treatment units",
        "POINT",
        "unit_id",
        (
            Field("unit_id", "TEXT", "Treatment unit ID", required=True, unique=True),
            _scheme_ref(),
            Field("name", "TEXT", "Name"),
            Field("unit_type", "TEXT", "Kind of treatment", domain="treatment_type", required=True),
            Field("capacity_kld", "REAL", "Capacity (kilolitres per day)", min=0),
            Field("elevation_m", "REAL", "Ground elevation (m above MSL)", min=-100, max=9000),
            _status(),
        ),
    ),
    Layer(
        "fhtc",
        "Household tap connections",
        "POINT",
        "fhtc_id",
        (
            Field("fhtc_id", "TEXT", "FHTC ID (unique tap ID)", required=True, unique=True),
            _scheme_ref(),
            Field("village_id", "TEXT", "Village code (LGD)"),
            Field("household_head", "TEXT", "Name of the head of household", sensitive=True),
            Field("phone", "TEXT", "Phone number of the household", sensitive=True),
            Field("persons", "INTEGER", "Persons in the household", min=0, max=100),
            Field("connected", "DATE", "Date of connection"),
            Field("status", "TEXT", "Tap status", domain="fhtc_status"),
            Field("pipe_id", "TEXT", "Pipe the connection is taken from"),
            Field("household_id", "TEXT", "Household the tap serves (survey / IMIS household ID)", since=3),
        ),
        "Functional household tap connections (JJM FHTC).",
        group="Consumers",
    ),
    Layer(
        "service_lines",
        "Service lines",
        "LINESTRING",
        "service_line_id",
        (
            Field("service_line_id", "TEXT", "Service line ID", required=True, unique=True, since=4),
            Field("scheme_id", "TEXT", "Scheme the asset belongs to (IMIS/RPWSS scheme ID)", since=4),
            Field("fhtc_id", "TEXT", "Tap connection the line serves", since=4),
            Field("pipe_id", "TEXT", "Distribution pipe the line is taken from", since=4),
            Field("length_m", "REAL", "Length (m)", min=0, since=4),
            Field("diameter_mm", "REAL", "Nominal diameter (mm)", min=5, max=200, since=4),
            Field("material", "TEXT", "Pipe material", domain="pipe_material", since=4),
        ),
        "House service lines: from the distribution pipe (the ferrule) to the tap connection.",
        since=4,
        group="Consumers",
    ),
)

#: Bookkeeping tables. The change log lets any tool's batch be listed and undone.
_INTERNAL: tuple[Layer, ...] = (
    Layer(
        "jalnet_meta",
        "Registry metadata",
        None,
        "key",
        (
            Field("key", "TEXT", "Setting", required=True, unique=True),
            Field("value", "TEXT", "Value"),
        ),
        "Schema version, CRS and provenance of the registry.",
        internal=True,
        group="Change log",
    ),
    Layer(
        "jalnet_batches",
        "Edit batches",
        None,
        "batch_id",
        (
            Field("batch_id", "TEXT", "Batch ID", required=True, unique=True),
            Field("tool", "TEXT", "Tool that wrote the batch", required=True),
            Field("description", "TEXT", "What the batch did"),
            Field("started", "DATETIME", "When the batch was written (UTC)", required=True),
            Field("username", "TEXT", "Operating-system user"),
            Field("n_changes", "INTEGER", "Number of feature changes"),
            Field("undoes", "TEXT", "For an undo batch: the batch it reverted"),
            Field("undone_by", "TEXT", "The undo batch that reverted this one"),
        ),
        internal=True,
        group="Change log",
    ),
    Layer(
        "jalnet_changes",
        "Feature changes",
        None,
        "change_id",
        (
            Field("change_id", "INTEGER", "Change ID", required=True, unique=True),
            Field("batch_id", "TEXT", "Batch ID", required=True),
            Field("seq", "INTEGER", "Order within the batch", required=True),
            Field("op", "TEXT", "insert, update or delete", required=True),
            Field("layer", "TEXT", "Layer", required=True),
            Field("feature_fid", "INTEGER", "fid of the feature", required=True),
            Field("feature_key", "TEXT", "Business ID of the feature"),
            Field("time", "DATETIME", "When (UTC)", required=True),
            Field("old_attrs", "TEXT", "Attributes before (JSON)"),
            Field("new_attrs", "TEXT", "Attributes after (JSON)"),
            Field("old_geom", "TEXT", "Geometry before (hex WKB)"),
            Field("new_geom", "TEXT", "Geometry after (hex WKB)"),
        ),
        internal=True,
        group="Change log",
    ),
    Layer(
        "jalnet_keys",
        "Business-key counters",
        None,
        "family",
        (
            Field("family", "TEXT", "Layer, field and pattern, e.g. pipes.pipe_id:P-####", required=True, unique=True,
                  since=4),
            Field("last_value", "INTEGER", "Highest number given out", required=True, since=4),
        ),
        "Where new business keys (P-0042, J-0050) come from: one row per layer and numbering pattern, "
        "advanced atomically, so editors writing at once never get the same key.",
        since=4,
        internal=True,
        group="Change log",
    ),
)

# ---------------------------------------------------------------------------------------
# Layers of the capability engines (schema v2). Each engine keeps its own block.
# ---------------------------------------------------------------------------------------
#: Contractor tracks: staging candidates, validation findings and accepted exceptions.
_TRACKS_LAYERS: tuple[Layer, ...] = (
    Layer(
        "staged_pipes",
        "Staged pipe candidates",
        "LINESTRING",
        "candidate_id",
        (
            Field("candidate_id", "TEXT", "Candidate ID", required=True, unique=True, since=2),
            Field("import_batch", "TEXT", "Import batch ID (the registry change-log batch)", since=2),
            Field("source_file", "TEXT", "File the track came from", since=2),
            Field("source_ref", "TEXT", "Where in the file: folder/placemark, track/segment, or CSV track id", since=2),
            Field("name", "TEXT", "Name in the source", since=2),
            Field("description", "TEXT", "Description in the source", since=2),
            # Attributes as the contractor gave them: no domains here, so that out-of-domain
            # values reach validation and are reported instead of refused at import.
            Field("pipe_id", "TEXT", "Pipe ID given by the contractor", since=2),
            Field("scheme_id", "TEXT", "Scheme ID given by the contractor", since=2),
            Field("material", "TEXT", "Material as given", since=2),
            Field("diameter_mm", "REAL", "Diameter (mm) as given", since=2),
            Field("pressure_class", "TEXT", "Pressure class as given", since=2),
            Field("laid_date", "DATE", "Date laid", since=2),
            Field("contractor", "TEXT", "Contractor", since=2),
            Field("geom_source", "TEXT", "gps_track or contractor_kml", domain="geom_source", since=2),
            Field("length_m", "REAL", "Length reported by the contractor (m)", since=2),
            Field("points_in", "INTEGER", "GPS points read", since=2),
            Field("points_kept", "INTEGER", "GPS points kept after cleaning", since=2),
            Field("dropped", "TEXT", "Points dropped by reason (JSON)", since=2),
            Field("accuracy_m", "REAL", "GPS error (m): median reported accuracy, else estimated from the fixes", since=2),
            Field("state", "TEXT", "Where the candidate is in import, snap, add", domain="staged_state", since=2),
            Field("result_pipe_id", "TEXT", "Registry pipe it became or was conflated with", since=2),
            Field("message", "TEXT", "Why it was rejected, or notes from cleaning and snapping", since=2),
        ),
        "Contractor pipe alignments imported and cleaned, before snapping into pipes.",
        since=2,
        group="Staging",
    ),
    Layer(
        "staged_points",
        "Staged point candidates",
        "POINT",
        "candidate_id",
        (
            Field("candidate_id", "TEXT", "Candidate ID", required=True, unique=True, since=2),
            Field("import_batch", "TEXT", "Import batch ID", since=2),
            Field("source_file", "TEXT", "File the point came from", since=2),
            Field("source_ref", "TEXT", "Where in the file", since=2),
            Field("kind", "TEXT", "What the point is", domain="staged_point_kind", since=2),
            Field("asset_id", "TEXT", "FHTC or valve ID as given", since=2),
            Field("scheme_id", "TEXT", "Scheme ID as given", since=2),
            Field("name", "TEXT", "Name in the source", since=2),
            Field("description", "TEXT", "Description in the source", since=2),
            Field("attributes", "TEXT", "Other attributes from the source (JSON)", since=2),
            Field("observed", "DATETIME", "Time of the fix, when given", since=2),
            Field("state", "TEXT", "Where the candidate is", domain="staged_state", since=2),
            Field("message", "TEXT", "Notes", since=2),
        ),
        "Contractor points (tap connections, valves) imported, before they become assets.",
        since=2,
        group="Staging",
    ),
    Layer(
        "network_exceptions",
        "Accepted validation exceptions",
        None,
        "exception_id",
        (
            Field("exception_id", "TEXT", "Exception ID", required=True, unique=True, since=2),
            Field("rule", "TEXT", "Rule code", required=True, since=2),
            Field("fingerprint", "TEXT", "Stable identity of the finding (rule + asset ids)", required=True, since=2),
            Field("layer", "TEXT", "Layer of the asset(s)", since=2),
            Field("asset_ids", "TEXT", "Asset IDs concerned", since=2),
            Field("note", "TEXT", "Why it is accepted", since=2),
            Field("accepted_by", "TEXT", "Who accepted it", since=2),
            Field("accepted_at", "DATETIME", "When", since=2),
        ),
        "Validation findings accepted as legitimate; they are not reported again.",
        since=2,
        group="Validation",
    ),
)

#: Hydraulic scenarios and their parameters, and what an EPANET model holds beyond the asset
#: layers (options, patterns, curves, controls, per-asset properties), so that an .inp goes
#: into the registry and comes back simulating the same.
_HYDRAULICS_LAYERS: tuple[Layer, ...] = (
    Layer(
        "hyd_scenarios",
        "Hydraulic scenarios",
        None,
        "scenario_key",
        (
            Field("scenario_key", "TEXT", "scheme_id/name", required=True, unique=True, since=2),
            Field("scheme_id", "TEXT", "Scheme the scenario belongs to", required=True, since=2),
            Field("name", "TEXT", "Scenario name, unique within the scheme", required=True, since=2),
            Field("kind", "TEXT", "What the scenario simulates", domain="hyd_scenario_kind", required=True, since=2),
            Field("parameters", "TEXT", "Parameters (JSON object), e.g. {\"peak_factor\": 3}", since=2),
            Field("description", "TEXT", "What the scenario is for", since=2),
        ),
        "Named hydraulic scenarios of a scheme with their parameters.",
        since=2,
        group="Hydraulics",
    ),
    Layer(
        "hyd_models",
        "Hydraulic model settings",
        None,
        "scheme_id",
        (
            Field("scheme_id", "TEXT", "Scheme the model settings belong to", required=True, unique=True, since=2),
            Field("title", "TEXT", "Model title ([TITLE] lines)", since=2),
            Field("flow_units", "TEXT", "Flow units .inp files are written in", domain="hyd_flow_units", since=2),
            Field("headloss", "TEXT", "Head-loss formula", domain="hyd_headloss", since=2),
            Field("options", "TEXT", "Analysis options by section (JSON, SI units as WNTR holds them)", since=2),
            Field("controls", "TEXT", "[CONTROLS] lines in LPS/metre units", since=2),
            Field("rules", "TEXT", "[RULES] text in LPS/metre units", since=2),
            Field("extras", "TEXT", "Map labels and other display-only sections (JSON)", since=2),
            Field("source_file", "TEXT", "The .inp file the model came from", since=2),
            Field("source_crs", "TEXT", "CRS of the .inp coordinates", since=2),
        ),
        "Model-wide EPANET settings of a scheme (from an imported .inp, or set by an engineer).",
        since=2,
        group="Hydraulics",
    ),
    Layer(
        "hyd_patterns",
        "Hydraulic patterns",
        None,
        "pattern_key",
        (
            Field("pattern_key", "TEXT", "scheme_id/name", required=True, unique=True, since=2),
            Field("scheme_id", "TEXT", "Scheme", required=True, since=2),
            Field("name", "TEXT", "Pattern ID in the model", required=True, since=2),
            Field("multipliers", "TEXT", "Multipliers per pattern step (JSON list)", required=True, since=2),
            Field("description", "TEXT", "What the pattern is", since=2),
        ),
        "Time patterns (demand, head, speed, price) of a scheme's model.",
        since=2,
        group="Hydraulics",
    ),
    Layer(
        "hyd_curves",
        "Hydraulic curves",
        None,
        "curve_key",
        (
            Field("curve_key", "TEXT", "scheme_id/name", required=True, unique=True, since=2),
            Field("scheme_id", "TEXT", "Scheme", required=True, since=2),
            Field("name", "TEXT", "Curve ID in the model", required=True, since=2),
            Field("curve_type", "TEXT", "What the curve describes (empty: unused)", domain="hyd_curve_type", since=2),
            Field("points", "TEXT", "[[x, y], ...] in the units of the curve type (JSON)", required=True, since=2),
            Field("description", "TEXT", "What the curve is", since=2),
        ),
        "Pump, efficiency, tank volume and valve curves of a scheme's model.",
        since=2,
        group="Hydraulics",
    ),
    Layer(
        "hyd_elements",
        "Hydraulic element properties",
        None,
        "element_key",
        (
            Field("element_key", "TEXT", "layer/asset_id", required=True, unique=True, since=2),
            Field("scheme_id", "TEXT", "Scheme", required=True, since=2),
            Field("layer", "TEXT", "Registry layer of the asset", required=True, since=2),
            Field("asset_id", "TEXT", "Asset ID in that layer", required=True, since=2),
            Field("model_name", "TEXT", "ID in the model when it differs from the asset ID", since=2),
            Field("start_node", "TEXT", "Pumps and valves: asset ID of the upstream node", since=2),
            Field("end_node", "TEXT", "Pumps and valves: asset ID of the downstream node", since=2),
            Field("properties", "TEXT", "Model properties the asset layer has no field for (JSON, SI units)", since=2),
        ),
        "Per-asset model properties beyond the asset layers: demands and their patterns, emitters, initial "
        "status, pump curves, valve ends, quality and reaction settings.",
        since=2,
        group="Hydraulics",
    ),
)

#: Boreholes, lithology and construction intervals.
_GEOLOGY_LAYERS: tuple[Layer, ...] = (
    Layer(
        "boreholes",
        "Boreholes",
        "POINT",
        "borehole_id",
        (
            Field("borehole_id", "TEXT", "Borehole ID", required=True, unique=True, since=2),
            Field("source_id", "TEXT", "Water source the borehole is or feeds (sources.source_id)", since=2),
            Field("scheme_id", "TEXT", "Scheme the borehole belongs to", since=2),
            Field("name", "TEXT", "Name or location", since=2),
            Field("collar_elev_m", "REAL", "Collar (ground) elevation (m above MSL)", min=-100, max=9000, since=2),
            Field("drilled_depth_m", "REAL", "Drilled depth below ground (m)", min=0, max=3000, since=2),
            Field("drilled_date", "DATE", "Date drilling was completed", since=2),
            Field("drilling_method", "TEXT", "Drilling method", domain="drilling_method", since=2),
            Field("driller", "TEXT", "Drilling agency or contractor", since=2),
            Field("swl_m", "REAL", "Static water level below ground (m; negative: flowing above ground)", min=-100,
                  max=3000, since=2),
            Field("yield_lpm", "REAL", "Tested yield (litres per minute)", min=0, since=2),
            Field("drawdown_m", "REAL", "Drawdown at the tested yield (m)", min=0, max=3000, since=2),
            Field("arsenic_flag", "TEXT", "Arsenic against IS 10500", domain="water_quality_flag", since=2),
            Field("fluoride_flag", "TEXT", "Fluoride against IS 10500", domain="water_quality_flag", since=2),
            Field("iron_flag", "TEXT", "Iron against IS 10500", domain="water_quality_flag", since=2),
            Field("first_aquifer_m", "REAL", "Depth to the top of the first aquifer (m), from the litholog", min=0,
                  since=2),
            Field("aquifer_thickness_m", "REAL", "Total aquifer thickness logged (m), from the litholog", min=0,
                  since=2),
            Field("source_file", "TEXT", "Field sheet the borehole was imported from", since=2),
            Field("findings", "TEXT", "Validation faults flagged on the borehole (rule: message; ...)", since=2),
        ),
        "Drilled boreholes and their tests; lithology and construction are in the interval tables.",
        since=2,
        group="Geology",
    ),
    Layer(
        "lithology_intervals",
        "Lithology intervals",
        None,
        "interval_id",
        (
            Field("interval_id", "TEXT", "Interval ID: borehole ID and number from the top (BH-01:3)", required=True,
                  unique=True, since=2),
            Field("borehole_id", "TEXT", "Borehole (boreholes.borehole_id)", required=True, since=2),
            Field("from_m", "REAL", "Top of the interval below ground (m)", required=True, min=0, max=3000, since=2),
            Field("to_m", "REAL", "Bottom of the interval below ground (m)", required=True, min=0, max=3000, since=2),
            Field("lithology", "TEXT", "Lithology code; empty when the logged word is not in the vocabulary",
                  domain="lithology", since=2),
            Field("logged_as", "TEXT", "Lithology word as written in the field sheet", since=2),
            Field("description", "TEXT", "Driller's or geologist's description", since=2),
            Field("aquifer", "BOOLEAN", "Water-bearing (aquifer) rather than confining (aquitard)", since=2),
        ),
        "Lithology of each borehole, top to bottom.",
        since=2,
        group="Geology",
    ),
    Layer(
        "construction_intervals",
        "Well construction intervals",
        None,
        "construction_id",
        (
            Field("construction_id", "TEXT", "Construction interval ID (BH-01:c2)", required=True, unique=True,
                  since=2),
            Field("borehole_id", "TEXT", "Borehole (boreholes.borehole_id)", required=True, since=2),
            Field("from_m", "REAL", "Top below ground (m)", required=True, min=0, max=3000, since=2),
            Field("to_m", "REAL", "Bottom below ground (m)", required=True, min=0, max=3000, since=2),
            Field("kind", "TEXT", "Casing, screen, blank pipe, gravel pack or seal", domain="construction_kind",
                  required=True, since=2),
            Field("slot_mm", "REAL", "Screen slot size (mm)", min=0, max=50, since=2),
            Field("diameter_mm", "REAL", "Pipe diameter, or hole diameter for gravel pack and seal (mm)", min=10,
                  max=2000, since=2),
            Field("material", "TEXT", "Pipe or fill material (uPVC, MS, SS, pea gravel, bentonite...)", since=2),
        ),
        "How each well was built: casing, screens, gravel pack, seals.",
        since=2,
        group="Geology",
    ),
    Layer(
        "geophysical_logs",
        "Geophysical logs",
        None,
        "log_id",
        (
            Field("log_id", "TEXT", "Curve ID: borehole ID and curve mnemonic (BH-01:GR)", required=True, unique=True,
                  since=2),
            Field("borehole_id", "TEXT", "Borehole (boreholes.borehole_id)", required=True, since=2),
            Field("curve", "TEXT", "Curve mnemonic in the LAS file", required=True, since=2),
            Field("kind", "TEXT", "What the curve measures", domain="geophysical_curve", since=2),
            Field("unit", "TEXT", "Unit of the values", since=2),
            Field("description", "TEXT", "Curve description in the LAS file", since=2),
            Field("top_m", "REAL", "Shallowest sample (m below ground)", since=2),
            Field("base_m", "REAL", "Deepest sample (m below ground)", since=2),
            Field("samples", "TEXT", "Depth and value arrays (JSON: {\"depth\": [...], \"value\": [...]})", since=2),
            Field("source_file", "TEXT", "LAS file the curve was read from", since=2),
        ),
        "Borehole geophysical curves (gamma, resistivity) read from LAS files.",
        since=2,
        group="Geology",
    ),
)

#: Files (photos from field capture) kept with the asset they show (schema v3). The content is
#: base64 text so that it goes through the change log, undo and copy like any attribute.
_ATTACHMENT_LAYERS: tuple[Layer, ...] = (
    Layer(
        "attachments",
        "Attachments",
        None,
        "attachment_id",
        (
            Field("attachment_id", "TEXT", "Attachment ID", required=True, unique=True, since=3),
            Field("layer", "TEXT", "Registry layer of the asset the file belongs to", required=True, since=3),
            Field("asset_id", "TEXT", "ID of the asset in that layer", required=True, since=3),
            Field("file_name", "TEXT", "File name as captured", required=True, since=3),
            Field("mime_type", "TEXT", "Media type, e.g. image/jpeg", since=3),
            Field("size_bytes", "INTEGER", "Size of the file (bytes)", min=0, since=3),
            Field("sha256", "TEXT", "SHA-256 of the file content", since=3),
            Field("content", "TEXT", "File content, base64", since=3),
            Field("captured", "DATETIME", "When the file was taken (UTC)", since=3),
            Field("source", "TEXT", "Where it came from, e.g. the field package ID", since=3),
            Field("note", "TEXT", "Note written with the file", since=3),
        ),
        "Photos and other files attached to assets, e.g. from field capture.",
        since=3,
        group="Attachments",
    ),
)

#: Data-health runs: each run's findings over all modules, so the next run shows what is new and fixed.
_HEALTH_LAYERS: tuple[Layer, ...] = (
    Layer(
        "health_runs",
        "Data-health runs",
        None,
        "run_id",
        (
            Field("run_id", "TEXT", "Run ID", required=True, unique=True, since=3),
            Field("started", "DATETIME", "When the run started (UTC)", required=True, since=3),
            Field("scope", "TEXT", "Scheme checked, or empty for the whole registry", since=3),
            Field("findings", "INTEGER", "Findings reported (accepted exceptions left out)", since=3),
            Field("new", "INTEGER", "Findings not in the previous run of the same scope", since=3),
            Field("fixed", "INTEGER", "Findings of the previous run gone in this one", since=3),
            Field("score", "REAL", "Mean health score of the schemes checked (0-100)", min=0, max=100, since=3),
            Field("modules", "TEXT", "Modules checked, and those skipped with the reason (JSON)", since=3),
        ),
        "One row per 'jalnet health' run.",
        since=3,
        group="Validation",
    ),
    Layer(
        "health_findings",
        "Data-health findings",
        None,
        "finding_key",
        (
            Field("finding_key", "TEXT", "run_id/fingerprint", required=True, unique=True, since=3),
            Field("run_id", "TEXT", "Run (health_runs.run_id)", required=True, since=3),
            Field("fingerprint", "TEXT", "Stable identity of the finding (rule + asset ids)", required=True, since=3),
            Field("rule", "TEXT", "Rule code", required=True, since=3),
            Field("module", "TEXT", "network, registry, geology, hydraulics or gatishakti", since=3),
            Field("severity", "TEXT", "error, warning or info", since=3),
            Field("layer", "TEXT", "Layer of the asset", since=3),
            Field("asset_id", "TEXT", "Asset ID(s)", since=3),
            Field("scheme_id", "TEXT", "Scheme", since=3),
            Field("first_seen", "DATETIME", "Start of the first run that found it", since=3),
            Field("status", "TEXT", "new, open or fixed in this run", domain="health_status", since=3),
            Field("message", "TEXT", "What is wrong", since=3),
        ),
        "Findings of each data-health run (fixed ones included), for the trend between runs.",
        since=3,
        group="Validation",
    ),
)

#: Hydraulic runs kept in the registry (schema v4): what ran, when, by whom, and per junction and
#: pipe the values the service norms are checked on, so data health can read the last run back.
_HYDRAULIC_RUN_LAYERS: tuple[Layer, ...] = (
    Layer(
        "hyd_runs",
        "Hydraulic runs",
        None,
        "run_id",
        (
            Field("run_id", "TEXT", "Run ID: RUN- and a number from the registry's key counter", required=True,
                  unique=True, since=4),
            Field("scheme_id", "TEXT", "Scheme that was run", required=True, since=4),
            Field("scenario", "TEXT", "Scenario name", required=True, since=4),
            Field("kind", "TEXT", "What the scenario simulates", domain="hyd_scenario_kind", since=4),
            Field("started", "DATETIME", "When the run was made (UTC)", required=True, since=4),
            Field("engine", "TEXT", "Simulator and how it ran (WNTR, EPANET, serial or Dask)", since=4),
            Field("settings", "TEXT", "Scenario parameters, model parameters, DEM, norms and start (JSON)", since=4),
            Field("run_by", "TEXT", "User who made the run", since=4),
            Field("junctions", "INTEGER", "Junctions with a result", min=0, since=4),
            Field("pressure_min_m", "REAL", "Lowest pressure at a junction while it draws water (m)", since=4),
            Field("velocity_max_ms", "REAL", "Highest velocity in a pipe (m/s)", since=4),
        ),
        "One row per scenario of a scheme run by 'jalnet hydraulics run', the hydraulics panel or Processing.",
        since=4,
        group="Hydraulics",
    ),
    Layer(
        "hyd_run_nodes",
        "Hydraulic run: junctions",
        None,
        "result_key",
        (
            Field("result_key", "TEXT", "run_id/node_id", required=True, unique=True, since=4),
            Field("run_id", "TEXT", "Run (hyd_runs.run_id)", required=True, since=4),
            Field("asset_id", "TEXT", "Junction (junctions.node_id)", required=True, since=4),
            Field("pressure_min_m", "REAL", "Lowest pressure while the junction draws water (m; empty: cut off)",
                  since=4),
            Field("pressure_peak_m", "REAL", "Pressure at the peak hour (m)", since=4),
            Field("cut_off", "BOOLEAN", "Cut off from every source at some time of the run", since=4),
        ),
        "Per junction of a stored hydraulic run: the pressures the service norms are checked on.",
        since=4,
        group="Hydraulics",
    ),
    Layer(
        "hyd_run_links",
        "Hydraulic run: pipes",
        None,
        "result_key",
        (
            Field("result_key", "TEXT", "run_id/pipe_id", required=True, unique=True, since=4),
            Field("run_id", "TEXT", "Run (hyd_runs.run_id)", required=True, since=4),
            Field("asset_id", "TEXT", "Pipe (pipes.pipe_id)", required=True, since=4),
            Field("velocity_max_ms", "REAL", "Highest velocity during the run (m/s)", since=4),
            Field("velocity_peak_ms", "REAL", "Velocity at the peak hour (m/s)", since=4),
            Field("open_peak", "BOOLEAN", "Open at the peak hour", since=4),
        ),
        "Per pipe of a stored hydraulic run: the velocities the service norms are checked on.",
        since=4,
        group="Hydraulics",
    ),
)

_ENGINE_LAYERS: tuple[Layer, ...] = (_TRACKS_LAYERS + _HYDRAULICS_LAYERS + _GEOLOGY_LAYERS + _ATTACHMENT_LAYERS
                                  + _HEALTH_LAYERS + _HYDRAULIC_RUN_LAYERS)

#: Layers by name, in load order (referenced tables first).
LAYERS: dict[str, Layer] = {layer.name: layer for layer in _LAYERS + _ENGINE_LAYERS + _INTERNAL}

#: Asset and administrative layers (everything a user edits), in load order.
ASSET_LAYERS: tuple[str, ...] = tuple(layer.name for layer in _LAYERS + _ENGINE_LAYERS if not layer.internal)


#: Fields with a b-tree index in both stores: what scoped reads, snaps and the change log filter on.
_INDEXED = ("scheme_id", "import_batch", "batch_id")


def indexes(lyr: Layer) -> list[tuple[str, tuple[str, ...]]]:
    """(index name, columns) of the plain indexes of a layer; unique fields have theirs already."""
    out = [(f"{lyr.name}_{f.name}_idx", (f.name,)) for f in lyr.fields if f.name in _INDEXED and not f.unique]
    if lyr.name == "jalnet_changes":  # who last changed a feature: conflict messages and undo checks
        out.append(("jalnet_changes_feature_idx", ("layer", "feature_fid")))
    return out


def layer(name: str) -> Layer:
    """The layer definition, or a clear error naming the known layers."""
    try:
        return LAYERS[name]
    except KeyError:
        from ..errors import RegistryError

        known = ", ".join(n for n, lyr in LAYERS.items() if not lyr.internal)
        raise RegistryError(f"unknown registry layer '{name}'; known layers: {known}") from None


def domain_text(name: str) -> str:
    """Codes of a domain, for error messages."""
    return ", ".join(DOMAINS[name])
