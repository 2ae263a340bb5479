"""Reading a source's options: numbers and flags from the strings Spark and Sail hand over.

Every option reaches a source as a string (``dict[str, str]``). These helpers read one and
fail, when it is not what it must be, with ``ConfigInvalid`` naming the source and the
option -- the same words for every source::

    rows = int_option(options, "rows", 100, minimum=0, source="RangeSource")
    header = bool_option(options, "header", "true", source="FileSource")

They are part of ``opendal_lab.datasource.api``, for built-in and third-party sources alike.

Option names are case-insensitive, as in Spark: PySpark hands a source its options in a
``CaseInsensitiveDict`` whose keys are lower-cased (``apiKey`` arrives as ``apikey``), so
``load``, ``scan`` and the Spark adapter all hand sources an ``Options``: a ``dict`` whose
keys are stored lower-cased and whose lookups (``[]``, ``get``, ``in``, ``pop`` ...) ignore
case. ``options["apiKey"]`` and ``options["apikey"]`` are the same entry, and iterating or
copying it (``dict(options)``) yields the lower-cased names -- what Spark yields -- so a
source that reads lower-case names behaves the same on every path, even on a plain copy.
Two names that differ only by case, given together, are a ``ConfigInvalid`` naming both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from opendal_lab.core.config import FALSE, TRUE, flag
from opendal_lab.core.errors import ConfigInvalid

__all__ = ["FALSE", "TRUE", "Options", "bool_option", "int_option", "option_error"]

D = TypeVar("D", int, None)


def option_error(source: str, message: str) -> ConfigInvalid:
    """The ConfigInvalid for a bad option of ``source``: ``"<source>: <message>"``."""
    return ConfigInvalid(f"{source}: {message}", operation="datasource")


def int_option(
    options: Mapping[str, str], name: str, default: D, *, minimum: int, source: str
) -> int | D:
    """Option ``name`` as an integer of at least ``minimum``; ``default`` when it is absent."""
    raw = options.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise option_error(source, f"option {name!r} must be an integer, not {raw!r}") from None
    if value < minimum:
        raise option_error(source, f"option {name!r} must be at least {minimum}, not {value}")
    return value


def bool_option(options: Mapping[str, str], name: str, default: str, *, source: str) -> bool:
    """Option ``name`` as a flag (``true``/``1``/``yes``/``on`` or their opposites)."""
    value = options.get(name, default)
    read = flag(value)
    if read is None:
        raise option_error(source, f"option {name!r} must be true or false, not {value.lower()!r}")
    return read


def _fold(key: Any) -> Any:
    return key.lower() if isinstance(key, str) else key


class Options(dict[str, str]):
    """A source's options with case-insensitive names, stored lower-cased (module docstring).

    ``Options({"Path": "a"})["path"] == "a"``; ``list(Options({"Path": "a"})) == ["path"]``.
    Raises ConfigInvalid when two given names differ only by case (``Path`` and ``path``).
    """

    def __init__(
        self, options: Mapping[str, str] | Iterable[tuple[str, str]] = (), /, **more: str
    ) -> None:
        super().__init__()
        given: dict[str, str] = {}  # lower-cased name -> the name as given
        items = list(options.items() if isinstance(options, Mapping) else options)
        for key, value in [*items, *more.items()]:
            folded = key.lower()
            first = given.setdefault(folded, key)
            if first != key:
                raise ConfigInvalid(
                    f"options {first!r} and {key!r} differ only by case; option names are "
                    "case-insensitive (as in Spark), so give one of them",
                    operation="datasource",
                )
            super().__setitem__(folded, value)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(_fold(key))

    def __setitem__(self, key: str, value: str) -> None:
        super().__setitem__(key.lower(), value)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(_fold(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(_fold(key))

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(_fold(key), default)

    def pop(self, key: str, *default: Any) -> Any:
        return super().pop(_fold(key), *default)

    def setdefault(self, key: str, default: str) -> str:
        return super().setdefault(key.lower(), default)

    def update(self, *args: Any, **more: str) -> None:
        for key, value in dict(*args, **more).items():
            self[key] = value

    def copy(self) -> Options:
        return Options(self)

    def __or__(self, other: Any) -> Options:  # type: ignore[override]
        merged = self.copy()
        merged.update(other)
        return merged

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (to a process pool or Dask worker) as the class and its plain items.
        return (Options, (dict(self),))

    def __repr__(self) -> str:
        return f"Options({dict.__repr__(self)})"
