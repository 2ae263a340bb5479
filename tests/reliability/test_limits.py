"""ConcurrentLimitLayer and ThrottleLayer under 16 threads, on every service.

ConcurrentLimit: a SlowLayer right below the limit counts the calls in flight there; the
peak reaches the permits and never passes them. Throttle: the bytes that went through,
over the time they took, stay within ``burst + bandwidth * elapsed``; the threads ask for
more than it allows, so it makes them wait, and never longer than the debt of the calls
in flight needs (a rate's lower bound would measure the machine, not the layer).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from opendal_lab.layers import ConcurrentLimitLayer, ThrottleLayer
from tests.layers.slow import SlowLayer

from .backends import Backend

THREADS = 16


def hammer(work: Callable[[int], None]) -> list[BaseException]:
    """Run ``work(i)`` on ``THREADS`` threads at once; the errors they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS, timeout=60)

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as err:
            errors.append(err)

    pool = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    return errors


@pytest.fixture
def slow() -> Iterator[SlowLayer]:
    layer = SlowLayer(delay={"stat": 0.01, "read": 0.01, "write": 0.01, "list.next": 0.002})
    yield layer
    layer.release()


PERMITS = 4


def test_sixteen_threads_never_have_more_calls_in_flight_than_the_permits(
    backend: Backend, slow: SlowLayer
) -> None:
    raw = backend.operator()
    limit = ConcurrentLimitLayer(PERMITS)
    op = raw.layer(slow).layer(limit)
    slow.peek = lambda: limit.in_flight  # the layer's own count, seen at each call below

    def work(i: int) -> None:
        for j in range(3):
            data = f"{i}-{j}".encode() * 50
            op.write(f"t{i}/{j}", data)
            assert op.read(f"t{i}/{j}") == data
            assert op.stat(f"t{i}/{j}").content_length == len(data)
        assert [e.path for e in op.list(f"t{i}/") if e.is_file] == [f"t{i}/{j}" for j in range(3)]

    assert hammer(work) == []
    assert slow.peak == PERMITS, f"peak {slow.peak} calls in flight below the limit"
    assert max(slow.seen) == PERMITS
    assert (limit.in_flight, limit.waiting) == (0, 0)
    assert len({e.path for e in raw.list("/", recursive=True) if e.is_file}) == THREADS * 3
    print(f"\n{backend.scheme}: peak in flight {slow.peak} of {PERMITS} permits")


BANDWIDTH = 512 * 1024  # bytes per second
BURST = 32 * 1024
OBJECT = 8 * 1024
SECONDS = 0.5


@pytest.mark.parametrize("direction", ["write", "read"])
def test_sixteen_threads_stay_within_the_bandwidth(backend: Backend, direction: str) -> None:
    raw = backend.operator()
    data = bytes(range(256)) * (OBJECT // 256)
    for i in range(THREADS):
        raw.write(f"src/{i}", data)  # around the throttle
    moved = [0]
    lock = threading.Lock()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)  # list.append is atomic
        time.sleep(seconds)

    started = time.monotonic()
    op = raw.layer(ThrottleLayer(BANDWIDTH, BURST, sleep=sleep))  # its bucket starts full now
    deadline = started + SECONDS

    def work(i: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            if direction == "write":
                op.write(f"dst/{i}/{n % 4}", data)
            else:
                assert op.read(f"src/{i}") == data
            n += 1
            with lock:
                moved[0] += OBJECT

    assert hammer(work) == []
    elapsed = time.monotonic() - started
    rate = moved[0] / elapsed
    assert moved[0] <= BURST + BANDWIDTH * elapsed, f"{rate:.0f} B/s over {elapsed:.2f} s"
    # More than the burst went through (the bucket refilled) and the throttle, not the
    # threads, set the pace: it made them wait, each wait at most what the calls in flight
    # (one object per thread) owe.
    assert moved[0] > BURST
    assert waits, "the throttle never made a thread wait"
    assert max(waits) <= THREADS * OBJECT / BANDWIDTH + 1e-6, max(waits)
    print(
        f"\n{backend.scheme} {direction}: {moved[0]} bytes in {elapsed:.3f} s = {rate:.0f} B/s "
        f"(bandwidth {BANDWIDTH}, bound {BURST + BANDWIDTH * elapsed:.0f} bytes)"
    )
