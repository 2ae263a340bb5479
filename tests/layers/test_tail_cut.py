"""TailCutLayer: deadlines from recent latencies, cut calls retried, writes never re-issued.

Latencies come from a fake clock (``LatencyLayer`` advances it inside each call), so the
window and percentile logic is exact. A cut is observed without timing: the slow call hangs
on an event until the test ends, so the caller can only get past it by a cut. Calls that
must not be cut get a deadline (``CUT``) far above a thread handoff, as TimeoutLayer's tests do.
"""

from __future__ import annotations

import pickle
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opendal_lab import ConfigInvalid, ErrorStatus, Operator, RetryLayer, Timeout
from opendal_lab.core.registry import build_layer, layer_names
from opendal_lab.layers import TailCutLayer
from tests.layers.latency import FakeClock, LatencyLayer

CUT = 0.5  # the deadline of every guarded call below (min_deadline = max_deadline)
DATA = b"0123456789" * 100


def tail_cut(clock: FakeClock, **knobs: Any) -> TailCutLayer:
    knobs = {"min_samples": 10, "min_deadline": CUT, "max_deadline": CUT, **knobs}
    return TailCutLayer(clock=clock, **knobs)


def retry() -> RetryLayer:
    return RetryLayer(max_times=3, sleep=lambda _: None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def latency(clock: FakeClock) -> Iterator[LatencyLayer]:
    layer = LatencyLayer(clock)
    yield layer
    layer.release()  # let hung calls finish


@pytest.fixture(params=["memory", "fs", "s3"])
def base(request: pytest.FixtureRequest, tmp_path: Path) -> Operator:
    """An empty operator on each service."""
    if request.param == "memory":
        return Operator("memory", name=f"tail-cut-{uuid.uuid4().hex}")
    if request.param == "fs":
        return Operator("fs", root=str(tmp_path))
    moto = request.getfixturevalue("moto_server")
    return Operator("s3", **moto.config(request.getfixturevalue("s3_bucket")))


def stacked(base: Operator, *layers: Any) -> Operator:
    op = base
    for layer in layers:
        op = op.layer(layer)
    return op


def memory() -> Operator:
    return Operator("memory", name=f"tail-cut-{uuid.uuid4().hex}")


# -- the distributions -----------------------------------------------------------------------
def test_no_deadline_and_no_worker_before_min_samples(
    clock: FakeClock, latency: LatencyLayer
) -> None:
    layer = tail_cut(clock, min_samples=20)
    op = stacked(memory(), latency, layer)
    op.write("f", DATA)
    for n in range(19):
        assert op.read("f") == DATA
        assert layer.samples("read") == n + 1
        assert layer.deadline("read") is None
    # Until then every call ran on the caller's thread: nothing could cut it.
    assert set(latency.threads) == {threading.current_thread().name}
    assert layer.guarded == {}
    assert layer.cuts == {}
    op.read("f")
    assert layer.deadline("read") == CUT
    op.read("f")
    assert layer.guarded == {"read": 1}
    assert latency.threads[-1] != threading.current_thread().name


def test_deadline_is_the_percentile_times_the_safety_factor(clock: FakeClock) -> None:
    # Stats taking 1, 2, ..., 100 ms: p95 is 95 ms, p50 50 ms.
    latency = LatencyLayer(clock, latency=lambda step, n: n / 1000)
    p95 = TailCutLayer(min_samples=100, min_deadline=0.001, clock=clock)
    p50 = TailCutLayer(50, 2.0, min_samples=100, min_deadline=0.001, clock=clock)
    op = stacked(memory(), latency, p95)
    op.write("f", b"x")
    for _ in range(100):
        op.stat("f")
    assert p95.deadline("stat") == pytest.approx(0.095 * 1.3)
    latency.calls.clear()
    op = stacked(memory(), latency, p50)
    op.write("f", b"x")
    for _ in range(100):
        op.stat("f")
    assert p50.deadline("stat") == pytest.approx(0.050 * 2.0)


def test_deadlines_are_clamped(clock: FakeClock) -> None:
    fast = TailCutLayer(min_samples=10, clock=clock)  # 0.5 s floor, 30 s ceiling
    op = stacked(memory(), LatencyLayer(clock, latency=0.001), fast)
    op.write("f", b"x")
    for _ in range(10):
        op.stat("f")
    assert fast.deadline("stat") == 0.5  # p95 x 1.3 is 1.3 ms
    slow = TailCutLayer(window=3600, min_samples=10, min_deadline=1, max_deadline=20, clock=clock)
    op = stacked(memory(), LatencyLayer(clock, latency=100.0), slow)
    op.write("f", b"x")
    for _ in range(10):
        op.stat("f")
    assert slow.deadline("stat") == 20  # p95 x 1.3 is 130 s


def test_samples_older_than_the_window_are_forgotten(clock: FakeClock) -> None:
    layer = TailCutLayer(window=30, min_samples=10, clock=clock)
    op = stacked(memory(), LatencyLayer(clock, latency=0.5), layer)
    op.write("f", b"x")
    for _ in range(20):
        op.stat("f")  # finished at +0.5, +1.0, ..., +10 s
    assert layer.samples("stat") == 20
    clock.advance(25)  # the first 9 finished more than 30 s ago
    assert layer.samples("stat") == 11
    clock.advance(10)
    assert layer.samples("stat") == 0
    assert layer.deadline("stat") is None


def test_each_operation_and_read_size_has_its_own_distribution(clock: FakeClock) -> None:
    layer = TailCutLayer(min_samples=5, min_deadline=0.001, clock=clock)
    op = stacked(memory(), LatencyLayer(clock, latency=0.1), layer)
    op.write("f", DATA)
    for _ in range(5):
        op.read("f")  # whole
        op.read("f", size=10)
    op.stat("f")
    assert layer.samples("read") == 5
    assert layer.samples("read", 10) == 5
    assert layer.samples("read", 1 << 20) == 0  # a MiB is another class
    assert layer.samples("stat") == 1
    assert layer.deadline("stat") is None
    assert layer.deadline("read", 10) == pytest.approx(0.13)


def test_failures_are_not_samples(clock: FakeClock) -> None:
    layer = TailCutLayer(min_samples=1, clock=clock)
    op = stacked(memory(), LatencyLayer(clock), layer)
    for _ in range(3):
        with pytest.raises(FileNotFoundError):
            op.read("missing")
    assert layer.samples("read") == 0


# -- cuts --------------------------------------------------------------------------------------
def test_a_cut_call_raises_a_temporary_timeout_naming_the_deadline(
    clock: FakeClock, latency: LatencyLayer
) -> None:
    layer = tail_cut(clock)
    op = stacked(memory(), latency, layer)
    op.write("dir/f", DATA)
    for _ in range(10):
        op.stat("dir/f")
    latency.hang["stat"] = {11}
    with pytest.raises(TimeoutError) as info:
        op.stat("dir/f")
    err = info.value
    assert isinstance(err, Timeout)
    assert latency.hung["stat"] == 1
    assert latency.finished["stat"] == 0
    assert err.status is ErrorStatus.TEMPORARY
    assert (err.operation, err.service, err.path) == ("stat", "memory", "dir/f")
    assert err.context["cut_by"] == "TailCutLayer"
    assert err.context["deadline"] == CUT
    assert err.context["percentile"] == "p95"
    assert "still running" in err.context["call"]
    assert "stat cut by TailCutLayer after 0.5 s: p95 of the last 10 stat calls" in str(err)
    assert layer.cuts == {"stat": 1}
    # Visible in the stack, as every layer's state is.
    level = next(lv for lv in op.stack if isinstance(lv.layer, TailCutLayer))
    assert level.layer is layer
    assert "[cut: stat 1]" in repr(level.layer)


def test_cut_reads_are_retried_and_return_the_right_bytes(
    base: Operator, clock: FakeClock, latency: LatencyLayer
) -> None:
    layer = tail_cut(clock)
    op = stacked(base, latency, layer, retry())
    op.write("data/f", DATA)
    for _ in range(10):
        assert op.read("data/f") == DATA
    latency.hang["read"] = {12, 15, 16}  # the 16th is the retry of the 15th: cut twice
    results = [op.read("data/f") for _ in range(8)]
    assert results == [DATA] * 8
    assert op.read("data/f", offset=5, size=7) == DATA[5:12]
    assert layer.cuts == {"read": 3}
    assert latency.hung["read"] == 3
    assert latency.finished["read"] == 0
    assert latency.calls["read"] == 10 + 8 + 1 + 3  # each cut read issued once more


def test_the_tail_shrinks(clock: FakeClock) -> None:
    """Of the reads that met a hung call below, how many made their caller wait for it:
    all of them without the layer, none with it (each was cut and issued again)."""
    hangs = {13, 17, 26, 31}

    def served_by_hung_calls(with_cut: bool) -> int:
        latency = LatencyLayer(clock, hang={"read": hangs})
        layers: list[Any] = [latency]
        if with_cut:
            layers += [tail_cut(clock), retry()]
        op = stacked(memory(), *layers)
        op.write("f", DATA)
        if not with_cut:  # a slow call that ends in time: let it, once the caller waits
            latency.release()
        before = 0
        waited = 0
        for _ in range(36):
            assert op.read("f") == DATA
            finished = sum(latency.finished.values())
            waited += finished - before
            before = finished
        latency.release()
        return waited

    assert served_by_hung_calls(with_cut=False) == 4
    assert served_by_hung_calls(with_cut=True) == 0


def test_a_cut_listing_resumes_without_losing_or_repeating_entries(
    base: Operator, clock: FakeClock, latency: LatencyLayer
) -> None:
    layer = tail_cut(clock)
    op = stacked(base, latency, layer, retry())
    names = [f"d/{i:02}" for i in range(12)]
    for name in names:
        op.write(name, b"x")
    first = [e.path for e in op.list("d/")]
    assert layer.deadline("list") == CUT  # the listing and its steps are samples
    latency.hang["list.next"] = {latency.calls["list.next"] + 5}
    assert [e.path for e in op.list("d/")] == first
    assert layer.cuts == {"list": 1}
    assert set(names) <= set(first)


def test_writes_are_not_cut_by_default_and_reach_the_service_once(
    base: Operator, clock: FakeClock, latency: LatencyLayer
) -> None:
    layer = tail_cut(clock, min_samples=1)
    op = stacked(base, latency, layer, retry())
    for i in range(10):
        op.write(f"w/{i}", b"x")
    latency.hang["write"] = {11}

    # The slow write is not cut: it ends when released, on the caller's own thread.
    def release_once_hung() -> None:
        latency.hanging.wait(20)
        latency.release()

    releaser = threading.Thread(target=release_once_hung)
    releaser.start()
    op.write("w/slow", DATA)
    releaser.join()
    assert latency.calls["write"] == 11
    assert layer.cuts == {}
    assert layer.guarded == {}
    assert set(latency.threads) == {threading.current_thread().name}
    assert op.read("w/slow") == DATA


def test_a_write_opted_in_is_cut_permanently_and_never_issued_again(
    base: Operator, clock: FakeClock, latency: LatencyLayer
) -> None:
    layer = tail_cut(clock, operations=["stat", "read", "list", "write"])
    op = stacked(base, latency, layer, retry())
    for i in range(10):
        op.write(f"w/{i}", b"x")
    latency.hang["write"] = {11}
    with pytest.raises(Timeout) as info:
        op.write("w/slow", DATA)
    err = info.value
    assert err.status is ErrorStatus.PERMANENT  # so RetryLayer let it through
    assert "attempts" not in err.context
    assert err.context["may_have_happened"] is True
    assert "it may still take effect, so it is not issued again" in str(err)
    assert latency.calls["write"] == 11  # the cut write reached the service once, never again
    assert layer.cuts == {"write": 1}
    latency.release()  # the cut write was still running: it lands now
    for _ in range(200):
        if latency.finished["write"]:
            break
        threading.Event().wait(0.05)
    assert latency.calls["write"] == 11
    assert op.read("w/slow") == DATA  # it did happen, as the error warned it might


def test_mutations_opted_in_are_never_retried(clock: FakeClock, latency: LatencyLayer) -> None:
    layer = tail_cut(clock, min_samples=1, operations=["delete", "copy"])
    op = stacked(memory(), latency, layer, retry())
    op.write("a", b"x")
    op.copy("a", "b")
    op.delete("b")
    latency.hang["copy"] = {2}
    with pytest.raises(Timeout) as info:
        op.copy("a", "c")
    assert info.value.status is ErrorStatus.PERMANENT
    assert info.value.context["from"] == "a"
    assert info.value.context["to"] == "c"
    assert latency.calls["copy"] == 2
    assert layer.cuts == {"copy": 1}


def test_streaming_writers_pass_through(clock: FakeClock, latency: LatencyLayer) -> None:
    layer = tail_cut(clock, min_samples=1, operations=["write"])
    op = stacked(memory(), latency, layer)
    with op.open("s", "wb") as f:
        f.write(DATA)
    assert op.read("s") == DATA
    assert layer.guarded == {}
    assert layer.samples("write", len(DATA)) == 0


# -- configuration -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("knobs", "named"),
    [
        ({"percentile": 40}, "'percentile'"),
        ({"percentile": 100}, "'percentile'"),
        ({"safety_factor": 0.9}, "'safety_factor'"),
        ({"safety_factor": 6}, "'safety_factor'"),
        ({"window": 0}, "'window'"),
        ({"window": float("inf")}, "'window'"),
        ({"min_samples": 0}, "'min_samples'"),
        ({"min_deadline": 0}, "'min_deadline'"),
        ({"max_deadline": -1}, "'max_deadline'"),
        ({"min_deadline": 5, "max_deadline": 1}, "'min_deadline' (5) must be <= 'max_deadline'"),
        ({"operations": ["presign"]}, "unknown operation 'presign'"),
        ({"operations": "read,bogus"}, "unknown operation 'bogus'"),
        ({"max_workers": 0}, "'max_workers'"),
    ],
)
def test_bad_knobs_are_refused_by_name(knobs: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigInvalid, match="TailCutLayer") as info:
        TailCutLayer(**knobs)
    assert named in str(info.value)


