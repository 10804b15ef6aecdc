"""Export profiles: the bundled ones load, and every bad profile is refused naming the file and path."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from jalnet.errors import InputError
from jalnet.gatishakti import bundled_profiles, load_profile
from jalnet.gatishakti.profile import PROFILE_DIR, SHAPEFILE_NAME_MAX
from jalnet.registry.schema import LAYERS


def _default() -> dict:
    return json.loads((PROFILE_DIR / "default.json").read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str = "custom.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _refused(tmp_path: Path, data: dict) -> str:
    with pytest.raises(InputError) as err:
        load_profile(_write(tmp_path, data))
    return str(err.value)


def _field(data: dict, layer: str, field: str) -> tuple[int, int, dict]:
    for i, lyr in enumerate(data["layers"]):
        if lyr["name"] == layer:
            for j, fld in enumerate(lyr["fields"]):
                if fld["name"] == field:
                    return i, j, fld
    raise KeyError((layer, field))


def test_bundled_profiles_load_and_say_what_they_rest_on() -> None:
    assert set(bundled_profiles()) == {"default", "state_gis_cell_example"}
    default = load_profile(None)
    assert default.name == "pmgs-jjm-default" and default.crs == "EPSG:4326" and default.version
    text = default.description.lower()
    for phrase in ("public information", "bisag-n", "scheme", "adapt", "data dictionary"):
        assert phrase in text, phrase
    assert set(default.formats) == {"gpkg", "shp", "geojson", "kml"}
    included = {lyr.source for lyr in default.layers if lyr.include}
    assert included == {"pipes", "sources", "tanks", "treatment_units", "pumps"}
    fhtc = default.layer("fhtc")
    assert not fhtc.include
    assert {f.source for f in fhtc.withheld} >= {"household_head", "phone"}
    pipes = default.layer("jjm_pipeline")
    mandatory = {f.source for f in pipes.fields if f.mandatory}
    assert {"scheme_id", "material", "diameter_mm", "pipe_id"} <= mandatory
    example = load_profile("state_gis_cell_example")
    assert [lyr.name for lyr in example.layers] != [lyr.name for lyr in default.layers]
    assert example.layer("pipes").fields[2].codes["DI"] == "DUCTILE_IRON"


def test_every_bundled_profile_respects_the_shapefile_and_registry_rules() -> None:
    for path in bundled_profiles().values():
        prof = load_profile(path)
        for lyr in prof.layers:
            names = [f.shapefile_name.lower() for f in lyr.exported]
            assert len(names) == len(set(names)), (prof.name, lyr.name)
            assert all(len(n) <= SHAPEFILE_NAME_MAX for n in names)
            reg = LAYERS[lyr.source]
            for f in lyr.fields:
                if f.source is not None:
                    assert f.source in reg.field_names
                    if reg.field(f.source).sensitive:
                        assert f.sensitive, (prof.name, lyr.name, f.name)


def test_unknown_key_is_refused_with_its_path(tmp_path: Path) -> None:
    data = _default()
    data["layers"][2]["fields"][4]["lenght"] = 12
    message = _refused(tmp_path, data)
    name = data["layers"][2]["fields"][4]["name"]
    assert message.startswith(f"profile custom.json: layers[2].fields[4] ({name}): unknown key 'lenght'")
    assert "did you mean 'length'" in message
    data = _default()
    data["contakt"] = {}
    assert "unknown key 'contakt'" in _refused(tmp_path, data)
    data = _default()
    data["layers"][0]["inclde"] = True
    assert "layers[0] (jjm_pipeline): unknown key 'inclde'" in _refused(tmp_path, data)


def test_field_mapping_to_no_registry_field_is_refused(tmp_path: Path) -> None:
    data = _default()
    i, j, fld = _field(data, "jjm_pipeline", "dia_mm")
    fld["source"] = "diam_mm"
    message = _refused(tmp_path, data)
    assert f"layers[{i}].fields[{j}] (dia_mm)" in message
    assert "source 'diam_mm' maps to no field of registry layer pipes" in message
    assert "did you mean 'diameter_mm'" in message
    data = _default()
    data["layers"][0]["source"] = "pipelines"
    assert "source 'pipelines' is not a registry layer" in _refused(tmp_path, data)


def test_personal_data_must_be_marked_sensitive_and_cannot_be_mandatory(tmp_path: Path) -> None:
    data = _default()
    i, j, fld = _field(data, "jjm_fhtc", "phone")
    del fld["sensitive"]
    message = _refused(tmp_path, data)
    assert f"layers[{i}].fields[{j}] (phone)" in message and "fhtc.phone is personal data" in message
    data = _default()
    _, _, fld = _field(data, "jjm_fhtc", "household_head")
    fld["mandatory"] = True
    assert "cannot be mandatory" in _refused(tmp_path, data)


def _changed(layer: str, field: str, drop: tuple[str, ...] = (), **changes) -> dict:
    """The default profile with one field changed (keys set to the given values, keys in drop removed)."""
    data = _default()
    _, _, fld = _field(data, layer, field)
    fld.update(changes)
    for key in drop:
        del fld[key]
    return data


def test_names_lengths_codes_and_ids_are_checked(tmp_path: Path) -> None:
    material_codes = _field(_default(), "jjm_pipeline", "material")[2]["codes"]
    cases = [
        (_changed("jjm_pipeline", "material", name="pipe_material"), "'pipe_material' is longer than the 10 characters"),
        (_changed("jjm_pipeline", "press_cls", name="MATERIAL"), "field name 'MATERIAL' is already used"),
        (_changed("jjm_pipeline", "material", codes={**material_codes, "DIX": "DIX"}),
         "code 'DIX' is not a code of registry field pipes.material"),
        (_changed("jjm_pipeline", "material", codes={**material_codes, "HDPE": "HIGH_DENSITY_POLYETHYLENE"}),
         "longer than the field's length 10"),
        (_changed("jjm_pipeline", "material", drop=("length",)), "a string field needs 'length'"),
        (_changed("jjm_pipeline", "scheme_id", mandatory=False), "scheme ID field must be \"mandatory\": true"),
        (_changed("jjm_pipeline", "dia_mm", type="float"), "type 'float' is not one of string, integer, real, date"),
        (_changed("jjm_pipeline", "dia_mm", value=150), "give exactly one of 'source'"),
    ]
    data = _default()
    data["layers"][0]["fields"] = [f for f in data["layers"][0]["fields"] if f["name"] != "scheme_id"]
    cases.append((data, "every feature must carry its scheme ID"))
    data = _default()
    for fld in data["layers"][0]["fields"]:
        fld.pop("unique", None)
    cases.append((data, "no field is marked \"unique\": true"))
    data = _default()
    data["layers"][0]["geometry"] = "Point"
    cases.append((data, "geometry 'Point' does not match registry layer pipes, which holds LineString"))
    data = _default()
    data["layers"][0]["fields"].append(copy.deepcopy(_field(data, "jjm_source", "longitude")[2]))
    cases.append((data, "derived value 'longitude' needs Point geometry"))
    data = _default()
    data["crs"] = "EPSG:32646"
    cases.append((data, "write \"EPSG:4326\""))
    data = _default()
    data["layers"][1]["name"] = data["layers"][0]["name"].upper()
    cases.append((data, "target layer name 'JJM_PIPELINE' is already used at layers[0]"))
    data = _default()
    del data["description"]
    cases.append((data, "missing key 'description'"))
    for data, expected in cases:
        assert expected in _refused(tmp_path, data), expected


def test_unreadable_profiles_name_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"name": "x",\n "layers": [}', encoding="utf-8")
    with pytest.raises(InputError, match=r"profile broken.json: not valid JSON at line 2"):
        load_profile(bad)
    twice = tmp_path / "twice.json"
    twice.write_text('{"name": "a", "name": "b"}', encoding="utf-8")
    with pytest.raises(InputError, match="key 'name' appears twice"):
        load_profile(twice)
    with pytest.raises(InputError, match="profile nosuch not found.*default, state_gis_cell_example"):
        load_profile("nosuch")


def test_yaml_profile_reads_like_its_json(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    data = _default()
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    from_yaml = load_profile(path)
    from_json = load_profile(PROFILE_DIR / "default.json")
    assert from_yaml.layers == from_json.layers
    assert from_yaml.file == "custom.yaml"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InputError, match="profile custom.yaml: not valid YAML at line"):
        load_profile(path)
