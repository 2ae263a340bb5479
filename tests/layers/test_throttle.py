"""ThrottleLayer: a shared token bucket keeps bytes per second within bandwidth + burst."""

from __future__ import annotations

import pickle
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from opendal_lab import ConfigInvalid, Operator
from opendal_lab.core.registry import build_layer
from opendal_lab.layers.throttle import ThrottleLayer
from tests.layers.slow import SlowLayer


class FakeClock:
    """A clock that only moves when someone sleeps (or the test advances it)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def fake(bandwidth: int = 100, burst: int = 50) -> tuple[ThrottleLayer, FakeClock]:
    clock = FakeClock()
    return ThrottleLayer(bandwidth, burst, clock=clock, sleep=clock.sleep), clock


def memory(*layers: object) -> Operator:
    op = Operator("memory", name=f"throttle-{uuid.uuid4().hex}")
    for layer in layers:
        op = op.layer(layer)  # type: ignore[arg-type]
    return op


def test_token_bucket_arithmetic() -> None:
    layer, clock = fake(bandwidth=100, burst=50)
    assert layer.tokens == 50  # starts full
    assert layer.reserve(30) == 0
    assert layer.tokens == 20
    assert layer.reserve(30) == pytest.approx(0.1)  # 10 bytes of debt at 100 B/s
    assert layer.tokens == -10
    assert layer.reserve(5) == pytest.approx(0.15)  # waits behind the earlier debt
    clock.now += 0.15
    assert layer.tokens == pytest.approx(0)
    clock.now += 10
    assert layer.tokens == 50  # refills up to the burst, no further
    clock.now -= 1  # a clock that steps back adds nothing
    assert layer.tokens == 50


def test_writes_pay_before_and_reads_after() -> None:
    layer, clock = fake(bandwidth=100, burst=50)
    op = memory(layer)
    op.write("a", b"x" * 40)
    assert clock.sleeps == []
    op.write("b", b"x" * 40)  # 30 bytes short: waits 0.3 s, then goes down
    assert clock.sleeps == [0.3]
    assert layer.tokens == pytest.approx(0)
    clock.now += 0.5  # 50 tokens back
    assert op.read("a") == b"x" * 40
    assert op.read("b", size=20) == b"x" * 20  # 10 short, paid after the read
    assert clock.sleeps == [0.3, 0.1]
    before = layer.tokens
    op.stat("a")
    list(op.list(""))
    op.delete("a")
    assert layer.tokens == before  # metadata calls are free


def test_a_write_larger_than_burst_is_paced_not_refused() -> None:
    slow = SlowLayer()
    layer, clock = fake(bandwidth=100, burst=50)
    op = memory(slow, layer)
    with op.writer("big", buffer_size=1) as w:
        w.write(b"y" * 180)
    assert slow.sizes == [50, 50, 50, 30]  # burst-sized pieces, each paid for
    assert clock.sleeps == [0.5, 0.5, 0.3]
    assert op.read("big", size=10) == b"y" * 10  # (pays 10 more)
    clock.now += 10
    op.write("whole", b"z" * 200)  # a one-shot write cannot split: waits, then lands whole
    assert clock.sleeps[-1] == 1.5
    assert op.stat("whole").content_length == 200


def test_operators_with_one_layer_share_the_bucket() -> None:
    layer, clock = fake(bandwidth=100, burst=50)
    a, b = memory(layer), memory(layer)
    a.write("f", b"x" * 50)
    b.write("f", b"x" * 10)
    assert clock.sleeps == [0.1]


def run_for(
    started: float, seconds: float, threads: int, work: Callable[[], int]
) -> tuple[int, float]:
    """Call ``work`` from ``threads`` threads until ``seconds`` passed; bytes and time taken."""
    total = [0]
    lock = threading.Lock()
    deadline = started + seconds

    def loop() -> None:
        while time.monotonic() < deadline:
            n = work()
            with lock:
                total[0] += n

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(30)
    return total[0], time.monotonic() - started


BANDWIDTH, BURST, CHUNK, THREADS = 400_000, 32_000, 8_000, 16


@pytest.mark.parametrize("direction", ["write", "read"])
def test_sixteen_threads_stay_within_the_bandwidth_in_real_time(direction: str) -> None:
    """Real clock, real sleeps: never above ``burst + bandwidth * elapsed``, and the pace is
    the throttle's (it makes the threads wait, each no longer than the calls in flight owe),
    asserted without a lower bound on the rate, which a busy machine would decide."""
    plain = memory()
    data = b"d" * CHUNK
    plain.write("src", data)  # written around the throttle
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)  # list.append is atomic
        time.sleep(seconds)

    started = time.monotonic()
    op = plain.layer(ThrottleLayer(BANDWIDTH, BURST, sleep=sleep))  # its bucket starts full now
    names = iter(range(10**9))

    def work() -> int:
        if direction == "write":
            op.write(f"f{next(names) % 64}", data)
            return CHUNK
        return len(op.read("src"))

    moved, elapsed = run_for(started, 0.7, THREADS, work)
    assert moved <= BURST + BANDWIDTH * elapsed
    assert moved > BURST  # the bucket refilled as time passed
    assert waits, "the throttle never made a thread wait"
    # Each thread owes at most one chunk at a time, so no wait exceeds all of them paid.
    assert max(waits) <= THREADS * CHUNK / BANDWIDTH + 1e-6, max(waits)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((0, 10), {}, ConfigInvalid, "'bandwidth' must be >= 1 byte"),
        ((10, -1), {}, ConfigInvalid, "'burst' must be >= 1 byte"),
        ((1.5, 10), {}, TypeError, "'bandwidth' must be an int, got float"),
        ((10, "5"), {}, TypeError, "'burst' must be an int, got str"),
        ((True, 10), {}, TypeError, "'bandwidth' must be an int"),
        ((10, 10), {"clock": 5}, TypeError, "'clock' must be callable"),
        ((10, 10), {"sleep": None}, TypeError, "'sleep' must be callable"),
    ],
)
def test_bad_arguments_name_the_argument(
    args: tuple[object, ...], kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        ThrottleLayer(*args, **kwargs)  # type: ignore[arg-type]


def test_pickling_restarts_the_bucket_and_registry_builds_it() -> None:
    layer = ThrottleLayer(1000, 100)
    layer.reserve(500)
    copy = pickle.loads(pickle.dumps(layer))
    assert (copy.bandwidth, copy.burst) == (1000, 100)
    assert copy.tokens == pytest.approx(100, abs=1)
    memory(copy).write("f", b"x")
    built = build_layer("throttle", bandwidth=10, burst=5)
    assert isinstance(built, ThrottleLayer)
    assert repr(built) == "ThrottleLayer(bandwidth=10, burst=5)"
