"""AsyncOperator: an Operator's calls as coroutines, for notebooks and asyncio programs.

::

    aop = AsyncOperator("s3", bucket="data")  # or AsyncOperator.from_operator(op)
    data = await aop.read("a/b")
    blobs = await asyncio.gather(*(aop.read(k) for k in keys))  # overlapped, bounded
    async for entry in await aop.list("a/"):
        ...

Names and options are the Operator's (the ``opendal`` binding's ``AsyncOperator`` has the
same). There is one stack: each coroutine runs the wrapped Operator's own call, every layer
included, on a thread of the pool bulk calls use (``opendal_lab.core.pool``), so no layer
is written twice and a ``ConcurrentLimitLayer`` bounds async and sync calls alike.

At most ``concurrency`` calls of one AsyncOperator run at once per event loop (default 32,
never more than the stack's ``concurrency_limit()``); the rest wait their turn on the loop,
holding no thread. Cancelling a coroutine stops its waiting, not a call a thread has begun:
that one runs to its end (its result dropped), as with ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextvars
import functools
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from opendal_lab.core.operator import BulkResults, Operator
from opendal_lab.core.pool import check_concurrency, shared_executor

if TYPE_CHECKING:
    import asyncio

    from opendal_lab.core.access import Layer
    from opendal_lab.core.capability import Capability
    from opendal_lab.core.types import Entry, Metadata, PresignedRequest

__all__ = ["AsyncOperator"]

T = TypeVar("T")
_LIST_BATCH = 256  # entries fetched per trip to a thread: one hop per entry costs more


class AsyncOperator:
    """See the module docstring; ``AsyncOperator(scheme, **config)`` builds the Operator
    as ``Operator(scheme, **config)`` would, ``concurrency=`` bounds its calls at once."""

    def __init__(self, scheme: str, /, *, concurrency: int | None = None, **config: Any) -> None:
        self._setup(Operator(scheme, **config), concurrency)

    @classmethod
    def from_operator(cls, op: Operator, *, concurrency: int | None = None) -> AsyncOperator:
        """The async face of ``op``: the same stack, not a copy."""
        aop = cls.__new__(cls)
        aop._setup(op, concurrency)
        return aop

    def _setup(self, op: Operator, concurrency: int | None) -> None:
        self._op = op
        self._concurrency = concurrency
        self._limit = check_concurrency(concurrency, op.concurrency_limit(), "AsyncOperator: ")
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._slots = weakref.WeakKeyDictionary()

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        import asyncio  # here, not at the top: ``import opendal_lab`` stays without it

        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:  # a semaphore belongs to one loop: a notebook's, or asyncio.run's
            slots = self._slots[loop] = asyncio.Semaphore(self._limit)
        async with slots:
            call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
            return await loop.run_in_executor(shared_executor(), call)

    # -- the sync operator's face ----------------------------------------------------------
    @property
    def scheme(self) -> str:
        return self._op.scheme

    def to_operator(self) -> Operator:
        """The Operator whose calls this one runs."""
        return self._op

    def layer(self, layer: Layer) -> AsyncOperator:
        """A new AsyncOperator over ``op.layer(layer)``, with the same ``concurrency``."""
        return AsyncOperator.from_operator(self._op.layer(layer), concurrency=self._concurrency)

    def capability(self) -> Capability:
        return self._op.capability()

    # -- calls -------------------------------------------------------------------------------
    async def read(self, path: str, **options: Any) -> bytes:
        return await self._run(self._op.read, path, **options)

    async def stat(self, path: str, **options: Any) -> Metadata:
        return await self._run(self._op.stat, path, **options)

    async def exists(self, path: str) -> bool:
        return await self._run(self._op.exists, path)

    async def write(self, path: str, data: bytes, **options: Any) -> Metadata:
        return await self._run(self._op.write, path, data, **options)

    async def delete(self, path: str, **options: Any) -> None:
        await self._run(self._op.delete, path, **options)

    async def remove_all(self, path: str) -> None:
        await self._run(self._op.remove_all, path)

    async def create_dir(self, path: str) -> None:
        await self._run(self._op.create_dir, path)

    async def copy(self, source: str, target: str, **options: Any) -> None:
        await self._run(self._op.copy, source, target, **options)

    async def rename(self, source: str, target: str, **options: Any) -> None:
        await self._run(self._op.rename, source, target, **options)

    async def check(self) -> None:
        await self._run(self._op.check)

    async def presign_read(self, path: str, expire_second: float) -> PresignedRequest:
        return await self._run(self._op.presign_read, path, expire_second)

    async def presign_stat(self, path: str, expire_second: float) -> PresignedRequest:
        return await self._run(self._op.presign_stat, path, expire_second)

    async def presign_write(self, path: str, expire_second: float) -> PresignedRequest:
        return await self._run(self._op.presign_write, path, expire_second)

    async def presign_delete(self, path: str, expire_second: float) -> PresignedRequest:
        return await self._run(self._op.presign_delete, path, expire_second)

    async def list(self, path: str = "/", **options: Any) -> AsyncIterator[Entry]:
        """``async for entry in await aop.list(path)``: errors in the call raise at ``await``."""
        entries = await self._run(self._op.list, path, **options)
        return _Entries(self, entries)

    async def scan(self, path: str = "/", **options: Any) -> AsyncIterator[Entry]:
        """A recursive ``list``."""
        return await self.list(path, recursive=True, **options)

    # -- many at once: one hop to a thread, the sync bulk call does the rest -------------
    async def read_many(self, paths: Iterable[str], **options: Any) -> BulkResults:
        return await self._run(self._op.read_many, list(paths), **options)

    async def stat_many(self, paths: Iterable[str], **options: Any) -> BulkResults:
        return await self._run(self._op.stat_many, list(paths), **options)

    async def write_many(
        self, items: Mapping[str, bytes] | Iterable[tuple[str, bytes]], **options: Any
    ) -> BulkResults:
        return await self._run(self._op.write_many, items, **options)

    def __repr__(self) -> str:
        return f"<AsyncOperator over {self._op!r}, concurrency {self._limit}>"


class _Entries:
    """The entries of a listing, fetched on a thread a batch at a time."""

    def __init__(self, aop: AsyncOperator, entries: Iterator[Entry]) -> None:
        self._aop = aop
        self._entries = entries
        self._batch: list[Entry] = []
        self._done = False

    def __aiter__(self) -> _Entries:
        return self

    async def __anext__(self) -> Entry:
        if not self._batch:
            if self._done:
                raise StopAsyncIteration
            self._batch = await self._aop._run(_take, self._entries, _LIST_BATCH)
            self._batch.reverse()  # popped from the end, in listing order
            self._done = len(self._batch) < _LIST_BATCH
            if not self._batch:
                raise StopAsyncIteration
        return self._batch.pop()

    async def aclose(self) -> None:
        """Close the listing before its end (its service stream, where it has one)."""
        close = getattr(self._entries, "close", None)
        self._done, self._batch = True, []
        if close is not None:
            await self._aop._run(close)


def _take(entries: Iterator[Entry], count: int) -> list[Entry]:
    out: list[Entry] = []
    for entry in entries:
        out.append(entry)
        if len(out) == count:
            break
    return out
