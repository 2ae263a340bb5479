"""Per-operation options, checked once where they enter the operator.

Names follow the ``opendal`` Python binding (offset, size, append, if_not_exists, ...).
A wrong type raises ``TypeError``; a wrong value raises ``ConfigInvalid``; both name the
operation and the option. Layers and services receive already-checked options.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from typing_extensions import Self

from opendal_lab.core.errors import ConfigInvalid

__all__ = [
    "CopyOptions",
    "DeleteOptions",
    "ListOptions",
    "ReadOptions",
    "RenameOptions",
    "StatOptions",
    "WriteOptions",
]

_KINDS: dict[str, tuple[type, ...]] = {
    "bool": (bool,),
    "int": (int,),
    "str": (str,),
    "datetime": (datetime,),
    "dict": (dict,),
}


def _kind(annotation: str) -> str:
    return next(k for k in ("bool", "int", "datetime", "dict", "str") if k in annotation)


class _Options:
    """Shared ``build``: construct from keyword arguments and check every value."""

    __slots__ = ()
    operation: ClassVar[str]
    _field_kinds: ClassVar[dict[str, str]]

    @classmethod
    def build(cls, kwargs: dict[str, Any]) -> Self:
        names = cls._field_kinds
        for key, value in kwargs.items():
            kind = names.get(key)
            if kind is None:
                raise TypeError(
                    f"{cls.operation}() got an unknown option {key!r}; "
                    f"valid options: {', '.join(sorted(names))}"
                )
            if value is None:  # None means "the default", as in the opendal binding
                continue
            if not isinstance(value, _KINDS[kind]) or (kind == "int" and isinstance(value, bool)):
                raise TypeError(
                    f"{cls.operation}(): option {key!r} must be {kind}, "
                    f"got {type(value).__name__} {value!r}"
                )
        opts = cls(**{k: v for k, v in kwargs.items() if v is not None})
        opts.validate()
        return opts

    def given(self) -> tuple[tuple[str, Any], ...]:
        """The options set (fields that differ from their defaults), as sorted pairs."""
        defaults = type(self)()
        return tuple(
            sorted(
                (f.name, getattr(self, f.name))
                for f in dataclasses.fields(self)  # type: ignore[arg-type]
                if getattr(self, f.name) != getattr(defaults, f.name)
            )
        )

    def validate(self) -> None:
        """Check values beyond their type; overridden where a value has bounds."""

    @classmethod
    def _init_kinds(cls) -> None:
        cls._field_kinds = {f.name: _kind(str(f.type)) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]

    def _bad(self, message: str) -> ConfigInvalid:
        return ConfigInvalid(message, operation=self.operation)

    def _non_negative(self, name: str) -> None:
        value = getattr(self, name)
        if value is not None and value < 0:
            raise self._bad(f"option {name!r} must be >= 0, got {value}")


@dataclass(slots=True)
class StatOptions(_Options):
    operation: ClassVar[str] = "stat"
    version: str | None = None
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: datetime | None = None
    if_unmodified_since: datetime | None = None
    override_content_type: str | None = None
    override_cache_control: str | None = None
    override_content_disposition: str | None = None


@dataclass(slots=True)
class ReadOptions(_Options):
    """``offset``/``size`` pick a range; ``suffix`` asks for the last N bytes instead."""

    operation: ClassVar[str] = "read"
    offset: int = 0
    size: int | None = None
    suffix: int | None = None
    version: str | None = None
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: datetime | None = None
    if_unmodified_since: datetime | None = None
    override_content_type: str | None = None
    override_cache_control: str | None = None
    override_content_disposition: str | None = None

    def validate(self) -> None:
        for name in ("offset", "size"):
            self._non_negative(name)
        if self.suffix is not None and self.suffix <= 0:
            raise self._bad(f"option 'suffix' must be > 0, got {self.suffix}")
        if self.suffix is not None and (self.offset or self.size is not None):
            raise self._bad("option 'suffix' cannot be combined with 'offset' or 'size'")

    @property
    def is_whole(self) -> bool:
        return self.offset == 0 and self.size is None and self.suffix is None

    def as_stat(self) -> StatOptions:
        """The stat that checks the same object: version and conditions, no range."""
        return StatOptions(
            version=self.version,
            if_match=self.if_match,
            if_none_match=self.if_none_match,
            if_modified_since=self.if_modified_since,
            if_unmodified_since=self.if_unmodified_since,
        )


@dataclass(slots=True)
class WriteOptions(_Options):
    operation: ClassVar[str] = "write"
    append: bool = False
    if_not_exists: bool = False
    if_match: str | None = None
    if_none_match: str | None = None
    content_type: str | None = None
    content_disposition: str | None = None
    content_encoding: str | None = None
    cache_control: str | None = None
    user_metadata: dict[str, str] | None = None
    chunk: int | None = None
    concurrent: int = 1

    def validate(self) -> None:
        if self.append and (self.if_not_exists or self.if_match or self.if_none_match):
            raise self._bad("option 'append' cannot be combined with a write condition")
        if self.chunk is not None and self.chunk <= 0:
            raise self._bad(f"option 'chunk' must be > 0, got {self.chunk}")
        if self.concurrent is None or self.concurrent < 1:
            raise self._bad(f"option 'concurrent' must be >= 1, got {self.concurrent}")
        for key, value in (self.user_metadata or {}).items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(
                    f"write(): option 'user_metadata' must map str to str, got {key!r}: {value!r}"
                )

    @property
    def has_metadata(self) -> bool:
        return bool(
            self.content_type
            or self.content_disposition
            or self.content_encoding
            or self.cache_control
            or self.user_metadata
        )


@dataclass(slots=True)
class ListOptions(_Options):
    """``limit`` is a page size hint: a listing still yields every entry."""

    operation: ClassVar[str] = "list"
    recursive: bool = False
    start_after: str | None = None
    limit: int | None = None
    versions: bool = False
    deleted: bool = False

    def validate(self) -> None:
        if self.limit is not None and self.limit <= 0:
            raise self._bad(f"option 'limit' must be > 0, got {self.limit}")


@dataclass(slots=True)
class DeleteOptions(_Options):
    operation: ClassVar[str] = "delete"
    version: str | None = None
    recursive: bool = False
    if_match: str | None = None

    def validate(self) -> None:
        if self.recursive and self.version:
            raise self._bad("option 'recursive' cannot be combined with 'version'")


@dataclass(slots=True)
class CopyOptions(_Options):
    operation: ClassVar[str] = "copy"
    if_not_exists: bool = False


@dataclass(slots=True)
class RenameOptions(_Options):
    operation: ClassVar[str] = "rename"
    if_not_exists: bool = False


for _cls in (
    StatOptions,
    ReadOptions,
    WriteOptions,
    ListOptions,
    DeleteOptions,
    CopyOptions,
    RenameOptions,
):
    _cls._init_kinds()
del _cls

# Shared defaults: the operator passes these when a call has no options, so layers can
# skip their checks with one identity test. Never mutate them.
DEFAULT_STAT = StatOptions()
DEFAULT_READ = ReadOptions()
DEFAULT_WRITE = WriteOptions()
DEFAULT_LIST = ListOptions()
DEFAULT_DELETE = DeleteOptions()
DEFAULT_COPY = CopyOptions()
DEFAULT_RENAME = RenameOptions()
