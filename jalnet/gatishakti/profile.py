"""Export profiles: what the PM Gati Shakti package holds, read from a JSON (or YAML) file.

No public data dictionary of the National Master Plan exists, so nothing about the target
layers is hard-coded: a profile names the target layers, their fields, types, lengths, code
lists, mandatory and sensitive fields. A profile is validated here in plain Python before
anything is read from the registry, and every refusal names the file and the path inside it
(``layers[2].fields[4]``) so that the person adapting the profile can fix it.

Personal data: a registry field marked ``sensitive`` in the schema (household head, phone)
may appear in a profile only with ``"sensitive": true``, which withholds it; a profile can
also withhold any other field that way. A withheld field is never written, whatever else the
profile says, and a field cannot be both mandatory and withheld.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..registry.schema import DOMAINS, LAYERS

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = "default"

#: Output formats by their short name: (label, file suffix).
FORMATS: dict[str, tuple[str, str]] = {
    "gpkg": ("GeoPackage", ".gpkg"),
    "shp": ("ESRI Shapefile", ".shp"),
    "geojson": ("GeoJSON (RFC 7946)", ".geojson"),
    "kml": ("KML", ".kml"),
}
TYPES = ("string", "integer", "real", "date")
GEOMETRIES = {"Point": "POINT", "LineString": "LINESTRING", "MultiPolygon": "MULTIPOLYGON"}
SHAPEFILE_NAME_MAX = 10
STRING_LENGTH_MAX = 254  # the longest text a shapefile (dBase) field holds

#: Values computed for each feature rather than copied from one registry field:
#: name -> (what it is, geometry it needs or None).
DERIVED: dict[str, tuple[str, str | None]] = {
    "asset_uid": ("'<scheme_id>/<asset ID>': unique across schemes", None),
    "scheme_name": ("name of the feature's scheme (schemes.name)", None),
    "state": ("state of the feature's scheme (schemes.state)", None),
    "district": ("district of the feature's scheme (schemes.district)", None),
    "block": ("block of the feature's scheme (schemes.block)", None),
    "division": ("PHED division of the feature's scheme (schemes.division)", None),
    "length_m": ("length of the line in metres, measured in the registry's metric CRS", "LINESTRING"),
    "longitude": ("longitude of the point in WGS 84 (degrees)", "POINT"),
    "latitude": ("latitude of the point in WGS 84 (degrees)", "POINT"),
    "export_date": ("date of the export (YYYY-MM-DD)", None),
}

_TOP_KEYS = {"profile_version", "name", "title", "description", "crs", "contact", "metadata", "formats", "layers"}
_TOP_REQUIRED = ("profile_version", "name", "description", "crs", "contact", "layers")
_CONTACT_KEYS = {"organisation", "individual", "position", "email", "role"}
_META_KEYS = {"keywords", "topic_categories", "use_constraints", "language"}
_LAYER_KEYS = {"name", "source", "title", "abstract", "geometry", "include", "fields"}
_LAYER_REQUIRED = ("name", "source", "title", "geometry", "fields")
_FIELD_KEYS = {"name", "shp_name", "description", "source", "value", "derived", "type", "length", "precision",
               "mandatory", "unique", "codes", "sensitive", "truncate"}
_FIELD_REQUIRED = ("name", "type")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class FieldSpec:
    """One target field and where its value comes from (exactly one of source, value, derived)."""

    name: str
    type: str
    path: str
    source: str | None = None
    value: Any = None
    derived: str | None = None
    shp_name: str | None = None
    description: str = ""
    length: int | None = None
    precision: int | None = None
    mandatory: bool = False
    unique: bool = False
    codes: dict[str, str] | None = None
    sensitive: bool = False
    truncate: bool = False

    @property
    def shapefile_name(self) -> str:
        return self.shp_name or self.name

    @property
    def origin(self) -> str:
        if self.source is not None:
            return f"registry field {self.source}"
        if self.derived is not None:
            return f"derived: {self.derived}"
        return f"constant {self.value!r}"


@dataclass(frozen=True)
class LayerSpec:
    name: str
    source: str
    title: str
    geometry: str  # Point, LineString or MultiPolygon
    fields: tuple[FieldSpec, ...]
    path: str
    abstract: str = ""
    include: bool = True

    def is_withheld(self, spec: FieldSpec) -> bool:
        """Marked sensitive, or taken from a field the registry schema marks sensitive (a second guard
        for profiles built in code, which skip :func:`parse_profile`)."""
        reg = LAYERS[self.source]
        return spec.sensitive or (spec.source is not None and reg.field(spec.source).sensitive)

    @property
    def exported(self) -> tuple[FieldSpec, ...]:
        """The fields written: everything but the withheld (sensitive) ones."""
        return tuple(f for f in self.fields if not self.is_withheld(f))

    @property
    def withheld(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if self.is_withheld(f))

    @property
    def id_field(self) -> FieldSpec:
        """The first unique field: the asset ID features are named by."""
        return next(f for f in self.fields if f.unique)

    @property
    def scheme_field(self) -> FieldSpec:
        return next(f for f in self.fields if f.source == "scheme_id")


@dataclass(frozen=True)
class Profile:
    name: str
    version: str
    description: str
    crs: str
    contact: dict[str, str]
    layers: tuple[LayerSpec, ...]
    title: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    formats: tuple[str, ...] = tuple(FORMATS)
    file: str = "<profile>"
    sha256: str = ""
    text: str = ""  # the profile as read, copied into the package

    def layer(self, name: str) -> LayerSpec:
        for lyr in self.layers:
            if name in (lyr.name, lyr.source):
                return lyr
        raise InputError(
            f"profile {self.file}: no layer '{name}' (layers: {', '.join(f'{x.name} ({x.source})' for x in self.layers)})"
        )

    def selected(self, names: list[str] | None = None) -> list[LayerSpec]:
        """The layers to export: those named (target or registry name), else those with include true;
        names written '+name' are added to the included ones."""
        names = [n.strip() for n in names or [] if n.strip()]
        adding = bool(names) and all(n.startswith("+") for n in names)
        picked = [lyr for lyr in self.layers if lyr.include] if adding or not names else []
        for name in names:
            lyr = self.layer(name.lstrip("+").strip())
            if lyr not in picked:
                picked.append(lyr)
        if not picked:
            raise InputError(f"profile {self.file}: no layer has \"include\": true; name the layers to export")
        return picked


# =========================================================================================
def bundled_profiles() -> dict[str, Path]:
    """Profiles shipped with JalNet, by name (file stem)."""
    return {p.stem: p for p in sorted(PROFILE_DIR.glob("*.json"))}


def load_profile(profile: str | Path | Profile | None = None) -> Profile:
    """A profile from a file path, a bundled name ('default'), or the default when None."""
    if isinstance(profile, Profile):
        return profile
    if profile is None or str(profile).strip() == "":
        profile = DEFAULT_PROFILE
    bundled = bundled_profiles()
    path = Path(profile)
    if not path.exists() and str(profile) in bundled:
        path = bundled[str(profile)]
    if not path.is_file():
        raise InputError(
            f"profile {profile} not found; give a .json/.yaml file or a bundled profile ({', '.join(bundled)})"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"profile {path}: cannot be read as UTF-8 text ({err})") from None
    data = _parse(path, text)
    return parse_profile(data, file=path.name, text=text)


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise InputError(
                f"profile {path.name}: reading YAML needs PyYAML (pip install pyyaml, or python3-yaml); "
                "or write the profile as JSON"
            ) from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise InputError(f"profile {path.name}: not valid YAML{where}: {getattr(err, 'problem', err)}") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as err:
        raise InputError(
            f"profile {path.name}: not valid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
        ) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise json.JSONDecodeError(f"key '{key}' appears twice in one object", "", 0)
        out[key] = value
    return out


# =========================================================================================
class _Checker:
    """Typed access to a parsed profile; every refusal names the file and the path."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, path: str, message: str) -> InputError:
        return InputError(f"profile {self.file}: {path + ': ' if path else ''}{message}")

    def keys(self, obj: Any, path: str, allowed: set[str], required: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise self.fail(path, f"must be an object ({{...}}), not {type(obj).__name__}")
        for key in obj:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(sorted(allowed))})"
                raise self.fail(path, f"unknown key '{key}'{hint}")
        for key in required:
            if key not in obj:
                raise self.fail(path, f"missing key '{key}'")
        return obj

    def text(self, obj: dict, key: str, path: str, default: str | None = None) -> str:
        value = obj.get(key, default)
        if not isinstance(value, str) or (key in obj and not value.strip()):
            raise self.fail(path, f"'{key}' must be non-empty text")
        return value

    def flag(self, obj: dict, key: str, path: str, default: bool = False) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(path, f"'{key}' must be true or false, not {value!r}")
        return value

    def integer(self, obj: dict, key: str, path: str, low: int, high: int) -> int | None:
        if key not in obj:
            return None
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(path, f"'{key}' must be a whole number from {low} to {high}, not {value!r}")
        return value

    def text_list(self, obj: dict, key: str, path: str) -> list[str]:
        value = obj.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(path, f"'{key}' must be a list of non-empty texts")
        return value