def test_defaults_are_upstreams() -> None:
    layer = TailCutLayer()
    assert (layer.percentile, layer.safety_factor, layer.window, layer.min_samples) == (
        95,
        1.3,
        60,
        200,
    )
    assert (layer.min_deadline, layer.max_deadline) == (0.5, 30)
    assert layer.operations == {"stat", "read", "list"}


def test_by_name_in_a_uri_and_in_a_config() -> None:
    assert "tail_cut" in layer_names()
    op = Operator.from_uri(f"memory://tail-cut-{uuid.uuid4().hex}?layers=tail_cut,retry")
    assert [lv.name for lv in op.stack][-2:] == ["TailCutLayer", "RetryLayer"]
    op = Operator(
        "memory",
        name=f"tail-cut-{uuid.uuid4().hex}",
        layers=[{"name": "tail_cut", "percentile": 99, "operations": "stat,read,write"}],
    )
    layer = op.stack[-1].layer
    assert isinstance(layer, TailCutLayer)
    assert layer.percentile == 99
    assert "write" in layer.operations
    with pytest.raises(ConfigInvalid, match="did you mean 'percentile'"):
        build_layer("tail_cut", percentil=99)


def test_a_pickled_layer_works_on_its_own(clock: FakeClock) -> None:
    layer = TailCutLayer(min_samples=2, min_deadline=CUT)
    op = memory().layer(layer)
    op.write("f", DATA)
    for _ in range(3):
        op.read("f")  # the third under a deadline: a worker exists
    copy = pickle.loads(pickle.dumps(layer))
    assert copy.samples("read") == 3
    assert memory().layer(copy).stat("") is not None
