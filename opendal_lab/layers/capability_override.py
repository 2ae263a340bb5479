"""CapabilityOverrideLayer: declare a capability different from what the stack reports.

Given as a string (the form ``from_uri`` options and config files carry) or as keywords::

    op = op.layer(CapabilityOverrideLayer("read=false,list_with_limit=true"))
    op = op.layer(CapabilityOverrideLayer(delete_max_size=100))

A field turned **off** is enforced here: the operation (or the argument) that needs it raises
``Unsupported`` naming this layer, whatever the service could do. That is how a notebook
shows what an application does on a read-only or list-less store. A field turned **on**
is a claim: this layer only reports it, and the call goes on to the stack below, which
either does it (the service could, but did not declare it) or refuses it as before.
Limits (``delete_max_size``, ``write_multi_min_size``…) take an integer or ``none``.

Introspection reports every changed field as *overridden* by this layer. Unknown fields
and values that do not fit a field raise ``ConfigInvalid`` naming them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opendal_lab.core.access import Access, BaseLayer, Failures, LayeredAccess, Writer
from opendal_lab.core.capability import Capability
from opendal_lab.core.config import flag
from opendal_lab.core.errors import ConfigInvalid, Unsupported
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

__all__ = ["CapabilityOverrideLayer", "parse_overrides"]

_FIELDS = Capability.field_names()
_LIMITS = frozenset(f for f in _FIELDS if getattr(Capability(), f) is None)

# The argument each option needs, by operation (the options a caller may set).
_ARGUMENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "stat": (("version", "stat_with_version"), ("if_match", "stat_with_if_match")),
    "read": (
        ("version", "read_with_version"),
        ("suffix", "read_with_suffix"),
        ("if_match", "read_with_if_match"),
        ("if_none_match", "read_with_if_none_match"),
    ),
    "write": (
        ("append", "write_can_append"),
        ("if_not_exists", "write_with_if_not_exists"),
        ("if_match", "write_with_if_match"),
        ("if_none_match", "write_with_if_none_match"),
        ("content_type", "write_with_content_type"),
        ("user_metadata", "write_with_user_metadata"),
    ),
    "list": (
        ("recursive", "list_with_recursive"),
        ("start_after", "list_with_start_after"),
        ("limit", "list_with_limit"),
        ("versions", "list_with_versions"),
        ("deleted", "list_with_deleted"),
    ),
    "delete": (("version", "delete_with_version"), ("recursive", "delete_with_recursive")),
    "copy": (("if_not_exists", "copy_with_if_not_exists"),),
    "rename": (("if_not_exists", "rename_with_if_not_exists"),),
}


def parse_overrides(spec: str | Mapping[str, Any]) -> dict[str, bool | int | None]:
    """``"read=false,delete_max_size=100"`` (or a mapping) → checked ``{field: value}``."""
    if isinstance(spec, str):
        pairs: list[tuple[str, Any]] = []
        for item in filter(None, (part.strip() for part in spec.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigInvalid(
                    f"capability override {item!r} has no '=': write it as field=true|false"
                )
            pairs.append((key.strip(), value.strip()))
    elif isinstance(spec, Mapping):
        pairs = list(spec.items())
    else:
        raise TypeError(f"capability overrides must be a str or a mapping, got {spec!r}")
    return {key: _coerce(key, value) for key, value in pairs}


def _coerce(key: str, value: Any) -> bool | int | None:
    if key not in _FIELDS:
        close = difflib.get_close_matches(key, _FIELDS, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ConfigInvalid(f"unknown capability field {key!r}{hint}")
    text = value.lower() if isinstance(value, str) else value
    if key in _LIMITS:
        if text is None or text == "none":
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ConfigInvalid(f"capability {key} takes an integer or none, got {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise ConfigInvalid(
                f"capability {key} takes an integer or none, got {value!r}"
            ) from None
        if number < 0:
            raise ConfigInvalid(f"capability {key} must not be negative, got {number}")
        return number
    if isinstance(value, bool):
        return value
    read = flag(value) if isinstance(value, str) else None
    if read is not None:
        return read
    raise ConfigInvalid(f"capability {key} takes true or false, got {value!r}")


class _OverrideAccess(LayeredAccess):
    layer: CapabilityOverrideLayer

    def _refuse(self, operation: str, field: str, path: str | None, argument: str = "") -> None:
        what = f"{operation} with {argument!r}" if argument else operation
        err = Unsupported(
            f"{what} is turned off by CapabilityOverrideLayer ({field}=false)",
            operation=operation,
            service=self._access_info.scheme,
            path=path,
        )
        raise err.with_context("argument", argument) if argument else err

    def _check(self, operation: str, path: str | None, opts: Any = None) -> None:
        off = self.layer.off
        field = "write" if operation == "writer" else operation
        if field in off:
            self._refuse(operation, field, path)
        for argument, needed in _ARGUMENTS.get(field, ()):
            if needed in off and getattr(opts, argument, None) not in (None, False):
                self._refuse(operation, needed, path, argument)

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        self._check("stat", path, opts)
        return self.inner.stat(path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        self._check("read", path, opts)
        return self.inner.read(path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        self._check("write", path, opts)
        return self.inner.write(path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        self._check("writer", path, opts)
        return self.inner.writer(path, opts)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        self._check("list", path, opts)
        return self.inner.list(path, opts)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._check("delete", path, opts)
        return self.inner.delete(path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        for path, opts in items:
            self._check("delete", path, opts)
        return self.inner.delete_many(items)

    def create_dir(self, path: str) -> None:
        self._check("create_dir", path)
        return self.inner.create_dir(path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._check("copy", source, opts)
        return self.inner.copy(source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._check("rename", source, opts)
        return self.inner.rename(source, target, opts)

    def presign(self, operation: Any, path: str, expire: float, opts: Any) -> Any:
        self._check(f"presign_{operation}", path)
        return self.inner.presign(operation, path, expire, opts)


class CapabilityOverrideLayer(BaseLayer):
    """Reports (and, for fields turned off, enforces) a capability you declare."""

    access_class = _OverrideAccess

    def __init__(self, spec: str | Mapping[str, Any] = "", **fields: Any) -> None:
        self.overrides = {**parse_overrides(spec), **parse_overrides(fields)}
        self.off = frozenset(k for k, v in self.overrides.items() if v is False)

    def capability(self, inner: Capability) -> Capability:
        return inner.replace(**self.overrides)

    def wrap(self, inner: Access) -> Access:
        if not self.off:  # only claims: nothing to enforce, keep every call untouched
            return _ClaimAccess(inner, self)
        return super().wrap(inner)

    def __repr__(self) -> str:
        text = ",".join(f"{k}={str(v).lower()}" for k, v in self.overrides.items())
        return f"CapabilityOverrideLayer({text!r})"


class _ClaimAccess(LayeredAccess):
    """Forwards everything; only ``info()`` differs."""
