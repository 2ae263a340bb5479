"""A tiny HTML reader for the tests: every element's tag, attributes and text, in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class _Reader(HTMLParser):
    VOID = frozenset({"br", "hr", "img", "input", "meta", "link"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if self._open:
            self._open[-1].children.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data


def parse(html: str) -> list[Element]:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.elements


def select(
    html: str, tag: str | None = None, cls: str | None = None, **attrs: str
) -> list[Element]:
    """Elements with ``tag``, class ``cls`` and every attribute given (``data_x`` → ``data-x``)."""
    wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
    return [
        e
        for e in parse(html)
        if (tag is None or e.tag == tag)
        and (cls is None or cls in e.classes)
        and all(e.attrs.get(k) == v for k, v in wanted.items())
    ]


def cell(html: str, service: str, cap: str) -> Element:
    found = select(html, "td", data_service=service, data_cap=cap)
    assert len(found) == 1, f"expected one cell {service}/{cap}, found {len(found)}"
    return found[0]
