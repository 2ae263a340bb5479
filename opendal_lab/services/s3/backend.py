"""s3: any S3-compatible endpoint, through a botocore client.

- Reads are one GetObject, ranged (``bytes=a-b``) or a native suffix (``bytes=-N``); no
  HEAD first. Conditions (``if_match``, ``if_none_match``, ``if_(un)modified_since``) go to
  S3 and are checked again on the response, so servers that ignore one still answer right.
- Writes are one PutObject up to ``part_size`` and a multipart upload with concurrent parts
  beyond (``writer.py``); ``if_not_exists`` is ``IfNoneMatch: *``, ``if_match`` is
  ``IfMatch``. S3 takes no other ``If-None-Match`` value on writes, so
  ``write_with_if_none_match`` is not declared: use ``if_not_exists``.
- Lists are ListObjectsV2 pages (``lister.py``): recursive, start_after and limit native.
- Versions (config ``enable_versioning=True``): stat/read/delete by version, and
  ``list(versions=True, deleted=True)`` through ListObjectVersions.
- Batch delete is DeleteObjects (``delete_max_size`` keys, at most 1000), returning the keys
  that failed; copy is CopyObject; presign covers read, stat, write and delete.
- No native create_dir, rename, append or recursive delete. SimulateLayer writes ``d/``
  markers, answers ``stat("d/")`` by listing, and deletes recursively by listing.

Config: see ``S3Config`` (``config.py``). ``s3://bucket/prefix?region=...&endpoint=...``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any

from opendal_lab.core.access import AccessInfo, Failures, PresignOperation, Service
from opendal_lab.core.capability import Capability
from opendal_lab.core.config import build_config, configured
from opendal_lab.core.errors import ConditionNotMatch, ConfigInvalid, NotFound, RangeNotSatisfied
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.path import ROOT
from opendal_lab.core.registry import refuse_subscheme
from opendal_lab.core.types import DIR_METADATA, Entry, Metadata, PresignedRequest
from opendal_lab.services.s3.config import MAX_PART_SIZE, MIN_PART_SIZE, S3Config, redact
from opendal_lab.services.s3.core import SCHEME, S3Core, head_metadata
from opendal_lab.services.s3.lister import list_entries
from opendal_lab.services.s3.writer import S3Writer, put

__all__ = ["S3Service"]

_PRESIGN = {
    "read": ("get_object", "GET"),
    "stat": ("head_object", "HEAD"),
    "write": ("put_object", "PUT"),
    "delete": ("delete_object", "DELETE"),
}
_MAX_PRESIGN = 7 * 24 * 3600  # SigV4 presigned URLs live at most a week

_VERSIONED = {
    "stat_with_version": True,
    "read_with_version": True,
    "delete_with_version": True,
    "list_with_versions": True,
    "list_with_deleted": True,
}


@configured()
class S3Service(Service):
    scheme = SCHEME
    config_class = S3Config
    native = Capability(
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
        write_with_content_type=True,
        write_with_content_disposition=True,
        write_with_content_encoding=True,
        write_with_cache_control=True,
        write_with_user_metadata=True,
        write_with_if_not_exists=True,
        write_with_if_match=True,
        write_multi_min_size=MIN_PART_SIZE,
        write_multi_max_size=MAX_PART_SIZE,
        write_total_max_size=5 * 1024**4,
        delete=True,
        delete_max_size=1000,
        copy=True,
        list=True,
        list_with_limit=True,
        list_with_start_after=True,
        list_with_recursive=True,
        presign=True,
        presign_read=True,
        presign_stat=True,
        presign_write=True,
        presign_delete=True,
        shared=True,
    )

    def __init__(self, *args: Any, **values: Any) -> None:
        """The fields of ``S3Config`` (or one ``S3Config``), checked; the signature shown
        is theirs."""
        cfg: S3Config = build_config(S3Config, args, values, SCHEME)
        config = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
        root = "/" + cfg.root.strip("/") + "/" if cfg.root.strip("/") else "/"
        super().__init__(root=root, name=cfg.bucket)
        native = self.native.replace(delete_max_size=cfg.delete_max_size)
        if cfg.enable_versioning:
            native = native.replace(**_VERSIONED)
        self._access_info = AccessInfo(SCHEME, root, cfg.bucket, native, native)
        self._config = config
        self._cfg = cfg
        self._core = S3Core(cfg, root)

    @classmethod
    def config_from_uri(
        cls, host: str, path: str, subscheme: str | None, given: str
    ) -> dict[str, str]:
        """``s3://bucket/prefix``: the host is the bucket, the path the root."""
        refuse_subscheme(SCHEME, subscheme)
        return {"bucket": host, "root": path or "/"}

    def __reduce__(self) -> tuple[Any, ...]:
        # The client does not pickle; a copy builds its own from the same config.
        return (_rebuild, (self._config,))

    @property
    def core(self) -> S3Core:
        return self._core

    # -- stat & read ---------------------------------------------------------------
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        if path == ROOT:
            return DIR_METADATA
        params = _read_params(opts)
        out = self._core.head("stat", path, **params)
        meta = head_metadata(out, path, current=opts.version is None)
        if params:
            _verify(out, opts, path)
        return meta

    def read(self, path: str, opts: ReadOptions) -> bytes:
        core = self._core
        params = _read_params(opts)
        offset, size, suffix = opts.offset, opts.size, opts.suffix
        if suffix is not None:
            params["Range"] = f"bytes=-{suffix}"
        elif size == 0:
            # No HTTP range is empty: check the object and the offset with a HEAD.
            length = self.stat(path, opts.as_stat()).content_length or 0
            if offset and offset >= length:
                raise RangeNotSatisfied(
                    f"offset {offset} is past the end ({length} bytes)", service=SCHEME, path=path
                )
            return b""
        elif offset or size is not None:
            end = "" if size is None else str(offset + size - 1)
            params["Range"] = f"bytes={offset}-{end}"
        attempt = 0
        while True:  # botocore retries the request; a body cut off midway is retried here
            attempt += 1
            try:
                out = core.call("read", path, "get_object", Key=core.key(path), **params)
            except RangeNotSatisfied:
                if suffix is not None:  # a suffix of an empty object: AWS answers 416
                    return b""
                raise
            body = out["Body"]
            try:
                data: bytes = body.read()
                break
            except Exception as err:
                failed = core.error(err, "read", path)
                if not failed.is_temporary or attempt >= core.max_attempts:
                    raise core.gave_up(failed, attempt) from err
            finally:
                body.close()
            core.backoff(attempt)
        if len(params) > ("Range" in params) + ("VersionId" in params):
            _verify(out, opts, path)
        return data

    # -- write -------------------------------------------------------------------
    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        if len(data) <= (opts.chunk or self._cfg.part_size):
            return put(self._core, path, data, opts)
        return super().write(path, data, opts)  # multipart, parts in parallel

    def writer(self, path: str, opts: WriteOptions) -> S3Writer:
        part_size = opts.chunk or self._cfg.part_size
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ConfigInvalid(
                f"option 'chunk' is the multipart part size and must be between 5 MiB and "
                f"5 GiB for s3, got {part_size}",
                operation="write",
                service=SCHEME,
                path=path,
            )
        concurrent = opts.concurrent if opts.concurrent != 1 else self._cfg.write_concurrency
        return S3Writer(self._core, path, opts, part_size, concurrent)

    # -- list ----------------------------------------------------------------------
    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        return list_entries(self._core, path, opts)

    # -- delete & copy -------------------------------------------------------------
    def delete(self, path: str, opts: DeleteOptions) -> None:
        if path == ROOT:
            return  # the root is not an object; deleting what is below it is recursive
        params: dict[str, Any] = {"Key": self._core.key(path)}
        if opts.version:
            params["VersionId"] = opts.version
        with contextlib.suppress(NotFound):  # a missing object or version is fine
            self._core.call("delete", path, "delete_object", **params)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        core = self._core
        failures: Failures = []
        batch = self._cfg.delete_max_size
        wanted = [(p, o) for p, o in items if p != ROOT]
        for start in range(0, len(wanted), batch):
            chunk = wanted[start : start + batch]
            objects: list[dict[str, str]] = []
            by_key: dict[str, str] = {}
            for p, o in chunk:
                obj = {"Key": core.key(p)}
                if o.version:
                    obj["VersionId"] = o.version
                objects.append(obj)
                by_key[obj["Key"]] = p
            out = core.call(
                "delete", None, "delete_objects", Delete={"Objects": objects, "Quiet": True}
            )
            for err in out.get("Errors", ()):
                key, code = err.get("Key", ""), str(err.get("Code", ""))
                mapped = core.from_code(
                    code, 0, redact(f"{code}: {err.get('Message', '')}"), "delete", None
                )
                if isinstance(mapped, NotFound):
                    continue
                path = by_key.get(key, core.path(key))
                failures.append((path, mapped.fill("delete", SCHEME, path)))
        return failures

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        core = self._core
        core.call(
            "copy",
            None,
            "copy_object",
            Key=core.key(target),
            CopySource={"Bucket": core.bucket, "Key": core.key(source)},
        )

    # -- presign -----------------------------------------------------------------------
    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest:
        if expire > _MAX_PRESIGN:
            raise ConfigInvalid(
                f"s3 presigned requests expire within 7 days ({_MAX_PRESIGN} s), asked {expire}",
                operation=f"presign_{operation}",
                service=SCHEME,
                path=path,
            )
        method, http = _PRESIGN[operation]
        core = self._core
        try:
            url = core.client.generate_presigned_url(
                method,
                Params={"Bucket": core.bucket, "Key": core.key(path)},
                ExpiresIn=max(1, int(expire)),
                HttpMethod=http,
            )
        except Exception as err:
            raise core.error(err, f"presign_{operation}", path) from err
        return PresignedRequest(http, url, {})

    def __repr__(self) -> str:
        cfg = self._cfg
        return (
            f"S3Service(bucket={cfg.bucket!r}, root={self._access_info.root!r}, "
            f"region={cfg.region!r}, endpoint={cfg.endpoint!r}, retries={cfg.retry_policy!r})"
        )


