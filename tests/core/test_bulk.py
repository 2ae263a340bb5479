"""Operator.read_many / stat_many / write_many / run_many: overlapped, bounded, in order.

A SlowLayer below a ConcurrentLimitLayer holds the first calls until as many are in flight
as the bulk call should reach (``gate_at``), then lets everything through: a pool that
overlapped less would leave the gate shut (each held call gives up after 10 s and the peak
assertion says how far it got); one that overlapped more would push ``peak`` past it.
"""

from __future__ import annotations

import contextvars
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from opendal_lab import BaseLayer, ConfigInvalid, LayeredAccess, NotFound, Operator
from opendal_lab.core.options import ReadOptions
from opendal_lab.core.pool import DEFAULT_CONCURRENCY
from opendal_lab.layers.concurrent_limit import ConcurrentLimitLayer
from tests.layers.slow import SlowLayer


def gate_at(slow: SlowLayer, step: str, n: int) -> SlowLayer:
    """The first ``n`` calls of ``step`` wait until ``n`` calls are in flight at once."""
    slow.stall[step] = n
    slow.peek = lambda: slow.in_flight >= n and slow.release()
    return slow


@pytest.fixture
def slow() -> Iterator[SlowLayer]:
    layer = SlowLayer()
    yield layer
    layer.release()


def make_op(slow: SlowLayer, permits: int | None, files: int = 0) -> Operator:
    op = Operator("memory", name=f"bulk-{uuid.uuid4().hex}")
    for i in range(files):
        op.write(f"d/{i:03}", b"%d" % i)
    op = op.layer(slow)
    return op if permits is None else op.layer(ConcurrentLimitLayer(permits))


@pytest.mark.parametrize(
    ("concurrency", "permits", "expected"),
    [(None, 3, 3), (4, 8, 4), (2, None, 2), (None, None, DEFAULT_CONCURRENCY)],
    ids=["permits-bound", "concurrency-bound", "no-limit-layer", "default"],
)
def test_in_flight_peak_is_the_smaller_of_concurrency_and_permits(
    slow: SlowLayer, concurrency: int | None, permits: int | None, expected: int
) -> None:
    op = make_op(slow, permits, files=DEFAULT_CONCURRENCY + 8)
    paths = [f"d/{i:03}" for i in range(DEFAULT_CONCURRENCY + 8)]
    gate_at(slow, "read", expected)
    assert op.read_many(paths, concurrency=concurrency) == [b"%d" % i for i in range(len(paths))]
    assert slow.peak == expected


@pytest.mark.parametrize("call", ["stat_many", "write_many"])
def test_stat_many_and_write_many_are_bounded_too(slow: SlowLayer, call: str) -> None:
    op = make_op(slow, permits=3, files=10)
    paths = [f"d/{i:03}" for i in range(10)]
    if call == "stat_many":
        gate_at(slow, "stat", 3)
        sizes = [m.content_length for m in op.stat_many(paths)]
        assert sizes == [len(b"%d" % i) for i in range(10)]
    else:
        gate_at(slow, "write", 3)
        metas = op.write_many({p: b"x" * i for i, p in enumerate(paths)})
        assert [m.content_length for m in metas] == list(range(10))
        assert op.read_many(paths) == [b"x" * i for i in range(10)]
    assert slow.peak == 3


