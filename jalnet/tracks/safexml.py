"""Parsing untrusted GPX/KML without the XML attacks, one element at a time.

Contractor files arrive by e-mail and messaging apps, so they are untrusted input. An XML
parser expands entities declared in a DOCTYPE (the "billion laughs" bomb) and a DOCTYPE
may point at local or remote files. Every document is read by defusedxml's parser with
DTDs, entity declarations and external references forbidden: the parser itself stops at
the first such declaration wherever it is in the file (neither GPX nor KML uses one).

The document is fed in chunks and handed out as start/end events (``xml_events``), so a
reader can keep what it needs of an element and drop it: memory follows the largest
feature kept, not the file. Expat reads UTF-8 and UTF-16 (with or without a byte-order
mark) and whatever encoding the XML declaration names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from xml.etree import ElementTree as ET
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from ..errors import InputError

#: Bytes fed to the parser at a time.
CHUNK = 1 << 16


def _refused(err: DefusedXmlException, label: str, line: int) -> InputError:
    what = {DTDForbidden: "a DOCTYPE declaration", EntitiesForbidden: "an entity declaration",
            ExternalReferenceForbidden: "a reference to an external file"}.get(type(err), "a forbidden declaration")
    return InputError(f"{label}: refused: the XML contains {what} at line {line} (GPX and KML never need one, and it "
                      "can be used to read local files or exhaust memory); export the file again from the field app")


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


def xml_events(source: BinaryIO, label: str) -> Iterator[tuple[str, ET.Element]]:
    """("start" | "end", element) for every element of the document read from *source*, parsed safely.

    An element is complete at its "end" event; the caller may then remove it from its
    parent to free it. InputError naming *label* when the document is unsafe or not
    well-formed.
    """
    parser = DefusedXMLParser(target=ET.TreeBuilder(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    pull = ET.XMLPullParser(events=("start", "end"), _parser=parser)
    seen = False
    try:
        while True:
            chunk = source.read(CHUNK)
            if not chunk:
                break
            seen = seen or bool(chunk.strip())
            pull.feed(chunk)
            yield from pull.read_events()
        if not seen:
            raise InputError(f"{label}: the file is empty; export it again from the field app")
        pull.close()  # raises on a truncated document
        yield from pull.read_events()
    except ET.ParseError as err:
        raise _not_well_formed(err, label) from None
    except DefusedXmlException as err:
        raise _refused(err, label, parser.parser.CurrentLineNumber) from None


def with_parents(events: Iterator[tuple[str, ET.Element]]) -> Iterator[tuple[str, ET.Element, list[ET.Element]]]:
    """The events with the open elements: at a start the element is last, at an end its parent is."""
    stack: list[ET.Element] = []
    for event, elem in events:
        if event == "start":
            stack.append(elem)
        else:
            stack.pop()
        yield event, elem, stack


def release(elem: ET.Element, stack: list[ET.Element]) -> None:
    """Drop an ended element from its parent so that it can be freed.

    Elements are released in document order, so the element is the first or nearly the
    first child still held: the search is short.
    """
    if stack:
        parent = stack[-1]
        if len(parent) and parent[0] is elem:
            del parent[0]
        else:
            parent.remove(elem)


def namespace(tag: str) -> str:
    """'{http://...}' of a tag, or ''."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


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