def _rebuild(config: dict[str, Any]) -> S3Service:
    return S3Service(**config)


def _read_params(opts: StatOptions | ReadOptions) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if opts.version:
        params["VersionId"] = opts.version
    if opts.if_match is not None:
        params["IfMatch"] = opts.if_match
    if opts.if_none_match is not None:
        params["IfNoneMatch"] = opts.if_none_match
    if opts.if_modified_since is not None:
        params["IfModifiedSince"] = opts.if_modified_since
    if opts.if_unmodified_since is not None:
        params["IfUnmodifiedSince"] = opts.if_unmodified_since
    return params


def _verify(out: dict[str, Any], opts: StatOptions | ReadOptions, path: str) -> None:
    """Check the conditions on the response too: some S3 servers ignore some of them."""
    etag = out.get("ETag")
    last: datetime | None = out.get("LastModified")

    def fail(why: str) -> ConditionNotMatch:
        return ConditionNotMatch(why, service=SCHEME, path=path)

    if opts.if_match is not None and opts.if_match not in ("*", etag):
        raise fail("etag does not match if_match")
    if opts.if_none_match is not None and opts.if_none_match in ("*", etag):
        raise fail("etag matches if_none_match")
    if last is not None:
        since, until = _aware(opts.if_modified_since), _aware(opts.if_unmodified_since)
        if since is not None and last <= since:
            raise fail("not modified since if_modified_since")
        if until is not None and last > until:
            raise fail("modified since if_unmodified_since")


def _aware(when: datetime | None) -> datetime | None:
    """HTTP dates are UTC: a naive datetime is taken as UTC."""
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=timezone.utc)
