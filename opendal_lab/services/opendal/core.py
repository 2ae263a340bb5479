"""What the opendal bridge translates: capability, exceptions, option values, async calls."""

from __future__ import annotations

import asyncio
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from opendal_lab.core.capability import Capability
from opendal_lab.core.errors import (
    ConfigInvalid,
    Conflict,
    Error,
    ErrorStatus,
    RangeNotSatisfied,
    Unexpected,
    Unsupported,
    error_class,
)

__all__ = [
    "SCHEME",
    "binding_options",
    "config_error",
    "map_capability",
    "map_error",
    "run_async",
    "set_only",
]

SCHEME = "opendal"
_STATUS = re.compile(r"\((permanent|temporary|persistent)\)")


def map_capability(cap: Any, metadata_class: Any = None) -> Capability:
    """Our ``Capability`` from the binding's, field by field (fields it lacks stay off).

    A ``write_with_<header>`` the binding's ``Metadata`` cannot hand back (0.47 has no
    ``cache_control``) is left off: the write would take it, but no stat could show it.
    """
    values = {}
    for name in Capability.field_names():
        value = getattr(cap, name, None)
        if value is not None:
            values[name] = value
    if metadata_class is not None:
        for header in ("cache_control", "content_type", "content_disposition", "content_encoding"):
            if not hasattr(metadata_class, header):
                values[f"write_with_{header}"] = False
    return Capability(**values)


def map_error(err: BaseException, operation: str, path: str | None) -> Error:
    """The opendal_lab error for a binding exception (chain it yourself with ``from``).

    The binding's exceptions share our kinds' names and say their status in the message:
    ``NotFound (permanent) at stat => ...`` followed by context lines.
    """
    if isinstance(err, Error):
        return err
    text = str(err)
    first = text.splitlines()[0] if text else type(err).__name__
    message = first.split("=> ", 1)[-1]
    name = type(err).__name__ if type(err).__module__.startswith("opendal") else "Unexpected"
    try:
        cls = error_class(name)
    except ValueError:  # the binding's base `Error`, or a kind we do not know
        cls = Unexpected
    if cls is Unexpected and "not empty" in message:
        cls = Conflict  # fs: a non-recursive delete of a non-empty directory
    elif cls is Unexpected and "too little data" in message:
        cls = RangeNotSatisfied  # s3: a range that runs past the end (the object ended first)
    mapped = cls(message, operation=operation, service=SCHEME, path=path)
    status = _STATUS.search(first)
    if status and cls not in (Conflict, RangeNotSatisfied):
        mapped.status = ErrorStatus(status.group(1))
    return mapped


def binding_options(values: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in values.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            out[key] = str(value)
        elif isinstance(value, os.PathLike):
            out[key] = os.fspath(value)
        else:
            raise ConfigInvalid(
                f"option {key!r} of the opendal bridge must be str, bool or a number, "
                f"got {type(value).__name__}",
                service=SCHEME,
            )
    return out


def run_async(fn: Any, *args: Any) -> Any:
    """Await ``fn(*args)`` from sync code, in a thread of its own if a loop already runs
    here (Jupyter): the binding's futures must be created inside a running loop."""

    async def main() -> Any:
        return await fn(*args)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, main()).result()


def set_only(**values: Any) -> dict[str, Any]:
    """The options that are set: the binding treats a passed ``None`` as a value for some."""
    return {k: v for k, v in values.items() if v is not None}


def config_error(err: Exception, what: str) -> Error:
    text = str(err)
    available = next((line.strip() for line in text.splitlines() if "available:" in line), "")
    if "not registered" in text or type(err).__name__ == "Unsupported":
        return Unsupported(
            f"the opendal binding has no service {what!r}"
            + (f"; {available}" if available else ""),
            service=SCHEME,
        )
    return ConfigInvalid(f"opendal binding refused {what!r}: {map_error(err, '', None).message}")
