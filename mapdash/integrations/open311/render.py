"""GeoReport v2's two formats from one shape: dicts, lists and plain values.

XML: a list becomes one child per item, named by the spec's singular (`services` holds
`service`s); JSON: the same dicts and lists, where a list is always a list, even of one.
"""
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime

from flask import Response

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# The spec's containers and the name of each item in them.
ITEM_NAMES = {"services": "service", "service_requests": "request", "attributes": "attribute",
              "values": "value", "endpoints": "endpoint", "formats": "format", "errors": "error"}
# Characters XML 1.0 cannot carry at all (control characters other than tab and line breaks).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, ITEM_NAMES[element.tag]), item)
    elif value is not None:
        element.text = _text(value)


def to_xml(root: str, value) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(element, encoding="utf-8",
                                                                     xml_declaration=False)


def _json_default(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    raise TypeError(type(value).__name__)


def respond(fmt: str, root: str, value, status: int = 200) -> Response:
    """`value` under the XML root element `root`, or as JSON (the root is implied there)."""
    body = (json.dumps(value, ensure_ascii=False, default=_json_default).encode()
            if fmt == "json" else to_xml(root, value))
    return Response(body, status=status, content_type=FORMATS[fmt])


def errors(fmt: str, status: int, descriptions: list[str]) -> Response:
    """The spec's error shape: a list of {code, description}, the code being the HTTP status."""
    return respond(fmt, "errors", [{"code": status, "description": d} for d in descriptions],
                   status)
