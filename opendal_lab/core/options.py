"""Per-operation options, checked once where they enter the operator.

Names follow the ``opendal`` Python binding (offset, size, append, if_not_exists, ...).
A wrong type raises ``TypeError``; a wrong value raises ``ConfigInvalid``; both name the
operation and the option. Layers and services receive already-checked options.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, ClassVar

from typing_extensions import Self

from opendal_lab.core.config import Check, Spec, Voice, check_values, did_you_mean, specs
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


class _Options:
    """Shared ``build``: construct from keyword arguments and check every value.

    Each field is declared once, bounds included (``Annotated[int, Check(ge=0)]``); the
    checker and its messages are ``core.config``'s. ``validate`` keeps what involves
    several options at once.
    """

    __slots__ = ()
    operation: ClassVar[str]
    #: ``{option: Spec}``, in declaration order (``"name" in _field_kinds`` asks if it exists).
    _field_kinds: ClassVar[dict[str, Spec]]
    _voice: ClassVar[Voice]

    @classmethod
    def build(cls, kwargs: dict[str, Any]) -> Self:
        # None means "the default", as in the opendal binding.
        given = {k: v for k, v in kwargs.items() if v is not None or k not in cls._field_kinds}
        opts = cls(**check_values(cls._field_kinds, given, cls._voice))
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
        """Check what involves several options; overridden where some exclude others."""

    @classmethod
    def _init_kinds(cls) -> None:
        cls._field_kinds = specs(cls)
        operation = cls.operation

        def wrong_type(message: str) -> Exception:
            return TypeError(f"{operation}(): {message}")

        def wrong_value(message: str) -> Exception:
            return ConfigInvalid(message, operation=operation)

        def unknown(key: str, valid: list[str]) -> Exception:
            return TypeError(
                f"{operation}() got an unknown option {key!r}{did_you_mean(key, valid)}; "
                f"valid options: {', '.join(sorted(valid))}"
            )

        cls._voice = Voice(
            subject="option {name!r}",
            articles=False,
            wrong_type=wrong_type,
            wrong_value=wrong_value,
            unknown=unknown,
        )

    def _bad(self, message: str) -> ConfigInvalid:
        return ConfigInvalid(message, operation=self.operation)


_Count = Annotated[int, Check(ge=0)]
_Positive = Annotated[int, Check(gt=0)]


@dataclass(slots=True)
class _ObjectOptions(_Options):
    """What stat and read both take: the version, conditions and response overrides."""

    version: str | None = None
    if_match: str | None = None
    if_none_match: str | None = None
    if_modified_since: datetime | None = None
    if_unmodified_since: datetime | None = None
    override_content_type: str | None = None
    override_cache_control: str | None = None
    override_content_disposition: str | None = None


@dataclass(slots=True)
class StatOptions(_ObjectOptions):
    operation: ClassVar[str] = "stat"


@dataclass(slots=True)
class ReadOptions(_ObjectOptions):
    """``offset``/``size`` pick a range; ``suffix`` asks for the last N bytes instead."""

    operation: ClassVar[str] = "read"
    offset: _Count = 0
    size: _Count | None = None
    suffix: _Positive | None = None

    def validate(self) -> None:
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
    chunk: _Positive | None = None
    concurrent: Annotated[int, Check(ge=1)] = 1

    def validate(self) -> None:
        if self.append and (self.if_not_exists or self.if_match or self.if_none_match):
            raise self._bad("option 'append' cannot be combined with a write condition")

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
    limit: _Positive | None = None
    versions: bool = False
    deleted: bool = False


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