def test_two_bulk_calls_share_the_permits(slow: SlowLayer) -> None:
    op = make_op(slow, permits=3, files=20)
    gate_at(slow, "read", 3)
    results: list[list[bytes]] = []

    def read(r: range) -> None:
        results.append(op.read_many([f"d/{i:03}" for i in r]))

    threads = [threading.Thread(target=read, args=(r,)) for r in (range(10), range(10, 20))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [[b"%d" % i for i in r] for r in (range(10), range(10, 20))]
    assert slow.peak == 3


def test_the_first_failure_in_path_order_is_raised_naming_its_path(slow: SlowLayer) -> None:
    op = make_op(slow, permits=4, files=3)
    with pytest.raises(NotFound) as caught:
        op.read_many(["d/000", "gone-1", "d/001", "gone-2"])
    assert caught.value.path == "gone-1"
    assert caught.value.context["read_many"] == "item 2 of 4"
    assert "gone-1" in str(caught.value)


def test_return_exceptions_puts_each_failure_in_its_place(slow: SlowLayer) -> None:
    op = make_op(slow, permits=4, files=2)
    out = op.read_many(["d/000", "gone", "d/001"], return_exceptions=True)
    assert out[0] == b"0"
    assert out[2] == b"1"
    assert isinstance(out[1], NotFound)
    assert out[1].path == "gone"


def test_no_item_starts_after_a_failure(slow: SlowLayer) -> None:
    op = make_op(slow, permits=None, files=3)
    with pytest.raises(NotFound):
        op.read_many(["gone", "d/000", "d/001", "d/002"], concurrency=1)
    assert slow.calls["read"] == 1  # as a plain loop: it stopped at the failure


class _ReadsBackLayer(BaseLayer):
    """A read of ``outer`` waits until ``together`` such reads are under way, then reads
    three files back through the whole operator, in bulk."""

    def __init__(self, together: int) -> None:
        self.together = threading.Barrier(together, timeout=30)
        self.op: Operator | None = None

    def wrap(self, inner: Any) -> Any:
        return _ReadsBack(inner, self)


class _ReadsBack(LayeredAccess):
    layer: _ReadsBackLayer

    def read(self, path: str, opts: ReadOptions) -> bytes:
        if path == "outer":
            assert self.layer.op is not None
            self.layer.together.wait()  # every permit is held by a thread in here now
            return b"".join(self.layer.op.read_many(["d/000", "d/001", "d/002"]))
        return self.inner.read(path, opts)


def test_bulk_calls_inside_calls_holding_every_permit_do_not_deadlock() -> None:
    # Each thread holds one of the two permits when it calls read_many: a worker of either
    # would wait for a permit forever, so each must run its items alone, on its own permit.
    back = _ReadsBackLayer(together=2)
    op = Operator("memory", name=f"bulk-{uuid.uuid4().hex}")
    for i in range(3):
        op.write(f"d/{i:03}", b"%d" % i)
    op.write("outer", b"")
    back.op = op = op.layer(back).layer(ConcurrentLimitLayer(2))
    got: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: got.append(op.read("outer")), daemon=True) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "read_many waited for its caller's permit"
    assert got == [b"012", b"012"]


def test_workers_run_in_the_callers_context() -> None:
    # A trace span or log context the caller set must follow the calls made on its behalf.
    who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")
    token = who.set("caller")
    together = threading.Barrier(4, timeout=30)  # four threads, so three of them workers

    def call(_: int) -> tuple[str, int]:
        together.wait()
        return who.get(), threading.get_ident()

    try:
        out = Operator("memory").run_many(call, [0, 1, 2, 3], concurrency=4)
    finally:
        who.reset(token)
    assert {seen for seen, _ in out} == {"caller"}
    assert len({thread for _, thread in out}) == 4


def test_run_many_and_empty_input() -> None:
    op = Operator("memory", name=f"bulk-{uuid.uuid4().hex}")
    assert op.read_many([]) == []
    assert op.run_many(lambda n: n * 2, [1, 2, 3], concurrency=2) == [2, 4, 6]
    assert op.concurrency_limit() is None
    assert op.layer(ConcurrentLimitLayer(5)).concurrency_limit() == 5


def test_bad_input_is_rejected_clearly() -> None:
    op = Operator("memory", name=f"bulk-{uuid.uuid4().hex}")
    with pytest.raises(TypeError, match="list of paths, not one str"):
        op.read_many("abc")
    with pytest.raises(ConfigInvalid, match="concurrency must be >= 1, got 0"):
        op.read_many(["a"], concurrency=0)
    with pytest.raises(TypeError, match="concurrency must be an int"):
        op.stat_many(["a"], concurrency="4")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="mapping of path to data or"):
        op.write_many(["a", "b"])  # type: ignore[list-item]
    op.write_many([("p", b"1"), ("q", bytearray(b"2"))])
    assert op.read_many(["p", "q"]) == [b"1", b"2"]
