"""s3 parsing: botocore's rest-xml response parser, with the same output at a third of the cost.

A 5,000-key listing spent most of the client's time in botocore turning XML into dicts: each
page was parsed twice (once by ``_handle_200_error``, which looks for an ``<Error>`` root in
a 200 answer, once by the parser), and every ``<Contents>`` element went through botocore's
generic walk (a regex per tag, a name-to-node dict per element, a handler lookup per value).
Here:

- ``check_200_error`` replaces ``_handle_200_error`` with the same test (an unparsable
  body or an ``<Error>`` root makes the status 500, so botocore retries it) and keeps the
  parsed tree in the response's context;
- ``ResponseParser`` reads that tree instead of parsing the body again, and walks each
  structure by a plan made once per shape (the XML name of each member, and how to convert
  its text). A structure the plan does not cover (an error, a union, XML attributes, a
  flattened map) or a member repeated where one is expected goes to botocore's own code.

The output is botocore's, dict for dict (``tests/services/test_s3_parsing.py`` compares the
two on every response the service reads).
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from botocore import handlers  # type: ignore[import-untyped]
from botocore.parsers import (  # type: ignore[import-untyped]
    ResponseParserFactory,
    RestXMLParser,
)

__all__ = ["ParserFactory", "ResponseParser", "check_200_error", "use_fast_parsing"]

#: Where ``check_200_error`` leaves the parsed body for the parser (the response's context).
_TREE = "opendal_lab_xml_tree"
#: botocore's check this module replaces (absent from a botocore that has another).
_BOTOCORE_200_CHECK = getattr(handlers, "_handle_200_error", None)
_SHOULD_CHECK_200 = getattr(handlers, "_should_handle_200_error", None)

# How a member's text becomes its value. Others are parsed by their shape; "+<kind>" marks
# a flattened list (each occurrence of the tag one item) of that kind.
_SCALARS = {
    "string": "str",
    "character": "str",
    "integer": "int",
    "long": "int",
    "timestamp": "time",
    "boolean": "bool",
}
Step = tuple[str, str, Any]  # (member name, how to read it, member shape)
_NO_PLAN: dict[str, Step | None] = {}
_PLANS: dict[str, dict[str, Step | None]] = {}
_UNSEEN: Any = object()
_HEADER_PLANS: dict[str, tuple[dict[str, list[tuple[str, Any]]], list[tuple[str, Any]]]] = {}


def check_200_error(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
    """botocore's ``_handle_200_error`` (S3 can answer 200 with an error in the body), parsing
    the body once and keeping the tree for ``ResponseParser``."""
    if _SHOULD_CHECK_200 is None or not _SHOULD_CHECK_200(operation_model, response_dict):
        return
    body = response_dict["body"]
    if response_dict["status_code"] != 200 or not body:
        return
    try:
        parser = ElementTree.XMLParser(target=ElementTree.TreeBuilder(), encoding="utf-8")
        parser.feed(body)
        root = parser.close()
    except ElementTree.ParseError:
        # A body cut off midway: botocore calls it a 500 and tries again; so do we.
        response_dict["status_code"] = 500
        return
    if root.tag == "Error":
        response_dict["status_code"] = 500
        return
    response_dict["context"][_TREE] = root


class ResponseParser(RestXMLParser):  # type: ignore[misc]
    """botocore's rest-xml parser, reusing ``check_200_error``'s tree and walking
    structures by a per-shape plan."""

    def _parse_payload(
        self, response: dict[str, Any], shape: Any, member_shapes: Any, final: dict[str, Any]
    ) -> None:
        root = response.get("context", {}).pop(_TREE, None)
        if root is None or "payload" in shape.serialization:
            super()._parse_payload(response, shape, member_shapes, final)
            return
        final.update(self._parse_shape(shape, root))

    def _parse_non_payload_attrs(
        self, response: dict[str, Any], shape: Any, member_shapes: Any, final: dict[str, Any]
    ) -> None:
        # botocore asks the headers for each of the shape's ~60 header members, each time
        # through a case-insensitive key object; here each header the response has is looked
        # up once in a plan of the shape's header members.
        plan = _HEADER_PLANS.get(shape.name)
        if plan is None:
            plan = _HEADER_PLANS[shape.name] = _header_plan(shape)
        by_header, others = plan
        headers = response["headers"]
        for header in headers:
            for name, member in by_header.get(header.lower(), ()):
                final[name] = self._parse_shape(member, headers[header])
        for name, member in others:
            if member.serialization["location"] == "statusCode":
                final[name] = self._parse_shape(member, response["status_code"])
            else:
                final[name] = self._parse_header_map(member, headers)

    def _handle_structure(self, shape: Any, node: Any) -> Any:
        plan = _PLANS.get(shape.name)
        if plan is None:
            plan = _PLANS[shape.name] = self._plan(shape)
        if plan is _NO_PLAN or isinstance(node, list):
            return super()._handle_structure(shape, node)
        parsed: dict[str, Any] = {}
        for child in node:
            step = plan.get(child.tag, _UNSEEN)
            if step is _UNSEEN:  # a namespaced tag: learn it once
                tag = child.tag
                step = plan[tag] = plan.get(tag[tag.rfind("}") + 1 :])
            if step is None:
                continue  # not in the model: botocore skips it too
            name, how, member = step
            if how[0] == "+":  # a flattened list: each occurrence is one item
                items = parsed.setdefault(name, [])
                if how == "+str":
                    text = child.text
                    items.append("" if text is None else text)
                elif how == "+structure":
                    items.append(self._handle_structure(member.member, child))
                else:
                    items.append(self._parse_shape(member.member, child))
                continue
            if name in parsed:  # repeated where one is expected: botocore's own rules
                return super()._handle_structure(shape, node)
            if how == "str":
                text = child.text
                parsed[name] = "" if text is None else text
            elif how == "int":
                parsed[name] = int(child.text or "")
            elif how == "time":
                parsed[name] = self._timestamp_parser(child.text or "")
            elif how == "bool":
                parsed[name] = child.text == "true"
            else:
                parsed[name] = self._parse_shape(member, child)
        return parsed

    def _plan(self, shape: Any) -> dict[str, Step | None]:
        """XML name -> (member, how to read it, member shape), namespaced names added as they
        are met (``None``: not in the model); ``_NO_PLAN`` where botocore's generic walk does
        something the plan does not."""
        if shape.metadata.get("exception") or shape.is_tagged_union:
            return _NO_PLAN
        plan: dict[str, Step | None] = {}
        for name, member in shape.members.items():
            ser = member.serialization
            if ser.get("location") in self.KNOWN_LOCATIONS or ser.get("eventheader"):
                continue  # parsed from the headers
            if ser.get("xmlAttribute") or (member.type_name == "map" and ser.get("flattened")):
                return _NO_PLAN
            if member.type_name == "list" and ser.get("flattened"):
                item = member.member.type_name
                how = "+" + ("str" if _SCALARS.get(item) == "str" else item)
            else:
                how = _SCALARS.get(member.type_name, "shape")
            plan[self._member_key_name(member, name)] = (name, how, member)
        return plan


def _header_plan(shape: Any) -> tuple[dict[str, list[tuple[str, Any]]], list[tuple[str, Any]]]:
    """(lower-cased header -> the members read from it, the status-code and header-map
    members) of an output shape."""
    by_header: dict[str, list[tuple[str, Any]]] = {}
    others: list[tuple[str, Any]] = []
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "header":
            header = member.serialization.get("name", name).lower()
            by_header.setdefault(header, []).append((name, member))
        elif location in ("statusCode", "headers"):
            others.append((name, member))
    return by_header, others


class ParserFactory(ResponseParserFactory):  # type: ignore[misc]
    """The session's parser factory: ``ResponseParser`` for rest-xml (S3's protocol)."""

    def create_parser(self, protocol_name: str) -> Any:
        if protocol_name == "rest-xml":
            return ResponseParser(**self._defaults)
        return super().create_parser(protocol_name)


def use_fast_parsing(client: Any) -> None:
    """Swap botocore's 200-error check on ``client`` for ``check_200_error`` (the session
    must have been given a ``ParserFactory``)."""
    if _BOTOCORE_200_CHECK is None or _SHOULD_CHECK_200 is None:
        return  # another botocore: keep its check (the parser then parses the body itself)
    events = client.meta.events
    events.unregister("before-parse.s3.*", _BOTOCORE_200_CHECK)
    events.register_first("before-parse.s3.*", check_200_error)