def parse_profile(data: Any, file: str = "<profile>", text: str | None = None) -> Profile:
    """Validate parsed profile data against the profile rules and the registry schema."""
    c = _Checker(file)
    c.keys(data, "", _TOP_KEYS, _TOP_REQUIRED)
    name = c.text(data, "name", "")
    if not _PROFILE_NAME.match(name):
        raise c.fail("name", f"'{name}' may hold only letters, digits, '.', '_' and '-'")
    version = data["profile_version"]
    if not isinstance(version, str) or not version.strip():
        raise c.fail("profile_version", "must be text such as \"1.0\"")
    crs = c.text(data, "crs", "")
    if crs.upper() != "EPSG:4326":
        raise c.fail("crs", f"'{crs}' is not supported: the package is WGS 84 longitude/latitude, write \"EPSG:4326\"")
    contact = c.keys(data["contact"], "contact", _CONTACT_KEYS, ("organisation",))
    for key in contact:
        c.text(contact, key, "contact")
    meta = c.keys(data.get("metadata", {}), "metadata", _META_KEYS, ())
    for key in ("keywords", "topic_categories"):
        c.text_list(meta, key, "metadata")
    for key in ("use_constraints", "language"):
        if key in meta:
            c.text(meta, key, "metadata")
    formats = tuple(c.text_list(data, "formats", "")) or tuple(FORMATS)
    for fmt in formats:
        if fmt not in FORMATS:
            raise c.fail("formats", f"unknown format '{fmt}' (formats: {', '.join(FORMATS)})")
    raw_layers = data["layers"]
    if not isinstance(raw_layers, list) or not raw_layers:
        raise c.fail("layers", "must be a non-empty list of layers")
    layers = tuple(_layer(c, raw, f"layers[{i}]") for i, raw in enumerate(raw_layers))
    _unique([lyr.name for lyr in layers], [lyr.path for lyr in layers], c, "target layer name")
    if text is None:
        text = json.dumps(data, indent=2, ensure_ascii=False)
    return Profile(
        name=name, version=version.strip(), description=c.text(data, "description", ""), crs="EPSG:4326",
        contact=dict(contact), layers=layers, title=c.text(data, "title", "", name), metadata=dict(meta),
        formats=formats, file=file, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), text=text,
    )


