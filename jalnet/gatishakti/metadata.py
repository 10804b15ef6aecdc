"""An ISO 19115 metadata record (ISO 19139 XML, ``gmd`` namespace) per exported layer.

Portals of the National Spatial Data Infrastructure family read ISO 19139; the record
says what the layer is, who to ask, where it lies, in which reference system, and where it
came from (registry, time, profile and version). Elements follow the order of the
ISO 19139 schema so a validating reader accepts them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .. import __version__
from .preflight import MappedLayer, Preflight

NS = {
    "gmd": "http://www.isotc211.org/2005/gmd",
    "gco": "http://www.isotc211.org/2005/gco",
    "gml": "http://www.opengis.net/gml",
    "xlink": "http://www.w3.org/1999/xlink",
}
CODELISTS = "http://standards.iso.org/iso/19139/resources/gmxCodelists.xml"
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _el(parent: ET.Element, path: str) -> ET.Element:
    """Nested elements along 'a/b/c', created in order."""
    node = parent
    for tag in path.split("/"):
        node = ET.SubElement(node, _q(tag))
    return node


def _text(parent: ET.Element, path: str, value: str, kind: str = "gco:CharacterString") -> ET.Element:
    node = _el(parent, path)
    ET.SubElement(node, _q(kind)).text = value
    return node


def _code(parent: ET.Element, path: str, codelist: str, value: str) -> None:
    node = _el(parent, path)
    code = ET.SubElement(node, _q(f"gmd:{codelist}"),
                         {"codeList": f"{CODELISTS}#{codelist}", "codeListValue": value})
    code.text = value


def _party(parent: ET.Element, path: str, contact: dict[str, str]) -> None:
    party = _el(parent, f"{path}/gmd:CI_ResponsibleParty")
    if contact.get("individual"):
        _text(party, "gmd:individualName", contact["individual"])
    _text(party, "gmd:organisationName", contact["organisation"])
    if contact.get("position"):
        _text(party, "gmd:positionName", contact["position"])
    if contact.get("email"):
        _text(party, "gmd:contactInfo/gmd:CI_Contact/gmd:address/gmd:CI_Address/gmd:electronicMailAddress",
              contact["email"])
    _code(party, "gmd:role", "CI_RoleCode", contact.get("role", "pointOfContact"))


def layer_record(check: Preflight, layer: MappedLayer, package: str, created: str,
                 formats: list[tuple[str, str]]) -> bytes:
    """ISO 19139 XML (UTF-8) for one target layer of the package."""
    prof = check.profile
    spec = layer.spec
    meta = prof.metadata
    language = meta.get("language", "eng")
    root = ET.Element(_q("gmd:MD_Metadata"))
    _text(root, "gmd:fileIdentifier", f"{package}:{spec.name}")
    _code(root, "gmd:language", "LanguageCode", language)
    _code(root, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    _code(root, "gmd:hierarchyLevel", "MD_ScopeCode", "dataset")
    _party(root, "gmd:contact", prof.contact)
    _text(root, "gmd:dateStamp", created, "gco:DateTime")
    _text(root, "gmd:metadataStandardName", "ISO 19115:2003/19139")
    _text(root, "gmd:metadataStandardVersion", "1.0")
    rs = _el(root, "gmd:referenceSystemInfo/gmd:MD_ReferenceSystem/gmd:referenceSystemIdentifier/gmd:RS_Identifier")
    _text(rs, "gmd:code", "EPSG:4326")
    _text(rs, "gmd:codeSpace", "EPSG")

    ident = _el(root, "gmd:identificationInfo/gmd:MD_DataIdentification")
    citation = _el(ident, "gmd:citation/gmd:CI_Citation")
    _text(citation, "gmd:title", spec.title)
    _text(citation, "gmd:alternateTitle", spec.name)
    date = _el(citation, "gmd:date/gmd:CI_Date")
    _text(date, "gmd:date", created, "gco:DateTime")
    _code(date, "gmd:dateType", "CI_DateTypeCode", "creation")
    _text(citation, "gmd:edition", f"profile {prof.name} v{prof.version}")
    _text(citation, "gmd:identifier/gmd:MD_Identifier/gmd:code", f"{package}/{spec.name}")
    _text(ident, "gmd:abstract", _abstract(check, layer))
    _party(ident, "gmd:pointOfContact", prof.contact)
    keywords = list(meta.get("keywords", [])) + [f"scheme {s}" for s in check.schemes]
    if keywords:
        kw = _el(ident, "gmd:descriptiveKeywords/gmd:MD_Keywords")
        for word in keywords:
            _text(kw, "gmd:keyword", word)
    constraints = _el(ident, "gmd:resourceConstraints/gmd:MD_LegalConstraints")
    _code(constraints, "gmd:useConstraints", "MD_RestrictionCode", "otherRestrictions")
    if meta.get("use_constraints"):
        _text(constraints, "gmd:otherConstraints", meta["use_constraints"])
    if spec.withheld:
        _text(constraints, "gmd:otherConstraints",
              "Withheld as personal data, not in this dataset: " + ", ".join(f.name for f in spec.withheld))
    _code(ident, "gmd:spatialRepresentationType", "MD_SpatialRepresentationTypeCode", "vector")
    _code(ident, "gmd:language", "LanguageCode", language)
    _code(ident, "gmd:characterSet", "MD_CharacterSetCode", "utf8")
    for topic in meta.get("topic_categories", []):
        _text(ident, "gmd:topicCategory", topic, "gmd:MD_TopicCategoryCode")
    bbox = layer.bbox
    if bbox is not None:
        box = _el(ident, "gmd:extent/gmd:EX_Extent/gmd:geographicElement/gmd:EX_GeographicBoundingBox")
        for tag, value in zip(("westBoundLongitude", "eastBoundLongitude", "southBoundLatitude",
                               "northBoundLatitude"), (bbox[0], bbox[2], bbox[1], bbox[3])):
            _text(box, f"gmd:{tag}", f"{value:.7f}", "gco:Decimal")

    dist = _el(root, "gmd:distributionInfo/gmd:MD_Distribution")
    for name, version in formats:
        form = _el(dist, "gmd:distributionFormat/gmd:MD_Format")
        _text(form, "gmd:name", name)
        _text(form, "gmd:version", version)

    quality = _el(root, "gmd:dataQualityInfo/gmd:DQ_DataQuality")
    _code(quality, "gmd:scope/gmd:DQ_Scope/gmd:level", "MD_ScopeCode", "dataset")
    _text(quality, "gmd:lineage/gmd:LI_Lineage/gmd:statement", lineage(check, layer))
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def lineage(check: Preflight, layer: MappedLayer) -> str:
    prof = check.profile
    text = (f"Exported from JalNet registry {check.registry} (layer {layer.spec.source}, {check.registry_crs}) at "
            f"{check.checked_at}, profile {prof.name} v{prof.version}, by JalNet {__version__}; reprojected to "
            f"EPSG:4326; {layer.count} feature(s)")
    if layer.repaired:
        text += f"; {layer.repaired} invalid geometry(ies) repaired without changing length or area by 0.1 % or more"
    return text + "; passed the pre-flight check (mandatory values, code lists, geometry, unique IDs, scheme IDs)."


def _abstract(check: Preflight, layer: MappedLayer) -> str:
    spec = layer.spec
    parts = [spec.abstract or spec.title]
    parts.append(f"Scheme(s): {', '.join(check.schemes)}. Every feature carries its JJM scheme ID "
                 f"({spec.scheme_field.name}); features are identified by {spec.id_field.name}.")
    parts.append("Fields: " + "; ".join(f"{f.name} ({f.type}{f'({f.length})' if f.length else ''}"
                                         f"{', mandatory' if f.mandatory else ''})" for f in spec.exported) + ".")
    return " ".join(parts)
