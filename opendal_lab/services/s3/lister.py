"""s3 lister: ListObjectsV2 (or ListObjectVersions) pages turned into entries.

The semantics are memory's (``services/memory.py``), which the behavior suite checks:

- ``d/`` yields ``d/`` itself first (when anything is at or below it; the root always),
  then what is below it, sorted: a plain list asks with ``Delimiter="/"`` and turns
  ``CommonPrefixes`` into DIR entries; a recursive one asks without a delimiter and yields
  every object (``d/`` markers left by simulated create_dir as DIRs).
- A file path ``p/y`` is a prefix: it yields ``p/y``, ``p/yy``, ``p/y/`` (a DIR).
- ``start_after`` goes to S3 as ``StartAfter`` (``KeyMarker`` for versions); ``limit`` is
  the page size (``MaxKeys``), and every page is still read.
- ``versions=True`` lists every version, ``deleted=True`` adds delete markers; each entry's
  metadata has ``version``, ``is_current`` and ``is_deleted``.

S3 returns keys and common prefixes in two sorted lists per page; pages follow each other
in key order, so merging within each page keeps the whole listing sorted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from opendal_lab.core.options import ListOptions
from opendal_lab.core.path import ROOT
from opendal_lab.core.types import DIR_METADATA, Entry, EntryMode, Metadata
from opendal_lab.services.s3.core import S3Core

__all__ = ["list_entries"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def list_entries(core: S3Core, path: str, opts: ListOptions) -> Iterator[Entry]:
    """Entries of ``path`` (a dir, the root, or a file path used as a prefix)."""
    key = core.key(path)
    if path.endswith("/"):
        return _list_dir(core, path, key, opts)
    return _flatten(_pages(core, key, opts, skip=None))


def _list_dir(core: S3Core, path: str, key: str, opts: ListOptions) -> Iterator[Entry]:
    pages = _pages(core, key, opts, skip=key)
    first, nonempty = next(pages, ([], False))
    # Past start_after only if the dir itself sorts after it; then StartAfter cannot have
    # hidden anything below the dir, and an empty first page means an empty dir.
    if (opts.start_after is None or path > opts.start_after) and (path == ROOT or nonempty):
        yield Entry(path, DIR_METADATA)
    yield from first
    for entries, _ in pages:
        yield from entries


def _flatten(pages: Iterator[tuple[list[Entry], bool]]) -> Iterator[Entry]:
    for entries, _ in pages:
        yield from entries


def _pages(
    core: S3Core, prefix: str, opts: ListOptions, skip: str | None
) -> Iterator[tuple[list[Entry], bool]]:
    """Each page as (sorted entries, whether S3 returned anything at all on it)."""
    if opts.versions or opts.deleted:
        yield from _version_pages(core, prefix, opts, skip)
        return
    params: dict[str, Any] = {"Prefix": prefix}
    if not opts.recursive:
        params["Delimiter"] = "/"
    if opts.start_after is not None:
        params["StartAfter"] = core.key(opts.start_after)
    if opts.limit is not None:
        params["MaxKeys"] = opts.limit
    after = opts.start_after
    path_of = core.path
    verify = core.verify_prefixes
    while True:
        out = core.call("list", core.path(prefix), "list_objects_v2", **params)
        contents = out.get("Contents", ())
        prefixes = out.get("CommonPrefixes", ())
        items: list[tuple[str, Entry]] = []
        kept = 0
        for obj in contents:
            k = obj["Key"]
            if k == skip:
                continue
            p = path_of(k)
            if after is not None and p <= after:
                continue
            items.append((k, Entry(p, _object_metadata(obj, k))))
        for cp in prefixes:
            k = cp["Prefix"]
            p = path_of(k)
            if (after is None or p > after) and (not verify or _has_current(core, k)):
                items.append((k, Entry(p, DIR_METADATA)))
                kept += 1
        if prefixes and contents:
            items.sort(key=lambda item: item[0])
        yield [entry for _, entry in items], bool(contents) or kept > 0
        token = out.get("NextContinuationToken")
        if not out.get("IsTruncated") or not token:
            return
        params["ContinuationToken"] = token


def _has_current(core: S3Core, prefix: str) -> bool:
    """Whether a current object is below ``prefix`` (see ``S3Config.verify_prefixes``)."""
    out = core.call("list", core.path(prefix), "list_objects_v2", Prefix=prefix, MaxKeys=1)
    return bool(out.get("KeyCount") or out.get("Contents"))


def _object_metadata(obj: dict[str, Any], key: str) -> Metadata:
    if key.endswith("/"):
        return DIR_METADATA  # a marker: a directory has no length
    return Metadata(
        EntryMode.FILE,
        content_length=obj.get("Size"),
        last_modified=obj.get("LastModified"),
        etag=obj.get("ETag"),
    )


def _version_pages(
    core: S3Core, prefix: str, opts: ListOptions, skip: str | None
) -> Iterator[tuple[list[Entry], bool]]:
    params: dict[str, Any] = {"Prefix": prefix}
    if not opts.recursive:
        params["Delimiter"] = "/"
    if opts.start_after is not None:
        params["KeyMarker"] = core.key(opts.start_after)
    if opts.limit is not None:
        params["MaxKeys"] = opts.limit
    after = opts.start_after
    path_of = core.path
    while True:
        out = core.call("list", core.path(prefix), "list_object_versions", **params)
        versions = out.get("Versions", ())
        markers = out.get("DeleteMarkers", ())
        prefixes = out.get("CommonPrefixes", ())
        # (key, the latest first, then newest first, versions before markers, entry):
        # S3 lists both newest first; merged, they keep that order.
        items: list[tuple[str, int, float, int, Entry]] = []
        for obj in versions:
            if opts.versions or obj.get("IsLatest"):
                items.append(_version_item(obj, path_of, deleted=False))
        if opts.deleted:
            for obj in markers:
                items.append(_version_item(obj, path_of, deleted=True))
        for cp in prefixes:
            items.append((cp["Prefix"], 0, 0.0, 0, Entry(path_of(cp["Prefix"]), DIR_METADATA)))
        items.sort(key=lambda item: item[:4])
        entries = [
            item[4] for item in items if item[0] != skip and (after is None or item[4].path > after)
        ]
        yield entries, bool(versions or markers or prefixes)
        if not out.get("IsTruncated"):
            return
        params["KeyMarker"] = out.get("NextKeyMarker")
        if out.get("NextVersionIdMarker"):
            params["VersionIdMarker"] = out["NextVersionIdMarker"]
        else:
            params.pop("VersionIdMarker", None)


def _version_item(
    obj: dict[str, Any], path_of: Any, deleted: bool
) -> tuple[str, int, float, int, Entry]:
    key: str = obj["Key"]
    last: datetime | None = obj.get("LastModified")
    meta = Metadata(
        EntryMode.DIR if key.endswith("/") else EntryMode.FILE,
        content_length=None if deleted or key.endswith("/") else obj.get("Size"),
        last_modified=last,
        etag=None if deleted else obj.get("ETag"),
        version=obj.get("VersionId"),
        is_current=bool(obj.get("IsLatest")),
        is_deleted=deleted,
    )
    stamp = -(last or _EPOCH).timestamp()
    return key, int(not meta.is_current), stamp, int(deleted), Entry(path_of(key), meta)