def _unique(names: list[str], paths: list[str], c: _Checker, what: str, casefold: bool = True) -> None:
    seen: dict[str, str] = {}
    for name, path in zip(names, paths):
        key = name.lower() if casefold else name
        if key in seen:
            raise c.fail(path, f"{what} '{name}' is already used at {seen[key]} (names must differ, "
                               f"{'ignoring case' if casefold else 'exactly'})")
        seen[key] = path


def _layer(c: _Checker, raw: Any, base: str) -> LayerSpec:
    path = _labelled(raw, base)
    c.keys(raw, path, _LAYER_KEYS, _LAYER_REQUIRED)
    name = c.text(raw, "name", path)
    if not _NAME.match(name) or len(name) > 63:
        raise c.fail(path, f"layer name '{name}' must be letters, digits and '_' (at most 63), starting with a letter")
    source = c.text(raw, "source", path)
    reg = LAYERS.get(source)
    if reg is None or reg.internal or reg.geometry is None:
        spatial = ", ".join(n for n, lyr in LAYERS.items() if lyr.geometry and not lyr.internal)
        raise c.fail(path, f"source '{source}' is not a registry layer with geometry (layers: {spatial})")
    geometry = c.text(raw, "geometry", path)
    if GEOMETRIES.get(geometry) != reg.geometry:
        expected = next(k for k, v in GEOMETRIES.items() if v == reg.geometry)
        raise c.fail(path, f"geometry '{geometry}' does not match registry layer {source}, which holds {expected}")
    raw_fields = raw["fields"]
    if not isinstance(raw_fields, list) or not raw_fields:
        raise c.fail(path, "'fields' must be a non-empty list")
    fields = tuple(_field(c, f, f"{base}.fields[{i}]", source) for i, f in enumerate(raw_fields))
    where = path
    _unique([f.name for f in fields], [f.path for f in fields], c, "field name")
    _unique([f.shapefile_name for f in fields if not f.sensitive], [f.path for f in fields if not f.sensitive], c,
            "shapefile field name")
    if not any(f.source == "scheme_id" for f in fields):
        raise c.fail(where, "no field takes registry field scheme_id; every feature must carry its scheme ID")
    if not any(f.unique and not f.sensitive for f in fields):
        raise c.fail(where, "no field is marked \"unique\": true; give the asset ID field that")
    for f in fields:
        if f.derived and DERIVED[f.derived][1] not in (None, reg.geometry):
            raise c.fail(f.path, f"derived value '{f.derived}' needs {DERIVED[f.derived][1].title()} geometry; "
                                 f"{source} holds {geometry}")
    return LayerSpec(name=name, source=source, title=c.text(raw, "title", path), geometry=geometry, fields=fields,
                     path=path, abstract=c.text(raw, "abstract", path, "") if "abstract" in raw else "",
                     include=c.flag(raw, "include", path, True))


