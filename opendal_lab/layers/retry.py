"""RetryLayer: retries temporary errors with exponential backoff and jitter.

Only an error whose status is ``temporary`` is retried (``RateLimited``, a dropped
connection, a ChaosLayer failure); every other error passes through at once. After
``max_times`` retries (``max_times + 1`` attempts) the last error is raised with its status
set to ``persistent`` and ``attempts`` in its context, so ``str(err)`` says how hard it tried.

The delay before retry ``n`` (1-based) is ``min_delay * factor ** (n - 1)``, capped at
``max_delay``; with ``jitter`` it is drawn uniformly from the upper half of that,
``[delay / 2, delay]``, so clients that failed together do not retry together. Defaults:
3 retries, delays of 0.05, 0.1, 0.2 s (halved at most by jitter), capped at 2 s. Before
each sleep ``notify(error, delay, attempt)`` is called, ``attempt`` being the number of
attempts that failed so far; ``sleep`` is the function that waits (tests pass a stub).

What is retried, per operation:

- ``stat``, ``read``, ``write``, ``delete``, ``create_dir``, ``copy``, ``rename``,
  ``presign``: the whole call.
- ``read`` with ``size``: a short read (fewer bytes than asked, no error) resumes where it
  stopped, reading only the remainder, and the parts are joined. A remainder that comes
  back empty ``max_times + 1`` times in a row ends the resumption: the bytes gathered so far
  are returned, shorter than asked, for the caller to judge (CompleteLayer sits below the
  user layers, so it has already checked what the service returned).
- ``delete_many``: a failed batch is sent again; failures the batch reports as temporary
  are sent again alone; the others are returned at once. Items still failing at the end are
  returned marked persistent.
- ``writer``: creating it, then each ``write(chunk)`` and ``close()`` on its own.
  ``abort`` is not retried.
- ``list``: creating the listing; an error midway resumes after the last entry yielded,
  with ``start_after`` where the capability has ``list_with_start_after`` (listings come
  in key order), else by listing again and skipping what was already yielded (always so
  for ``versions``/``deleted`` listings, where versions share a path). No entry is
  yielded twice or lost. Each entry yielded resets the count of attempts.

The assumption that makes this safe: a call that failed with a temporary error had no
effect. That holds for ChaosLayer (it fails before calling below) and for requests that
never reached the server; a service that may fail *after* acting (an append that landed
before the connection dropped) must not mark such an error temporary. A resumed read
reads the object as it is now: pin ``version`` or ``if_match`` when it may change.

Put it outermost, above what fails (a ChaosLayer, a timeout); ``op.layer(A).layer(B)``
makes ``B`` the outer one::

    op = Operator("memory", name="scratch")
    op = op.layer(ChaosLayer(0.2, seed=1)).layer(RetryLayer(max_times=5))
    op.write("a", b"data")  # one failure in five below; the retries get past it
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any, TypeVar

from opendal_lab.core.access import Access, BaseLayer, Failures, Writer
from opendal_lab.core.config import Check, checked
from opendal_lab.core.errors import ConfigInvalid, Error
from opendal_lab.core.options import DeleteOptions, ListOptions, ReadOptions, WriteOptions
from opendal_lab.core.types import Entry, Metadata
from opendal_lab.core.wrapping import CallWrapper

__all__ = ["Notify", "RetryLayer"]

T = TypeVar("T")
#: ``notify(error, delay, attempt)``: called before each sleep.
Notify = Callable[[Error, float, int], None]


class _RetryAccess(CallWrapper):
    """Retries each call below (``_around``); read resumes a short read, list a broken
    listing, delete_many sends again only what failed, and a writer's abort is not retried."""

    layer: RetryLayer

    def __init__(self, inner: Access, layer: BaseLayer) -> None:
        super().__init__(inner, layer)
        self._max = self.layer.max_times

    def _wait_or_raise(self, err: Error, attempt: int) -> None:
        """The one retry decision: raise ``err`` unless it is temporary and attempts remain
        (then marked persistent, with ``attempts``); otherwise back off before the next."""
        if not err.is_temporary:
            raise err
        if attempt > self._max:
            raise err.set_persistent().with_context("attempts", attempt)
        self.layer._backoff(err, attempt)

    def _around(self, operation: str, path: str | None, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)``, again after a backoff while it fails with a temporary error."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return call(*args)
            except Error as err:
                self._wait_or_raise(err, attempt)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        data = self._around("read", path, self.inner.read, path, opts)
        if opts.size is None or len(data) >= opts.size:
            return data
        return self._resume_read(path, opts, data)

    def _resume_read(self, path: str, opts: ReadOptions, first: bytes) -> bytes:
        size = opts.size
        assert size is not None
        parts, got, empty = [first], len(first), 0
        while got < size:
            rest = dataclasses.replace(opts, offset=opts.offset + got, size=size - got)
            more = self._around("read", path, self.inner.read, path, rest)
            if not more:
                empty += 1
                if empty > self._max:
                    break
                continue
            empty = 0
            parts.append(more)
            got += len(more)
        return b"".join(parts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return _RetryWriter(self._around("write", path, self.inner.writer, path, opts), self)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        # Created here, not in the generator: a permanent error still raises at list().
        return self._listing(path, opts, self._around("list", path, self.inner.list, path, opts))

    def _listing(self, path: str, opts: ListOptions, first: Iterator[Entry]) -> Iterator[Entry]:
        # Versions share a path, so only plain listings can resume by key.
        by_key = (
            self._access_info.capability.list_with_start_after
            and not opts.versions
            and not opts.deleted
        )
        seen: set[tuple[str, str | None, bool]] = set()
        it: Iterator[Entry] | None = iter(first)
        last: str | None = None
        resumed = False
        failures = 0
        try:
            while True:
                try:
                    if it is None:
                        resume = opts
                        if by_key and last is not None:
                            resume = dataclasses.replace(opts, start_after=last)
                        it = iter(self.inner.list(path, resume))
                        resumed = True
                    entry = next(it)
                except StopIteration:
                    return
                except Error as err:
                    failures += 1
                    self._wait_or_raise(err, failures)
                    it = None
                    continue
                if by_key:
                    # Guard against a service that ignores start_after: never yield twice.
                    if resumed and last is not None and entry.path <= last:
                        continue
                    last = entry.path
                else:
                    key = (entry.path, entry.metadata.version, entry.metadata.is_deleted)
                    if key in seen:
                        continue
                    seen.add(key)
                failures = 0
                yield entry
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        pending = list(items)
        final: Failures = []
        attempt = 0
        while True:
            attempt += 1
            try:
                failures = self.inner.delete_many(pending)
            except Error as err:
                self._wait_or_raise(err, attempt)
                continue
            again = [(p, e) for p, e in failures if e.is_temporary]
            final += [(p, e) for p, e in failures if not e.is_temporary]
            if not again:
                return final
            if attempt > self._max:
                for _, failure in again:
                    failure.set_persistent().with_context("attempts", attempt)
                return final + again
            # By path: deleting again an item that did go is harmless (missing is fine).
            paths = {p for p, _ in again}
            pending = [(p, o) for p, o in pending if p in paths]
            self.layer._backoff(again[0][1], attempt)


class _RetryWriter:
    """Retries each ``write`` and ``close`` alone: a failed call is assumed to have done nothing."""

    __slots__ = ("_access", "_inner")

    def __init__(self, inner: Writer, access: _RetryAccess) -> None:
        self._inner = inner
        self._access = access

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._access._around("write", None, self._inner.write, data)

    def close(self) -> Metadata:
        return self._access._around("write", None, self._inner.close)

    def abort(self) -> None:
        self._inner.abort()


_Delay = Annotated[float, Check(ge=0.0, finite=True)]


class RetryLayer(BaseLayer):
    """Retries temporary errors with exponential backoff; see the module docstring.

    Parameters
    ----------
    max_times:
        Retries after the first attempt (``0``: none).
    factor:
        Growth of the delay from one retry to the next (``>= 1``).
    min_delay, max_delay:
        The first delay and the cap, in seconds.
    jitter:
        Draw each delay from ``[delay / 2, delay]``.
    notify:
        ``notify(error, delay, attempt)`` before each sleep; what it raises propagates.
    sleep:
        Waits ``delay`` seconds (``time.sleep``; a stub in tests).
    """

    access_class = _RetryAccess

    @checked("RetryLayer")
    def __init__(
        self,
        max_times: Annotated[int, Check(ge=0)] = 3,
        *,
        factor: Annotated[float, Check(ge=1.0, finite=True)] = 2.0,
        min_delay: _Delay = 0.05,
        max_delay: _Delay = 2.0,
        jitter: bool = True,
        notify: Notify | None = None,
        sleep: Callable[[float], Any] = time.sleep,
    ) -> None:
        if max_delay < min_delay:
            raise ConfigInvalid(
                f"RetryLayer: 'max_delay' ({max_delay!r}) must be >= 'min_delay' ({min_delay!r})"
            )
        self.max_times = max_times
        self.factor = float(factor)
        self.min_delay = float(min_delay)
        self.max_delay = float(max_delay)
        self.jitter = jitter
        self.notify = notify
        self.sleep = sleep
        self._rng = random.Random()

    def delay(self, attempt: int) -> float:
        """The delay after ``attempt`` failed attempts (1-based), jitter included."""
        try:
            delay = min(self.max_delay, self.min_delay * self.factor ** (attempt - 1))
        except OverflowError:
            delay = self.max_delay
        if self.jitter:
            delay *= 0.5 + 0.5 * self._rng.random()
        return delay

    def _backoff(self, err: Error, attempt: int) -> None:
        delay = self.delay(attempt)
        if self.notify is not None:
            self.notify(err, delay, attempt)
        self.sleep(delay)

    def __repr__(self) -> str:
        return (
            f"RetryLayer(max_times={self.max_times}, factor={self.factor}, "
            f"min_delay={self.min_delay}, max_delay={self.max_delay}, jitter={self.jitter})"
        )
