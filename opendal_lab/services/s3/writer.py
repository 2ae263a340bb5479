"""s3 writer: one PutObject for small data, a multipart upload with concurrent parts for more.

Bytes gather in a buffer. While it holds no more than one part, nothing is sent: ``close``
then stores everything with one PutObject. Past one part, a multipart upload starts and
every full part is uploaded by a small thread pool, at most ``concurrent`` parts in flight
(so memory stays near ``concurrent * part_size``). ``close`` sends the rest as the last
part and completes the upload, passing the write conditions (``if_not_exists`` is
``IfNoneMatch: *``) to CompleteMultipartUpload. ``abort``, a failed part and a failed
completion all abort the upload, so nothing appears and no parts stay billed.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from opendal_lab.core.errors import ConditionNotMatch, ConfigInvalid, NotFound
from opendal_lab.core.options import WriteOptions
from opendal_lab.core.types import DIR_METADATA, EntryMode, Metadata
from opendal_lab.services.s3.core import S3Core

__all__ = ["S3Writer", "put_params"]

_MAX_PARTS = 10_000


def put_params(core: S3Core, opts: WriteOptions, conditions: bool = True) -> dict[str, Any]:
    """PutObject / CreateMultipartUpload parameters for the metadata in ``opts`` (and the
    configured checksum)."""
    params: dict[str, Any] = dict(core.checksum)
    if opts.has_metadata:
        if opts.content_type:
            params["ContentType"] = opts.content_type
        if opts.content_disposition:
            params["ContentDisposition"] = opts.content_disposition
        if opts.content_encoding:
            params["ContentEncoding"] = opts.content_encoding
        if opts.cache_control:
            params["CacheControl"] = opts.cache_control
        if opts.user_metadata:
            params["Metadata"] = dict(opts.user_metadata)
    if conditions:
        params.update(condition_params(opts))
    return params


def condition_params(opts: WriteOptions) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if opts.if_not_exists:
        params["IfNoneMatch"] = "*"
    elif opts.if_none_match is not None:
        params["IfNoneMatch"] = opts.if_none_match
    if opts.if_match is not None:
        params["IfMatch"] = opts.if_match
    return params


def put(core: S3Core, path: str, data: bytes, opts: WriteOptions) -> Metadata:
    """One PutObject; ``if_match`` on a missing object is a failed condition, as in memory."""
    try:
        out = core.call(
            "write", path, "put_object", Key=core.key(path), Body=data, **put_params(core, opts)
        )
    except NotFound as err:
        if opts.if_match is None:
            raise
        raise ConditionNotMatch(
            "if_match given but the object does not exist", service="s3", path=path
        ) from err
    return written(path, len(data), out)


def written(path: str, size: int, out: dict[str, Any]) -> Metadata:
    if path.endswith("/"):
        return DIR_METADATA
    return Metadata(
        EntryMode.FILE,
        content_length=size,
        etag=out.get("ETag"),
        version=out.get("VersionId"),
        is_current=True if out.get("VersionId") else None,
    )


class S3Writer:
    """A streaming write to one key; see the module docstring."""

    def __init__(
        self, core: S3Core, path: str, opts: WriteOptions, part_size: int, concurrent: int
    ) -> None:
        self._core = core
        self._path = path
        self._key = core.key(path)
        self._opts = opts
        self._part_size = part_size
        self._concurrent = concurrent
        self._buffer = bytearray()
        self._size = 0
        self._upload_id: str | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[tuple[int, Future[dict[str, Any]]]] = []
        self._parts: list[dict[str, Any]] = []

    @property
    def upload_id(self) -> str | None:
        return self._upload_id

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._buffer += data
        self._size += len(data)
        size = self._part_size
        if len(self._buffer) > size:
            try:
                while len(self._buffer) > size:
                    part = bytes(self._buffer[:size])
                    del self._buffer[:size]
                    self._send(part)
            except BaseException:
                self.abort()
                raise

    def _send(self, part: bytes) -> None:
        core = self._core
        if self._upload_id is None:
            out = core.call(
                "write",
                self._path,
                "create_multipart_upload",
                Key=self._key,
                **put_params(core, self._opts, conditions=False),
            )
            self._upload_id = out["UploadId"]
            self._pool = ThreadPoolExecutor(self._concurrent, thread_name_prefix="s3-part")
        number = len(self._parts) + len(self._pending) + 1
        if number > _MAX_PARTS:
            raise ConfigInvalid(
                f"more than {_MAX_PARTS} parts: raise 'part_size' (or the 'chunk' option)",
                service="s3",
                path=self._path,
            )
        while len(self._pending) >= self._concurrent:
            self._collect_one()
        assert self._pool is not None
        future = self._pool.submit(
            core.call,
            "write",
            self._path,
            "upload_part",
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=part,
            **core.checksum,
        )
        self._pending.append((number, future))

    def _collect_one(self) -> None:
        number, future = self._pending.pop(0)
        out = future.result()
        part = {"PartNumber": number, "ETag": out["ETag"]}
        if self._core.checksum:  # S3 wants each part's checksum again at completion
            part.update((k, v) for k, v in out.items() if k.startswith("Checksum") and v)
            part.pop("ChecksumType", None)
        self._parts.append(part)

    def close(self) -> Metadata:
        try:
            if self._upload_id is None:
                data, self._buffer = bytes(self._buffer), bytearray()
                return put(self._core, self._path, data, self._opts)
            if self._buffer:
                self._send(bytes(self._buffer))
                self._buffer = bytearray()
            while self._pending:
                self._collect_one()
            out = self._core.call(
                "write",
                self._path,
                "complete_multipart_upload",
                Key=self._key,
                UploadId=self._upload_id,
                MultipartUpload={"Parts": self._parts},
                **condition_params(self._opts),
            )
        except NotFound as err:
            self.abort()
            if self._opts.if_match is None:
                raise
            raise ConditionNotMatch(
                "if_match given but the object does not exist", service="s3", path=self._path
            ) from err
        except BaseException:
            self.abort()
            raise
        self._shutdown()
        self._upload_id = None
        return written(self._path, self._size, out)

    def abort(self) -> None:
        self._buffer = bytearray()
        for _, future in self._pending:
            future.cancel()
        self._shutdown()
        self._pending = []
        upload_id, self._upload_id = self._upload_id, None
        if upload_id is not None:
            with contextlib.suppress(NotFound):  # NoSuchUpload: already gone
                self._core.call(
                    "write",
                    self._path,
                    "abort_multipart_upload",
                    Key=self._key,
                    UploadId=upload_id,
                )

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
