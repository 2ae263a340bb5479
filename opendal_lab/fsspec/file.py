"""The file object: ranged reads pinned to one version of an object, writes to a writer."""

from __future__ import annotations

import errno
import io
from typing import TYPE_CHECKING, Any

from fsspec.spec import AbstractBufferedFile  # type: ignore[import-untyped]

from opendal_lab.core.errors import ConditionNotMatch
from opendal_lab.fsspec.changes import Changes

if TYPE_CHECKING:
    from opendal_lab.fsspec.filesystem import OpendalFileSystem

__all__ = ["OpendalFile"]


class _Replaced(Exception):
    """The object changed before this file read anything from it."""


class OpendalFile(AbstractBufferedFile):  # type: ignore[misc]
    """A file object: ranged reads through the operator, writes streamed to its writer."""

    fs: OpendalFileSystem
    cache: Any  # fsspec's read cache, built by AbstractBufferedFile

    def __init__(
        self,
        fs: OpendalFileSystem,
        path: str,
        mode: str = "rb",
        details: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        if details is not None:  # the info open() had: AbstractBufferedFile takes its size
            self._details = details
        self._write_options: dict[str, Any] = {}
        if mode == "xb":
            if fs.exists(path):
                raise FileExistsError(errno.EEXIST, "file exists", path)
            if fs.operator.capability().write_with_if_not_exists:
                self._write_options["if_not_exists"] = True
            mode = "wb"
        elif mode == "ab":
            if not fs.operator.capability().write_can_append:
                raise NotImplementedError(f"{fs.operator.scheme} cannot append")
            self._write_options["append"] = True
        self._writer: io.IOBase | None = None
        self.key = fs._key(path)  # the operator's path; self.path is the face's
        self._served = False  # whether any bytes were read (a replaced file then fails)
        # Reads are pinned to the object the size came from, where the service can check an
        # etag: a file replaced since (even within the remembered info's lifetime) fails with
        # ConditionNotMatch instead of being read torn.
        self._read_options: dict[str, Any] = {}
        etag = details.get("etag") if details is not None else None
        if etag and mode == "rb" and fs.operator.capability().read_with_if_match:
            self._read_options["if_match"] = etag
        super().__init__(fs, path, mode, **kwargs)
        if mode == "ab":
            self.loc = 0  # the writer appends; the position counts what this file wrote

    def _fetch_range(self, start: int, end: int) -> bytes:
        try:
            data = self.fs._read_range(self.key, self.size, start, end, **self._read_options)
        except ConditionNotMatch as err:
            self.fs._infos.pop(self.key, None)  # the next open stats afresh
            if not self._served:
                raise _Replaced from err  # nothing read yet: read() starts over on the new one
            err.with_context("changed", "since the file was opened and read from")
            raise
        self._served = True
        return data

    def read(self, length: int = -1) -> bytes:
        try:
            return super().read(length)  # type: ignore[no-any-return]
        except _Replaced:
            # The file was replaced between its (remembered) info and the first read: take
            # the new one whole, size, etag and all, as a fresh open would.
            info = self.fs._stat_info(self.key)
            self.details, self.size = info, info["size"]
            if "if_match" in self._read_options and info.get("etag"):
                self._read_options["if_match"] = info["etag"]
            cache_class: Any = type(self.cache)
            self.cache = cache_class(self.blocksize, self._fetch_range, self.size)
            return super().read(length)  # type: ignore[no-any-return]

    def _initiate_upload(self) -> None:
        self._writer = self.fs.operator.open(self.key, "wb", **self._write_options)

    def _upload_chunk(self, final: bool = False) -> bool:
        assert self._writer is not None
        self._writer.write(self.buffer.getbuffer())
        if final:
            try:
                self._writer.close()
            except ConditionNotMatch as err:
                raise FileExistsError(errno.EEXIST, "file exists", self.path) from err
            finally:
                Changes.bump()
        return True

    def discard(self) -> None:
        if self._writer is not None:
            self._writer.abort()  # type: ignore[attr-defined]
            self._writer = None
            Changes.bump()
        self.closed = True

    def __exit__(self, exc_type: Any, *args: Any) -> None:
        # A write that failed leaves nothing behind instead of a partial object.
        if exc_type is not None and self.writable() and not self.closed:
            self.discard()
            return
        self.close()
