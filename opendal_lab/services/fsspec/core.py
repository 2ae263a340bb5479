"""Wire-level helpers of the fsspec bridge: building the filesystem from a protocol and
storage options, mapping its errors (OSErrors by core's one errno table) and reading its
``info`` dicts (the writer is core's ``SpoolWriter``)."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, NoReturn

from opendal_lab.core.errors import (
    ConfigInvalid,
    Error,
    RangeNotSatisfied,
    Unexpected,
    Unsupported,
    from_os_error,
)
from opendal_lab.core.types import EntryMode, Metadata

__all__ = ["SCHEME", "filesystem", "map_error", "metadata", "raise_mapped"]

SCHEME = "fsspec"


def map_error(err: BaseException, operation: str, path: str | None) -> Error:
    """The opendal_lab error for an exception an fsspec filesystem raised (chain it yourself).

    An ``OSError`` goes by core's one table (``errors.from_os_error``), as fs's do.
    """
    if isinstance(err, Error):
        return err
    message = str(err) or type(err).__name__
    where: dict[str, Any] = {"operation": operation, "service": SCHEME, "path": path}
    if not isinstance(err, OSError):
        cls = Unsupported if isinstance(err, NotImplementedError) else Unexpected
        return cls(message, **where)
    mapped = from_os_error(err, message=message, **where)
    if type(mapped) is Unexpected and "range" in message.lower():
        # s3fs: OSError(EINVAL, "requested range is not satisfiable")
        return RangeNotSatisfied(message, **where)
    return mapped


def raise_mapped(err: BaseException, operation: str, path: str | None) -> NoReturn:
    """Raise the mapped error ``from`` the original; one of ours goes on as it is."""
    if isinstance(err, Error):
        raise err
    raise map_error(err, operation, path) from err


def filesystem(protocol: str, options: dict[str, Any]) -> Any:
    import fsspec  # type: ignore[import-untyped]

    if not protocol:
        raise ConfigInvalid(
            "the fsspec bridge needs protocol= (e.g. 'memory', 'file', 's3') or fs=",
            service=SCHEME,
        )
    try:
        cls = fsspec.get_filesystem_class(protocol)
    except ValueError as err:
        raise ConfigInvalid(
            f"unknown fsspec protocol {protocol!r}; known protocols: "
            f"{', '.join(sorted(fsspec.available_protocols()))}",
            service=SCHEME,
        ) from err
    except ImportError as err:
        raise Unsupported(
            f"fsspec protocol {protocol!r} needs a package that is not installed: {err}",
            service=SCHEME,
        ) from err
    try:
        return cls(**_coerce_options(cls, options))
    except TypeError as err:
        raise ConfigInvalid(
            f"bad storage options for fsspec protocol {protocol!r}: {err}", service=SCHEME
        ) from err


def _coerce_options(cls: type, options: dict[str, Any]) -> dict[str, Any]:
    """Strings (from URIs) become what the ``__init__`` default of that keyword is."""
    try:
        defaults = {
            name: p.default
            for name, p in inspect.signature(cls.__init__).parameters.items()  # type: ignore[misc]
            if p.default is not inspect.Parameter.empty
        }
    except (TypeError, ValueError):
        return options
    out = dict(options)
    for key, value in options.items():
        default = defaults.get(key)
        if not isinstance(value, str) or not isinstance(default, (bool, int, float)):
            continue
        try:
            if isinstance(default, bool):
                out[key] = {"true": True, "1": True, "false": False, "0": False}[value.lower()]
            else:
                out[key] = type(default)(value)
        except (KeyError, ValueError):
            raise ConfigInvalid(
                f"storage option {key!r} must be {type(default).__name__}, got {value!r}",
                service=SCHEME,
            ) from None
    return out


def metadata(info: Mapping[str, Any]) -> Metadata:
    etag = info.get("ETag") or info.get("etag")
    return Metadata(
        EntryMode.FILE,
        content_length=int(info.get("size") or 0),
        last_modified=_modified(info),
        etag=str(etag) if etag else None,
        content_type=info.get("ContentType") or info.get("content_type"),
        version=info.get("VersionId") or None,
    )


def _modified(info: Mapping[str, Any]) -> datetime | None:
    """The modification time under whichever key this filesystem uses (created last)."""
    for key in ("mtime", "LastModified", "last_modified", "modified", "updated", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, timezone.utc)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
    return None
