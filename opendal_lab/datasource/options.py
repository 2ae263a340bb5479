"""Reading a source's options: numbers and flags from the strings Spark and Sail hand over.

Every option reaches a source as a string (``dict[str, str]``). These helpers read one and
fail, when it is not what it must be, with ``ConfigInvalid`` naming the source and the
option -- the same words for every source::

    rows = int_option(options, "rows", 100, minimum=0, source="RangeSource")
    header = bool_option(options, "header", "true", source="FileSource")

They are part of ``opendal_lab.datasource.api``, for built-in and third-party sources alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from opendal_lab.core.config import FALSE, TRUE, flag
from opendal_lab.core.errors import ConfigInvalid

__all__ = ["FALSE", "TRUE", "bool_option", "int_option", "option_error"]

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
