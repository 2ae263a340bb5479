"""What the obstore bridge translates: each store's native capability and obstore's errors."""

from __future__ import annotations

import re

from opendal_lab.core.capability import Capability
from opendal_lab.core.errors import (
    ConditionNotMatch,
    ConfigInvalid,
    Error,
    ErrorStatus,
    NotFound,
    PermissionDenied,
    RangeNotSatisfied,
    RateLimited,
    Unexpected,
    Unsupported,
)
from opendal_lab.core.secrets import redact

__all__ = ["SCHEME", "capability_for", "map_error"]

SCHEME = "obstore"
MIB = 1024 * 1024

# What every obstore store does: head/get with HTTP conditions, put, a batch delete,
# server-side copy and rename, a recursive list from an offset and a one-level list.
_COMMON = Capability(
    stat=True,
    stat_with_if_match=True,
    stat_with_if_none_match=True,
    stat_with_if_modified_since=True,
    stat_with_if_unmodified_since=True,
    read=True,
    read_with_if_match=True,
    read_with_if_none_match=True,
    read_with_if_modified_since=True,
    read_with_if_unmodified_since=True,
    read_with_suffix=True,
    write=True,
    write_can_multi=True,
    write_can_empty=True,
    delete=True,
    copy=True,
    rename=True,
    list=True,
    list_with_limit=True,
    list_with_start_after=True,
    list_with_recursive=True,
    shared=True,
)
_ATTRIBUTES = {
    "write_with_content_type": True,
    "write_with_content_disposition": True,
    "write_with_content_encoding": True,
    "write_with_cache_control": True,
    "write_with_user_metadata": True,
}
_PRESIGN = {
    "presign": True,
    "presign_read": True,
    "presign_stat": True,
    "presign_write": True,
    "presign_delete": True,
}
_CREATE = {"write_with_if_not_exists": True}
_UPDATE = {"write_with_if_match": True}
_COPY_IF_NOT_EXISTS = {"copy_with_if_not_exists": True, "rename_with_if_not_exists": True}

#: Each store's native set, as object_store implements it (obstore 0.12, object_store 0.14):
#: S3 has no copy-if-not-exists without extra config and needs 5 MiB parts; Azure has no
#: suffix range and deletes in batches of 256; a local store keeps no attributes and has
#: no compare-and-swap put (its directories are run as prefixes: see the package); memory
#: is one store per operator; HTTP (WebDAV) has no conditional put, no attributes and no signing.
_BY_KIND: dict[str, Capability] = {
    "s3": _COMMON.replace(
        **_ATTRIBUTES,
        **_PRESIGN,
        **_CREATE,
        **_UPDATE,
        delete_max_size=1000,
        write_multi_min_size=5 * MIB,
        write_multi_max_size=5 * 1024 * MIB,
        write_total_max_size=5 * 1024**4,
    ),
    "gcs": _COMMON.replace(**_ATTRIBUTES, **_PRESIGN, **_CREATE, **_COPY_IF_NOT_EXISTS),
    "azure": _COMMON.replace(
        **_ATTRIBUTES,
        **_PRESIGN,
        **_CREATE,
        **_UPDATE,
        **_COPY_IF_NOT_EXISTS,
        read_with_suffix=False,
        delete_max_size=256,
    ),
    "local": _COMMON.replace(**_CREATE, **_COPY_IF_NOT_EXISTS),
    "memory": _COMMON.replace(
        **_ATTRIBUTES, **_CREATE, **_UPDATE, **_COPY_IF_NOT_EXISTS, shared=False
    ),
    "http": _COMMON,
}


def capability_for(kind: str) -> Capability:
    """The native capability of an obstore store of ``kind`` (``config.store_kind``)."""
    return _BY_KIND[kind]


# obstore's exception class names (obstore.exceptions) -> our kinds.
_BY_CLASS: dict[str, type[Error]] = {
    "FileNotFoundError": NotFound,
    "NotFoundError": NotFound,
    "PreconditionError": ConditionNotMatch,
    "NotModifiedError": ConditionNotMatch,
    "PermissionDeniedError": PermissionDenied,
    "UnauthenticatedError": PermissionDenied,
    "NotSupportedError": Unsupported,
    "NotImplementedError": Unsupported,
    "UnknownConfigurationKeyError": ConfigInvalid,
    "InvalidPathError": ConfigInvalid,
}
_STATUS = re.compile(r"status code: (\d{3})")
_RETRIES = re.compile(r"retries: (\d+)")
_RANGE = ("Invalid range", "Requested range was invalid", "Range Not Satisfiable", "Wanted range")
_TRANSIENT = ("error sending request", "connection", "timed out", "operation timed out")


def map_error(err: BaseException, operation: str, path: str | None) -> Error:
    """The opendal_lab error for an obstore exception (chain it yourself with ``from``).

    obstore raises a class per object_store error kind (``PreconditionError``,
    ``AlreadyExistsError``, the builtin ``FileNotFoundError``...) and a ``GenericError``
    for the rest, whose message carries the HTTP status; its first line is the message, the
    rest a debug dump. ``AlreadyExistsError`` is ``ConditionNotMatch`` (it answers
    ``if_not_exists``). A transient failure (5xx, 429, a dropped connection) is
    ``temporary``, and ``persistent`` once obstore's own retries ran out.
    """
    if isinstance(err, Error):
        return err
    text = redact(str(err))
    message = text.split("\n\nDebug source", 1)[0].strip() or type(err).__name__
    name = type(err).__name__
    cls: type[Error] = _BY_CLASS.get(name, Unexpected)
    status = ErrorStatus.PERMANENT
    if name == "AlreadyExistsError":
        cls = ConditionNotMatch
    elif name == "ValueError" and "parse path" in message:
        cls = ConfigInvalid  # object_store refuses '.', '..' and empty segments
    elif cls is Unexpected:
        code = _STATUS.search(text)
        http = int(code.group(1)) if code else 0
        if http == 416 or any(marker in message for marker in _RANGE):
            cls = RangeNotSatisfied
        elif "ParseContentRange" in text and '/0"' in text:
            cls = RangeNotSatisfied  # Azurite's answer to a range of an empty blob
        elif http in (401, 403):
            cls = PermissionDenied
        elif http == 404:
            cls = NotFound
        elif http == 429 or "SlowDown" in text:
            cls, status = RateLimited, ErrorStatus.TEMPORARY
        elif http >= 500 or (not http and any(t in text.lower() for t in _TRANSIENT)):
            status = ErrorStatus.TEMPORARY
    mapped = cls(message, operation=operation, service=SCHEME, path=path, status=status)
    retries = _RETRIES.search(text)
    if mapped.is_temporary and retries and int(retries.group(1)) > 0:
        mapped.set_persistent()
        mapped.with_context("retries", int(retries.group(1)))
    return mapped
