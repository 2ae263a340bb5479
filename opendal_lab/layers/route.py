"""RouteLayer: send each path to the operator its glob names; everything else goes on below.

::

    hot = Operator("memory", name="hot")
    op = Operator("s3", bucket="lake").layer(RouteLayer({"tmp/**": hot, "*.lock": hot}))
    op.write("tmp/x.parquet", data)   # lands in memory
    op.write("data/x.parquet", data)  # lands in s3

Patterns are globs matched against the normalized path (``*`` and ``?`` do not
cross ``/``; ``**`` does); the first pattern that matches wins, in the order given. A routed
call enters the target operator's full stack (its layers, its simulations), with the path
unchanged. ``list`` routes by the listed path, so a listing of ``tmp/`` comes from the
target while a listing of the root shows only what lies below. ``copy`` and ``rename``
between two different destinations are refused (``Unsupported``): there is no server-side
copy across services. The capability reported is the one of the stack below; the
targets' own checks still refuse what they cannot do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opendal_lab.core.access import Access, BaseLayer, Failures, LayeredAccess, Writer
from opendal_lab.core.errors import ConfigInvalid, Unsupported
from opendal_lab.core.operator import Operator
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.types import Entry, Metadata

__all__ = ["RouteLayer", "compile_glob"]


def compile_glob(pattern: str) -> re.Pattern[str]:
    """``*`` and ``?`` stay within one path segment, ``**`` spans segments, ``[...]`` a set."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise ConfigInvalid(f"RouteLayer: unclosed '[' in pattern {pattern!r}")
            body = pattern[i + 1 : end].replace("\\", "\\\\")
            out.append(f"[^{body[1:]}]" if body.startswith("!") else f"[{body}]")
            i = end + 1
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


class _RouteAccess(LayeredAccess):
    layer: RouteLayer

    def _target(self, path: str) -> Access:
        for pattern, access in self.layer.compiled:
            if pattern.match(path):
                return access
        return self.inner

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self._target(path).stat(path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self._target(path).read(path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self._target(path).write(path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return self._target(path).writer(path, opts)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        return self._target(path).list(path, opts)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._target(path).delete(path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        groups: dict[int, tuple[Access, list[tuple[str, DeleteOptions]]]] = {}
        for path, opts in items:
            target = self._target(path)
            groups.setdefault(id(target), (target, []))[1].append((path, opts))
        failures: Failures = []
        for target, batch in groups.values():
            failures += target.delete_many(batch)
        return failures

    def create_dir(self, path: str) -> None:
        self._target(path).create_dir(path)

    def _pair(self, operation: str, source: str, target: str) -> Access:
        here, there = self._target(source), self._target(target)
        if here is not there:
            raise Unsupported(
                f"RouteLayer: cannot {operation} across routes ({source!r} and {target!r} "
                "go to different operators); read and write instead",
                operation=operation,
                service=self._access_info.scheme,
                path=source,
            ).with_context("to", target)
        return here

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._pair("copy", source, target).copy(source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._pair("rename", source, target).rename(source, target, opts)

    def presign(self, operation: Any, path: str, expire: float, opts: Any) -> Any:
        return self._target(path).presign(operation, path, expire, opts)


class RouteLayer(BaseLayer):
    """Routes paths matching a glob to another operator (first match wins)."""

    access_class = _RouteAccess

    def __init__(self, routes: Mapping[str, Operator] | Sequence[tuple[str, Operator]]) -> None:
        pairs = list(routes.items()) if isinstance(routes, Mapping) else list(routes)
        if not pairs:
            raise ConfigInvalid("RouteLayer needs at least one (pattern, operator) route")
        compiled: list[tuple[re.Pattern[str], Access]] = []
        for item in pairs:
            if not (isinstance(item, tuple) and len(item) == 2):
                raise TypeError(f"RouteLayer: a route is (pattern, operator), got {item!r}")
            pattern, target = item
            if not isinstance(pattern, str) or not pattern:
                raise TypeError(f"RouteLayer: a pattern must be a non-empty str, got {pattern!r}")
            if not isinstance(target, Operator):
                raise TypeError(
                    f"RouteLayer: route {pattern!r} must lead to an Operator, "
                    f"got {type(target).__name__}"
                )
            compiled.append((compile_glob(pattern.lstrip("/")), target.stack[-1].access))
        self.routes = pairs
        self.compiled = compiled

    def __reduce__(self) -> tuple[Any, ...]:
        return (RouteLayer, (self.routes,))

    def __repr__(self) -> str:
        shown = ", ".join(f"{p!r} → {o.scheme}" for p, o in self.routes)
        return f"RouteLayer({shown})"
