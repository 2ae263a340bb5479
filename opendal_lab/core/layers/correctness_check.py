"""CorrectnessCheckLayer: refuse arguments that would change the result but cannot be honoured.

Always on, outermost of the default layers, so it sees the capability after simulation.
``append``, ``if_not_exists``, ``if_match``, ``if_none_match``, ``version``, a suffix
read, a recursive delete and every list option (``recursive``, ``start_after``,
``limit``, ``versions``, ``deleted``) on a stack that cannot do them raise ``Unsupported``
naming the service, the operation, the argument and the capability field. Silently
ignoring them would return a different answer than the caller asked for.

The check costs one identity test when a call has no options.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import ClassVar

from opendal_lab.core.access import Access, AccessInfo, BaseLayer, Failures, LayeredAccess, Writer
from opendal_lab.core.capability import Capability
from opendal_lab.core.errors import Unsupported
from opendal_lab.core.layers.simulate import SWITCH_FIELDS
from opendal_lab.core.options import (
    DEFAULT_COPY,
    DEFAULT_DELETE,
    DEFAULT_LIST,
    DEFAULT_READ,
    DEFAULT_RENAME,
    DEFAULT_STAT,
    DEFAULT_WRITE,
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.types import Entry, Metadata

__all__ = ["ArgumentCheckAccess", "CorrectnessCheckLayer", "check_arguments", "unsupported"]


def unsupported(
    info: AccessInfo, operation: str, argument: str, field: str, path: str | None = None
) -> Unsupported:
    """The one way to say a stack cannot honour an argument (or an operation)."""
    what = operation if argument == operation else f"{operation} with {argument!r}"
    err = Unsupported(
        f"service {info.scheme!r} cannot {what} (capability {field} is false){_hint(field)}",
        operation=operation,
        service=info.scheme,
        path=path,
    )
    return err if argument == operation else err.with_context("argument", argument)


def _hint(field: str) -> str:
    switch = _SWITCH_FOR.get(field)
    return f"; SimulateLayer's {switch!r} switch can simulate it" if switch else ""


_SWITCH_FOR = {field: switch for switch, field in SWITCH_FIELDS.items()}


def check_arguments(
    info: AccessInfo,
    operation: str,
    opts: object,
    rules: tuple[tuple[str, str], ...],
    path: str | None = None,
) -> None:
    """Raise ``Unsupported`` for the first set option whose capability field is false."""
    cap: Capability = info.capability
    for argument, field in rules:
        value = getattr(opts, argument)
        if value is not None and value is not False and not getattr(cap, field):
            raise unsupported(info, operation, argument, field, path)


_STAT = (
    ("version", "stat_with_version"),
    ("if_match", "stat_with_if_match"),
    ("if_none_match", "stat_with_if_none_match"),
    ("if_modified_since", "stat_with_if_modified_since"),
    ("if_unmodified_since", "stat_with_if_unmodified_since"),
)
_READ = (
    ("version", "read_with_version"),
    ("suffix", "read_with_suffix"),
    ("if_match", "read_with_if_match"),
    ("if_none_match", "read_with_if_none_match"),
    ("if_modified_since", "read_with_if_modified_since"),
    ("if_unmodified_since", "read_with_if_unmodified_since"),
)
_WRITE = (
    ("append", "write_can_append"),
    ("if_not_exists", "write_with_if_not_exists"),
    ("if_match", "write_with_if_match"),
    ("if_none_match", "write_with_if_none_match"),
)
_LIST = (
    ("recursive", "list_with_recursive"),
    ("start_after", "list_with_start_after"),
    ("limit", "list_with_limit"),
    ("versions", "list_with_versions"),
    ("deleted", "list_with_deleted"),
)
_DELETE = (
    ("version", "delete_with_version"),
    ("recursive", "delete_with_recursive"),
    ("if_match", "delete_with_if_match"),
)
_COPY = (("if_not_exists", "copy_with_if_not_exists"),)
_RENAME = (("if_not_exists", "rename_with_if_not_exists"),)


class ArgumentCheckAccess(LayeredAccess):
    """Checks a stat's and a read's options against ``stat_rules`` and ``read_rules``
    (argument, capability field) before forwarding; a call without options costs one
    identity test. CorrectnessCheck and CapabilityCheck differ only in their rules."""

    stat_rules: ClassVar[tuple[tuple[str, str], ...]] = ()
    read_rules: ClassVar[tuple[tuple[str, str], ...]] = ()

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        if opts is not DEFAULT_STAT:
            check_arguments(self._access_info, "stat", opts, self.stat_rules, path)
        return self.inner.stat(path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        if opts is not DEFAULT_READ:
            check_arguments(self._access_info, "read", opts, self.read_rules, path)
        return self.inner.read(path, opts)


class _CorrectnessCheckAccess(ArgumentCheckAccess):
    stat_rules = _STAT
    read_rules = _READ

    def __init__(self, inner: Access, layer: BaseLayer) -> None:
        super().__init__(inner, layer)
        cap = self._access_info.capability
        # Whether a write with default options still has something to check.
        self._check_plain_writes = not cap.write or cap.write_total_max_size is not None

    def _require(self, operation: str, field: str, path: str) -> None:
        if not getattr(self._access_info.capability, field):
            raise unsupported(self._access_info, operation, operation, field, path)

    def _check_write(self, path: str, opts: WriteOptions, size: int | None) -> None:
        cap = self._access_info.capability
        if not cap.write:
            self._require("write", "write", path)
        if opts is not DEFAULT_WRITE:
            check_arguments(self._access_info, "write", opts, _WRITE, path)
        limit = cap.write_total_max_size
        if size is not None and limit is not None and size > limit:
            raise unsupported(
                self._access_info, "write", "size", "write_total_max_size", path
            ).with_context("size", size)
        if size == 0 and not cap.write_can_empty:
            raise unsupported(self._access_info, "write", "empty content", "write_can_empty", path)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        if opts is not DEFAULT_WRITE or self._check_plain_writes or not data:
            self._check_write(path, opts, len(data))
        return self.inner.write(path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        self._check_write(path, opts, None)
        return self.inner.writer(path, opts)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        if not self._access_info.capability.list:
            self._require("list", "list", path)
        if opts is not DEFAULT_LIST:
            check_arguments(self._access_info, "list", opts, _LIST, path)
        return self.inner.list(path, opts)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        if opts is not DEFAULT_DELETE:
            check_arguments(self._access_info, "delete", opts, _DELETE, path)
        return self.inner.delete(path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        for path, opts in items:
            if opts is not DEFAULT_DELETE:
                check_arguments(self._access_info, "delete", opts, _DELETE, path)
        return self.inner.delete_many(items)

    def create_dir(self, path: str) -> None:
        self._require("create_dir", "create_dir", path)
        return self.inner.create_dir(path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._require("copy", "copy", source)
        if opts is not DEFAULT_COPY:
            check_arguments(self._access_info, "copy", opts, _COPY, source)
        return self.inner.copy(source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._require("rename", "rename", source)
        if opts is not DEFAULT_RENAME:
            check_arguments(self._access_info, "rename", opts, _RENAME, source)
        return self.inner.rename(source, target, opts)


class CorrectnessCheckLayer(BaseLayer):
    """Rejects result-changing arguments the stack cannot honour (always on)."""

    forwards_plain = frozenset({"stat", "read"})

    access_class = _CorrectnessCheckAccess
