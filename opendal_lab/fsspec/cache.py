"""The ``"opendal-readahead"`` read cache files use unless ``cache_type=`` says otherwise."""

from __future__ import annotations

from collections.abc import Callable

from fsspec.caching import BaseCache  # type: ignore[import-untyped]

__all__ = ["CACHE_TYPE", "ReadaheadExactCache"]

CACHE_TYPE = "opendal-readahead"


class ReadaheadExactCache(BaseCache):  # type: ignore[misc]
    """fsspec's ``"readahead"`` for small reads; a read of half a block or more is fetched as asked.

    A read shorter than half the block size fetches a whole block from where it starts and keeps
    it, so small sequential reads (lines, CSV chunks, tiny column chunks close together) cost one
    call per block. A longer read (pyarrow's column chunks and coalesced ranges, ``read()`` of
    the rest) is fetched in one call of exactly its size and not kept: fsspec's ``"readahead"``
    fetches a block beyond every read, so a single-column parquet read pulled a block of the
    neighbouring columns with each of its chunks, for nothing.
    """

    name = CACHE_TYPE

    def __init__(self, blocksize: int, fetcher: Callable[[int, int], bytes], size: int) -> None:
        super().__init__(blocksize, fetcher, size)
        self.cache: bytes = b""
        self.start = 0
        self.end = 0

    def _fetch(self, start: int | None, end: int | None) -> bytes:
        start = 0 if start is None else start
        end = self.size if end is None or end > self.size else end
        if start >= self.size or start >= end:
            return b""
        if self.start <= start and end <= self.end:
            self.hit_count += 1
            return self.cache[start - self.start : end - self.start]
        self.miss_count += 1
        head = b""
        if self.start <= start < self.end:  # the beginning is kept: fetch only the rest
            head = self.cache[start - self.start :]
            start = self.end
        if 2 * (end - start) >= self.blocksize:
            self.total_requested_bytes += end - start
            data: bytes = self.fetcher(start, end)
            return head + data if head else data
        stop = min(self.size, start + self.blocksize)
        self.total_requested_bytes += stop - start
        self.cache = self.fetcher(start, stop)
        self.start, self.end = start, start + len(self.cache)
        return head + self.cache[: end - start]
