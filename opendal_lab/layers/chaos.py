"""ChaosLayer: injects failures at a configured rate, to test that the layers above cope.

Every call it covers first rolls a seeded random number; at ``error_rate`` it raises an
``Unexpected`` error instead of calling the layer below. The error is a real opendal_lab
error: ``operation``, ``service`` (from the service below) and ``path`` are set, its status is
``temporary`` (``permanent`` for a ``permanent_rate`` share of them), its context holds
``injected: ChaosLayer``, and its message starts with ``injected by ChaosLayer`` so a
failing test says where the failure came from.

Covered calls: ``stat``, ``read``, ``write``, ``writer`` (creating it, then each
``write(chunk)`` and ``close()``; never ``abort``), ``list`` (creating the listing, then
before each entry is pulled), ``delete``, ``delete_many`` (the whole batch; then each item,
reported as a failure in the returned list), ``create_dir``, ``copy`` and ``rename``.
``operations=("read", "list")`` limits it to some of them. ``presign`` is never covered: it
only signs locally.

An injected error is raised *before* the call reaches the layer below, so it has no side
effect: nothing was written, deleted, moved or pulled from a listing. That is what makes a
retry above it safe, and what a test can rely on when it checks the store afterwards.

Short reads: at ``short_read_rate``, a read that asked for ``size`` bytes returns a strictly
shorter prefix (possibly empty) of what the layer below returned, as a dropped connection
would. Only sized reads are cut, so the caller can always tell.

The random stream is ``random.Random(seed)``, behind a lock: one seed gives one sequence of
decisions (for calls made in the same order), and threads may share the layer.
``layer.injected`` and ``layer.checked`` count, per call kind (``read``, ``writer.write``,
``list.next``, ``delete_many.item``, ``short_read``, ...), the injected failures and the
chances to inject one. The capability is unchanged.

Put it below RetryLayer, so retries see its failures (``op.layer(A).layer(B)`` makes ``B``
the outer one)::

    op = Operator("memory", name="scratch")
    op = op.layer(ChaosLayer(0.2, seed=1)).layer(RetryLayer())
    op.write("a", b"data")  # fails one time in five below, succeeds above
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Annotated, Any

from opendal_lab.core.access import (
    OPERATIONS,
    Access,
    BaseLayer,
    Failures,
    LayeredAccess,
    Writer,
    WriterWrapper,
)
from opendal_lab.core.config import Check, checked
from opendal_lab.core.errors import ConfigInvalid, Error, ErrorStatus, Unexpected
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.sync import FreshLock
from opendal_lab.core.types import Entry, Metadata

__all__ = ["CHAOS_OPERATIONS", "ChaosLayer"]

#: The operations ChaosLayer can cover (all of them by default): every one but presign,
#: which only signs locally.
CHAOS_OPERATIONS = tuple(op for op in OPERATIONS if op != "presign")


class _ChaosAccess(LayeredAccess):
    layer: ChaosLayer

    def __init__(self, inner: Access, layer: BaseLayer) -> None:
        super().__init__(inner, layer)
        self._scheme = self._access_info.scheme
        self._ops = self.layer.operations

    def _error(self, chance: str, operation: str, path: str | None, **context: Any) -> Error | None:
        status = self.layer._decide(chance)
        if status is None:
            return None
        return Unexpected(
            f"injected by ChaosLayer: a simulated {status.value} failure of {chance}, "
            f"raised before the call reached the service (error_rate={self.layer.error_rate})",
            operation=operation,
            service=self._scheme,
            path=path,
            status=status,
            context={"injected": "ChaosLayer", **context},
        )

    def _fail(self, chance: str, operation: str, path: str | None, **context: Any) -> None:
        err = self._error(chance, operation, path, **context)
        if err is not None:
            raise err

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        if "stat" in self._ops:
            self._fail("stat", "stat", path)
        return self.inner.stat(path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        if "read" not in self._ops:
            return self.inner.read(path, opts)
        self._fail("read", "read", path)
        data = self.inner.read(path, opts)
        if opts.size is not None and data:
            cut = self.layer._short(len(data))
            if cut is not None:
                return data[:cut]
        return data

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        if "write" in self._ops:
            self._fail("write", "write", path, size=len(data))
        return self.inner.write(path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        if "writer" not in self._ops:
            return self.inner.writer(path, opts)
        self._fail("writer", "write", path)
        return _ChaosWriter(self.inner.writer(path, opts), self, path)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        if "list" not in self._ops:
            return self.inner.list(path, opts)
        self._fail("list", "list", path)
        return self._listing(self.inner.list(path, opts), path)

    def _listing(self, inner: Iterator[Entry], path: str) -> Iterator[Entry]:
        it = iter(inner)
        try:
            while True:
                # Before pulling: an injected failure leaves the listing below untouched.
                self._fail("list.next", "list", path)
                try:
                    entry = next(it)
                except StopIteration:
                    return
                yield entry
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def delete(self, path: str, opts: DeleteOptions) -> None:
        if "delete" in self._ops:
            self._fail("delete", "delete", path)
        self.inner.delete(path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        if "delete_many" not in self._ops:
            return self.inner.delete_many(items)
        self._fail("delete_many", "delete", None, batch_size=len(items))
        keep: list[tuple[str, DeleteOptions]] = []
        injected: Failures = []
        for path, opts in items:
            err = self._error("delete_many.item", "delete", path)
            if err is None:
                keep.append((path, opts))
            else:  # reported, and never sent below: that item stays where it is
                injected.append((path, err))
        failures = self.inner.delete_many(keep) if keep else []
        return [*failures, *injected]

    def create_dir(self, path: str) -> None:
        if "create_dir" in self._ops:
            self._fail("create_dir", "create_dir", path)
        self.inner.create_dir(path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        if "copy" in self._ops:
            self._fail("copy", "copy", source, **{"from": source, "to": target})
        self.inner.copy(source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        if "rename" in self._ops:
            self._fail("rename", "rename", source, **{"from": source, "to": target})
        self.inner.rename(source, target, opts)


class _ChaosWriter(WriterWrapper["_ChaosAccess"]):
    """Rolls before each ``write`` and ``close``; ``abort`` always goes through."""

    __slots__ = ()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._access._fail("writer.write", "write", self._path, chunk=len(data))
        self._inner.write(data)

    def close(self) -> Metadata:
        self._access._fail("writer.close", "write", self._path)
        return self._inner.close()

    def abort(self) -> None:
        self._inner.abort()


_Rate = Annotated[float, Check(ge=0, le=1)]


class ChaosLayer(BaseLayer):
    """Injects temporary (or permanent) failures and short reads at seeded random rates.

    Parameters
    ----------
    error_rate:
        Chance, in ``[0, 1]``, that a covered call fails before reaching the layer below.
    short_read_rate:
        Chance that a read with ``size`` returns a strictly shorter prefix.
    permanent_rate:
        Share of the injected failures marked ``permanent`` instead of ``temporary``.
    seed:
        Seed of the random stream; ``None`` seeds from the system.
    operations:
        The operations to cover (names from ``CHAOS_OPERATIONS``); ``None`` covers all.
    """

    access_class = _ChaosAccess

    @checked("ChaosLayer")
    def __init__(
        self,
        error_rate: _Rate = 0.0,
        *,
        short_read_rate: _Rate = 0.0,
        permanent_rate: _Rate = 0.0,
        seed: int | None = None,
        operations: Iterable[str] | None = None,
    ) -> None:
        self.error_rate = float(error_rate)
        self.short_read_rate = float(short_read_rate)
        self.permanent_rate = float(permanent_rate)
        self.seed = seed
        self.operations = _operations(operations)
        self._rng = random.Random(seed)
        self._lock = FreshLock()
        self._injected: Counter[str] = Counter()
        self._checked: Counter[str] = Counter()

    @property
    def injected(self) -> Counter[str]:
        """Injected failures (and ``short_read`` cuts) so far, per call kind (a copy)."""
        with self._lock:
            return Counter(self._injected)

    @property
    def checked(self) -> Counter[str]:
        """Chances to inject so far, per call kind (a copy)."""
        with self._lock:
            return Counter(self._checked)

    def reset(self) -> None:
        """Zero the counters (the random stream goes on)."""
        with self._lock:
            self._injected.clear()
            self._checked.clear()

    def _decide(self, chance: str) -> ErrorStatus | None:
        """Roll for one call: ``None`` to let it through, else the status of its failure."""
        with self._lock:
            self._checked[chance] += 1
            if not self.error_rate or self._rng.random() >= self.error_rate:
                return None
            permanent = bool(self.permanent_rate) and self._rng.random() < self.permanent_rate
            self._injected[chance] += 1
        return ErrorStatus.PERMANENT if permanent else ErrorStatus.TEMPORARY

    def _short(self, length: int) -> int | None:
        """Roll for a short read of ``length`` bytes: ``None``, or how many bytes to keep."""
        with self._lock:
            self._checked["short_read"] += 1
            if not self.short_read_rate or self._rng.random() >= self.short_read_rate:
                return None
            self._injected["short_read"] += 1
            return self._rng.randrange(length)

    def __repr__(self) -> str:
        args = [f"{self.error_rate!r}"]
        if self.short_read_rate:
            args.append(f"short_read_rate={self.short_read_rate!r}")
        if self.permanent_rate:
            args.append(f"permanent_rate={self.permanent_rate!r}")
        if self.seed is not None:
            args.append(f"seed={self.seed!r}")
        if self.operations != frozenset(CHAOS_OPERATIONS):
            args.append(f"operations={sorted(self.operations)!r}")
        return f"ChaosLayer({', '.join(args)})"


def _operations(operations: Iterable[str] | None) -> frozenset[str]:
    if operations is None:
        return frozenset(CHAOS_OPERATIONS)
    if isinstance(operations, (str, bytes)):
        raise TypeError(
            "ChaosLayer: 'operations' must be an iterable of operation names, not one "
            f"{type(operations).__name__}; wrap it in a list"
        )
    try:
        names = list(operations)
    except TypeError:
        raise TypeError(
            "ChaosLayer: 'operations' must be an iterable of operation names, got "
            f"{type(operations).__name__}"
        ) from None
    for name in names:
        if name not in CHAOS_OPERATIONS:
            raise ConfigInvalid(
                f"ChaosLayer: 'operations' holds unknown operation {name!r}; "
                f"valid operations: {', '.join(CHAOS_OPERATIONS)}"
            )
    return frozenset(names)
