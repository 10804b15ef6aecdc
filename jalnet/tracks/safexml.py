"""Parsing untrusted GPX/KML without the XML attacks: no DTDs, no entities, no external files.

Contractor files arrive by e-mail and messaging apps, so they are untrusted input. An XML
parser expands entities declared in a DOCTYPE (the "billion laughs" bomb) and a DOCTYPE
may point at local or remote files, so any document whose prolog holds a DOCTYPE (or any
other ``<!`` declaration) is refused before parsing; neither GPX nor KML uses one. Without
a DOCTYPE no entity can be declared, so the fast standard parser is then safe: an
undeclared ``&name;`` is a plain syntax error.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from xml.etree import ElementTree as ET
from xml.parsers import expat

from ..errors import InputError

_PROLOG_SKIP = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)


def _declaration(data: bytes) -> str | None:
    """What makes the prolog unsafe ('a DOCTYPE declaration'), or None when the root element comes first."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = data[:65536].decode("utf-16", "replace")
    elif data[:2] in (b"<\x00", b"\x00<"):
        head = data[:65536].decode("utf-16-le" if data[0] == 0x3C else "utf-16-be", "replace")
    else:
        head = data[:65536].decode("utf-8", "replace")
    pos = 1 if head.startswith("\ufeff") else 0
    while True:
        match = _PROLOG_SKIP.match(head, pos)
        if not match:
            break
        pos = match.end()
    rest = head[pos : pos + 10]
    if rest.startswith("<!"):
        return "a DOCTYPE declaration" if rest[2:9].upper() == "DOCTYPE" else f"a '{rest[:9]}' declaration"
    return None


def _check(data: bytes, label: str) -> None:
    if not data.strip():
        raise InputError(f"{label}: the file is empty; export it again from the field app")
    unsafe = _declaration(data)
    if unsafe:
        raise InputError(
            f"{label}: refused: the XML contains {unsafe} (GPX and KML never need one, and it can be used to read "
            "local files or exhaust memory); export the file again from the field app"
        )


def _not_well_formed(err: ET.ParseError, label: str) -> InputError:
    line, column = err.position
    reason = expat.ErrorString(err.code)
    if reason in ("no element found", "unclosed token", "unclosed CDATA section"):
        hint = "the file is truncated or empty; copy it again from the phone"
    elif reason == "undefined entity":
        hint = "it uses an entity GPX/KML do not define; export it again"
    else:
        hint = "the file is damaged or not GPX/KML; open it in a text editor to check"
    return InputError(f"{label}: not well-formed XML ({reason} at line {line}, column {column + 1}); {hint}")


def parse_xml(data: bytes, label: str) -> ET.Element:
    """The root element of *data*; InputError naming *label* when it is not safe, well-formed XML."""
    _check(data, label)
    parser = ET.XMLParser()
    try:
        parser.feed(data)
        return parser.close()
    except ET.ParseError as err:
        raise _not_well_formed(err, label) from None


def stream_xml(data: bytes, label: str, wanted: tuple[str, ...],
               chunk: int = 1 << 20) -> Iterator[tuple[ET.Element, ET.Element]]:
    """(root, element) for each completed element named in *wanted*, freed once the caller is done.

    For large GPX logs: memory holds one track at a time instead of the whole document.
    """
    root = root_element(data, label)
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    tags = {ns + name for name in wanted}
    parser = ET.XMLPullParser(events=("end",))
    try:
        for start in [*range(0, len(data), chunk), None]:
            if start is None:
                parser.close()  # raises on a truncated document
            else:
                parser.feed(data[start : start + chunk])
            for _, elem in parser.read_events():
                if elem.tag in tags:
                    yield root, elem
                    elem.clear()
    except ET.ParseError as err:
        raise _not_well_formed(err, label) from None


def root_element(data: bytes, label: str) -> ET.Element:
    """The root element with its attributes (not its content), read from the start of the file after the safety check."""
    _check(data, label)
    parser = ET.XMLPullParser(events=("start",))
    try:
        for start in range(0, len(data), 65536):
            parser.feed(data[start : start + 65536])
            for _, elem in parser.read_events():
                return elem
        parser.close()
    except ET.ParseError as err:
        raise _not_well_formed(err, label) from None
    raise InputError(f"{label}: not well-formed XML (no element found); the file is truncated or empty")


def local(tag: object) -> str:
    """Tag name without its namespace: KML 2.1/2.2/2.3 and GPX 1.0/1.1 are matched alike."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]


def children(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem if local(c.tag) == name]


def child(elem: ET.Element, name: str) -> ET.Element | None:
    for c in elem:
        if local(c.tag) == name:
            return c
    return None


def child_text(elem: ET.Element, name: str) -> str | None:
    c = child(elem, name)
    if c is None:
        return None
    text = "".join(c.itertext()).strip()
    return text or None