def _labelled(raw: Any, path: str) -> str:
    """'layers[2].fields[4] (tank_type)': the position, and the name when there is one."""
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"{path} ({name})" if isinstance(name, str) and name.strip() else path


def _field(c: _Checker, raw: Any, path: str, layer_name: str) -> FieldSpec:
    path = _labelled(raw, path)
    c.keys(raw, path, _FIELD_KEYS, _FIELD_REQUIRED)
    name = c.text(raw, "name", path)
    if not _NAME.match(name) or len(name) > 63:
        raise c.fail(path, "field names are letters, digits and '_' (at most 63), starting with a letter or '_'")
    ftype = c.text(raw, "type", path)
    if ftype not in TYPES:
        raise c.fail(path, f"type '{ftype}' is not one of {', '.join(TYPES)}")
    origins = [k for k in ("source", "value", "derived") if k in raw]
    if len(origins) != 1:
        raise c.fail(path, "give exactly one of 'source' (registry field), 'value' (constant) or 'derived'")
    lyr = LAYERS[layer_name]
    source = derived = None
    sensitive = c.flag(raw, "sensitive", path)
    if "source" in raw:
        source = c.text(raw, "source", path)
        if source not in lyr.field_names:
            close = difflib.get_close_matches(source, lyr.field_names, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"fields: {', '.join(lyr.field_names)}"
            raise c.fail(path, f"source '{source}' maps to no field of registry layer {layer_name} ({hint})")
        if lyr.field(source).sensitive and not sensitive:
            raise c.fail(path, f"registry field {layer_name}.{source} is personal data (sensitive in the registry "
                               "schema) and must not leave the department; mark the field \"sensitive\": true "
                               "(it is then withheld) or remove it")
    elif "derived" in raw:
        derived = c.text(raw, "derived", path)
        if derived not in DERIVED:
            raise c.fail(path, f"derived '{derived}' is not known (derived values: {', '.join(DERIVED)})")
    else:
        if not isinstance(raw["value"], (str, int, float)) or isinstance(raw["value"], bool):
            raise c.fail(path, "'value' must be a text or a number")
    shp_name = raw.get("shp_name")
    if shp_name is not None:
        shp_name = c.text(raw, "shp_name", path)
        if not _NAME.match(shp_name):
            raise c.fail(path, f"shp_name '{shp_name}' must be letters, digits and '_'")
    shapefile_name = shp_name or name
    if len(shapefile_name) > SHAPEFILE_NAME_MAX and not sensitive:
        raise c.fail(path, f"'{shapefile_name}' is longer than the {SHAPEFILE_NAME_MAX} characters a shapefile "
                           "field name holds; add \"shp_name\" with a short name")
    length = c.integer(raw, "length", path, 1, STRING_LENGTH_MAX if ftype == "string" else 18)
    if ftype == "string" and length is None:
        raise c.fail(path, "a string field needs 'length' (most characters)")
    if ftype == "date" and length is not None:
        raise c.fail(path, "a date field takes no 'length'")
    precision = c.integer(raw, "precision", path, 0, 15)
    if precision is not None and ftype != "real":
        raise c.fail(path, "'precision' (decimal places) is for real fields only")
    mandatory = c.flag(raw, "mandatory", path)
    unique = c.flag(raw, "unique", path)
    truncate = c.flag(raw, "truncate", path)
    if sensitive and (mandatory or unique):
        raise c.fail(path, "a sensitive field is never exported, so it cannot be mandatory or unique")
    if truncate and (ftype != "string" or unique or "codes" in raw):
        raise c.fail(path, "'truncate' is for free-text string fields only (not IDs or coded fields)")
    if source == "scheme_id" and not mandatory:
        raise c.fail(path, "the scheme ID field must be \"mandatory\": true (every feature carries its scheme ID)")
    codes = None
    if "codes" in raw:
        codes = _codes(c, raw["codes"], path, ftype, length, lyr.field(source) if source else None, layer_name)
    return FieldSpec(
        name=name, type=ftype, path=path, source=source, value=raw.get("value"), derived=derived, shp_name=shp_name,
        description=c.text(raw, "description", path, "") if "description" in raw else "", length=length,
        precision=precision, mandatory=mandatory, unique=unique, codes=codes, sensitive=sensitive, truncate=truncate,
    )


def _codes(c: _Checker, raw: Any, path: str, ftype: str, length: int | None, reg_field: Any,
           layer_name: str) -> dict[str, str]:
    if ftype != "string" or reg_field is None:
        raise c.fail(path, "'codes' maps registry codes to target codes; it needs a string field with a 'source'")
    if not isinstance(raw, dict) or not raw:
        raise c.fail(path, "'codes' must be an object of registry code -> target code")
    domain = DOMAINS.get(reg_field.domain) if reg_field.domain else None
    for key, value in raw.items():
        if domain is not None and key not in domain:
            raise c.fail(path, f"code '{key}' is not a code of registry field {layer_name}.{reg_field.name} "
                               f"(codes: {', '.join(domain)})")
        if not isinstance(value, str) or not value.strip():
            raise c.fail(path, f"target code for '{key}' must be non-empty text")
        if length is not None and len(value) > length:
            raise c.fail(path, f"target code '{value}' is longer than the field's length {length}")
    return {str(k): v for k, v in raw.items()}
