"""The schema is consistent and its documentation is current."""

from pathlib import Path

from jalnet.registry.schema import DOMAINS, LAYERS, SCHEMA_VERSION
from jalnet.registry.schemadoc import schema_markdown


def test_documentation_is_current():
    doc = Path(__file__).resolve().parents[2] / "docs" / "registry-schema.md"
    assert doc.read_text(encoding="utf-8") == schema_markdown(), "run: python scripts/make_schema_doc.py"


def test_every_layer_has_its_key_field_and_valid_versions():
    for layer in LAYERS.values():
        key = layer.field(layer.key)
        assert key.required and key.unique, layer.name
        assert layer.since <= SCHEMA_VERSION
        names = layer.field_names
        assert len(names) == len(set(names)), layer.name
        assert all(f.since >= layer.since and f.since <= SCHEMA_VERSION for f in layer.fields), layer.name


def test_domains_used_exist_and_codes_are_unique():
    used = {f.domain for lyr in LAYERS.values() for f in lyr.fields if f.domain}
    assert used <= set(DOMAINS)
    for name, codes in DOMAINS.items():
        assert codes and all(isinstance(c, str) and c for c in codes), name
