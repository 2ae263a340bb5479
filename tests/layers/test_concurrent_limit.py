"""ConcurrentLimitLayer: never more than ``permits`` calls below it, shared by operators."""

from __future__ import annotations

import pickle
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from opendal_lab import ConfigInvalid, Operator, RateLimited
from opendal_lab.core.registry import build_layer
from opendal_lab.layers.concurrent_limit import ConcurrentLimitLayer
from tests.layers.slow import SlowLayer


@pytest.fixture
def slow() -> Iterator[SlowLayer]:
    layer = SlowLayer()
    yield layer
    layer.release()


def make_op(slow: SlowLayer, limit: ConcurrentLimitLayer) -> Operator:
    op = Operator("memory", name=f"limit-{uuid.uuid4().hex}").layer(slow).layer(limit)
    op.write("f", b"hello")
    return op


def hammer(threads: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` on ``threads`` threads released at once; the errors they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads, timeout=30)

    def run(i: int) -> None:
        try:
            barrier.wait()  # all start together, however slowly the machine starts threads
            work(i)
        except BaseException as err:
            errors.append(err)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(30)
    return errors


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 5
    while not condition():
        assert time.monotonic() < deadline, "condition not met in 5 s"
        time.sleep(0.005)


def test_sixteen_threads_never_exceed_the_permits(slow: SlowLayer) -> None:
    slow.delay.update({"stat": 0.01, "read": 0.01, "write": 0.01, "list.next": 0.002})
    limit = ConcurrentLimitLayer(3)
    op = make_op(slow, limit)
    done: list[int] = []

    def work(i: int) -> None:
        for j in range(4):
            op.write(f"t{i}/{j}", b"x" * j)
            assert op.read(f"t{i}/{j}") == b"x" * j
            op.stat("f")
        assert len(list(op.list(f"t{i}/"))) == 5
        done.append(i)

    assert hammer(16, work) == []
    assert sorted(done) == list(range(16))
    assert slow.peak == 3  # reached, never passed
    assert (limit.in_flight, limit.waiting) == (0, 0)


def test_operators_built_with_one_layer_share_its_permits(slow: SlowLayer) -> None:
    slow.delay["stat"] = 0.02
    limit = ConcurrentLimitLayer(2)
    ops = [make_op(slow, limit), make_op(slow, limit)]  # two stores, one SlowLayer below
    errors = hammer(16, lambda i: [ops[i % 2].stat("f") for _ in range(3)])
    assert errors == []
    assert slow.calls["stat"] == 48
    assert slow.peak == 2


def test_a_permit_is_held_per_step_so_open_listings_cannot_deadlock(slow: SlowLayer) -> None:
    limit = ConcurrentLimitLayer(1)
    op = make_op(slow, limit)
    for name in "abc":
        op.write(f"d/{name}", b"x")
    first, second = op.list("d/"), op.list("d/")
    # Both listings step in turn under a single permit.
    pairs = [(a.path, b.path) for a, b in zip(first, second, strict=True)]
    assert pairs[-1] == ("d/c", "d/c")
    idle = op.list("d/")
    next(idle)
    assert limit.in_flight == 0  # an idle listing holds no permit
    assert op.stat("f").content_length == 5
    with op.writer("w.bin") as w:
        w.write(b"abc")
        w.flush()
        assert op.read("f") == b"hello"  # an open writer holds no permit either
    assert op.read("w.bin") == b"abc"


def test_the_same_layer_stacked_twice_does_not_deadlock(slow: SlowLayer) -> None:
    limit = ConcurrentLimitLayer(1)
    op = make_op(slow, limit).layer(limit)
    assert op.read("f") == b"hello"
    assert [e.path for e in op.list("")] == ["/", "f"]
    assert limit.in_flight == 0


def test_waiting_and_acquire_timeout(slow: SlowLayer) -> None:
    limit = ConcurrentLimitLayer(1, timeout=0.1)
    patient = ConcurrentLimitLayer(1)
    op = make_op(slow, limit)
    slow.stall["stat"] = 1
    holder = threading.Thread(target=op.stat, args=("f",))
    holder.start()
    wait_until(lambda: limit.in_flight == 1)
    started = time.monotonic()
    with pytest.raises(RateLimited) as info:
        op.read("f")
    # Never before its timeout; long before the holder's stall (up to 10 s) would end: it
    # gave up while the permit was still held.
    assert 0.1 <= time.monotonic() - started < 5
    assert (limit.in_flight, slow.in_flight) == (1, 1)
    err = info.value
    assert err.is_temporary
    assert (err.operation, err.path) == ("read", "f")
    assert "no permit within 0.1 s: 1 calls in flight" in err.message
    slow.release()
    holder.join()
    assert op.read("f") == b"hello"

    # Without a timeout a caller waits, and `waiting` shows it.
    slow.gate.clear()
    slow.stall["stat"] = 1
    op2 = make_op(slow, patient)
    holders = [threading.Thread(target=op2.stat, args=("f",)) for _ in range(2)]
    for t in holders:
        t.start()
    wait_until(lambda: patient.in_flight == 1 and patient.waiting == 1)
    slow.release()
    for t in holders:
        t.join()
    assert (patient.in_flight, patient.waiting) == (0, 0)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0,), {}, ConfigInvalid, "'permits' must be >= 1"),
        (("4",), {}, TypeError, "'permits' must be an int, got str"),
        ((True,), {}, TypeError, "'permits' must be an int"),
        ((2,), {"timeout": -1}, ConfigInvalid, "'timeout' must be a finite number"),
        ((2,), {"timeout": float("nan")}, ConfigInvalid, "'timeout'"),
        ((2,), {"timeout": "1"}, TypeError, "'timeout' must be a number of seconds or None"),
    ],
)
def test_bad_arguments_name_the_argument(
    args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        ConcurrentLimitLayer(*args, **kwargs)  # type: ignore[arg-type]


def test_pickling_rebuilds_the_permits_and_registry_builds_it(slow: SlowLayer) -> None:
    limit = ConcurrentLimitLayer(2, timeout=1)
    slow.stall["stat"] = 1
    op = make_op(slow, limit)
    holder = threading.Thread(target=op.stat, args=("f",))
    holder.start()
    wait_until(lambda: limit.in_flight == 1)
    copy = pickle.loads(pickle.dumps(limit))
    assert (copy.permits, copy.timeout, copy.in_flight) == (2, 1.0, 0)
    assert make_op(SlowLayer(), copy).read("f") == b"hello"
    slow.release()
    holder.join()
    built = build_layer("concurrent_limit", permits=4)
    assert isinstance(built, ConcurrentLimitLayer)
    assert (built.permits, built.timeout) == (4, None)
    assert repr(built) == "ConcurrentLimitLayer(4)"
