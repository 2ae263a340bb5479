"""ChaosLayer: seeded failures at a rate, with full error context and no side effects."""

from __future__ import annotations

import math
import pickle
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from opendal_lab import (
    Access,
    ChaosLayer,
    ConfigInvalid,
    Error,
    ErrorStatus,
    Operator,
    Unexpected,
)
from opendal_lab.core.access import Failures
from opendal_lab.core.options import (
    DEFAULT_COPY,
    DEFAULT_DELETE,
    DEFAULT_LIST,
    DEFAULT_READ,
    DEFAULT_RENAME,
    DEFAULT_STAT,
    DEFAULT_WRITE,
    ReadOptions,
)
from opendal_lab.core.registry import build_layer, layer_names
from opendal_lab.layers.chaos import CHAOS_OPERATIONS

from .fake import FakeService


def memory() -> Operator:
    return Operator("memory", name=f"chaos-{uuid.uuid4().hex}")


def over_fake(layer: ChaosLayer, **data: bytes) -> tuple[FakeService, Access]:
    fake = FakeService()
    fake.data.update(data)
    return fake, layer.wrap(fake)


def outcomes(layer: ChaosLayer, n: int = 200) -> list[bool]:
    """Which of ``n`` mixed calls failed, on a fresh store."""
    op = memory().layer(layer)
    calls: list[Callable[[], object]] = [
        lambda: op.write("f", b"x"),
        lambda: op.stat("/"),
        lambda: list(op.list("/")),
    ]
    result = []
    for i in range(n):
        try:
            calls[i % 3]()
            result.append(False)
        except Error:
            result.append(True)
    return result


# -- pass-through --------------------------------------------------------------------------


def test_default_layer_injects_nothing_and_keeps_the_capability() -> None:
    base = memory()
    layer = ChaosLayer()
    op = base.layer(layer)
    op.write("d/a", b"abc")
    assert op.read("d/a", offset=1, size=2) == b"bc"
    assert [e.path for e in op.list("d/")] == ["d/", "d/a"]
    op.copy("d/a", "d/b")
    op.rename("d/b", "d/c")
    op.delete_many(["d/c"])
    op.delete("d/a")
    assert not op.exists("d/a")
    assert op.capability() == base.capability()
    assert [c for c in op.capability_changes() if c.layer == "ChaosLayer"] == []
    assert sum(layer.injected.values()) == 0
    assert layer.checked["write"] == 1
    assert ChaosLayer.forwards_plain == frozenset()


# -- rate and seed -------------------------------------------------------------------------


def test_same_seed_same_failures_other_seed_other_failures() -> None:
    first = outcomes(ChaosLayer(0.3, seed=42))
    assert first == outcomes(ChaosLayer(0.3, seed=42))
    assert first != outcomes(ChaosLayer(0.3, seed=43))
    assert any(first)
    assert not all(first)


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.25, 0.6, 1.0])
def test_failures_come_at_the_configured_rate(rate: float) -> None:
    layer = ChaosLayer(rate, seed=7, operations=["stat"])
    op = memory().layer(layer)
    n = 4000
    failed = 0
    for _ in range(n):
        try:
            op.stat("/")
        except Unexpected:
            failed += 1
    assert layer.checked["stat"] == n
    assert layer.injected["stat"] == failed
    # Four standard deviations of a binomial: fails by chance about once in 15,000 runs.
    assert abs(failed / n - rate) <= 4 * math.sqrt(rate * (1 - rate) / n) + 1e-9


def test_reset_zeroes_the_counters() -> None:
    layer = ChaosLayer(1.0, operations=["stat"])
    with pytest.raises(Unexpected):
        memory().layer(layer).stat("/")
    assert layer.injected["stat"] == 1
    layer.reset()
    assert layer.injected == {}
    assert layer.checked == {}


def test_counters_are_exact_under_threads() -> None:
    layer = ChaosLayer(0.3, seed=3, operations=["stat"])
    op = memory().layer(layer)
    failed = [0] * 8

    def work(i: int) -> None:
        for _ in range(500):
            try:
                op.stat("/")
            except Unexpected:
                failed[i] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert layer.checked["stat"] == 4000
    assert layer.injected["stat"] == sum(failed)
    assert 0.2 < sum(failed) / 4000 < 0.4


# -- the errors ----------------------------------------------------------------------------


def test_injected_error_names_operation_service_path_and_its_origin() -> None:
    op = memory().layer(ChaosLayer(1.0, seed=1))
    with pytest.raises(Unexpected) as info:
        op.read("dir/file.bin")
    err = info.value
    assert (err.operation, err.service, err.path) == ("read", "memory", "dir/file.bin")
    assert err.status is ErrorStatus.TEMPORARY
    assert err.is_temporary
    assert err.context["injected"] == "ChaosLayer"
    text = str(err)
    assert "injected by ChaosLayer" in text
    assert "(temporary)" in text
    assert "dir/file.bin" in text
    assert "memory" in text
    assert isinstance(err, OSError)


def test_copy_and_rename_errors_name_both_paths() -> None:
    op = memory().layer(ChaosLayer(1.0, operations=["copy", "rename"]))
    op.write("a", b"1")
    for call, name in ((op.copy, "copy"), (op.rename, "rename")):
        with pytest.raises(Unexpected) as info:
            call("a", "b")
        err = info.value
        assert (err.operation, err.path) == (name, "a")
        assert (err.context["from"], err.context["to"]) == ("a", "b")


def test_permanent_rate_marks_that_share_permanent() -> None:
    op = memory().layer(ChaosLayer(1.0, permanent_rate=1.0, operations=["stat"]))
    with pytest.raises(Unexpected) as info:
        op.stat("/")
    assert info.value.status is ErrorStatus.PERMANENT
    assert "permanent" in str(info.value)

    op = memory().layer(ChaosLayer(1.0, permanent_rate=0.5, seed=5, operations=["stat"]))
    statuses = []
    for _ in range(1000):
        with pytest.raises(Unexpected) as info:
            op.stat("/")
        statuses.append(info.value.status)
    permanent = statuses.count(ErrorStatus.PERMANENT)
    assert 400 < permanent < 600
    assert statuses.count(ErrorStatus.TEMPORARY) == 1000 - permanent


# -- no side effects -----------------------------------------------------------------------

CALLS: dict[str, Callable[[Access], Any]] = {
    "stat": lambda a: a.stat("f", DEFAULT_STAT),
    "read": lambda a: a.read("f", DEFAULT_READ),
    "write": lambda a: a.write("g", b"new", DEFAULT_WRITE),
    "writer": lambda a: a.writer("g", DEFAULT_WRITE),
    "list": lambda a: a.list("/", DEFAULT_LIST),
    "delete": lambda a: a.delete("f", DEFAULT_DELETE),
    "delete_many": lambda a: a.delete_many([("f", DEFAULT_DELETE)]),
    "create_dir": lambda a: a.create_dir("d/"),
    "copy": lambda a: a.copy("f", "g", DEFAULT_COPY),
    "rename": lambda a: a.rename("f", "g", DEFAULT_RENAME),
}


@pytest.mark.parametrize("operation", CHAOS_OPERATIONS)
def test_injected_failure_never_reaches_the_service(operation: str) -> None:
    fake, access = over_fake(ChaosLayer(1.0), f=b"old")
    with pytest.raises(Unexpected, match="injected by ChaosLayer"):
        CALLS[operation](access)
    assert fake.calls == []
    assert fake.data == {"f": b"old"}


@pytest.mark.parametrize("operation", CHAOS_OPERATIONS)
def test_operations_limits_what_is_covered(operation: str) -> None:
    others = [op for op in CHAOS_OPERATIONS if op != operation]
    layer = ChaosLayer(1.0, operations=others)
    fake, access = over_fake(layer, f=b"old")
    result = CALLS[operation](access)  # not covered: goes through
    if operation == "list":
        list(result)
    assert fake.calls, f"{operation} did not reach the service"
    assert layer.injected == {}
    assert layer.checked == {}


def test_failed_write_stores_nothing_on_memory() -> None:
    op = memory()
    chaotic = op.layer(ChaosLayer(1.0, operations=["write"]))
    with pytest.raises(Unexpected):
        chaotic.write("w", b"data")
    assert not op.exists("w")
    op.write("w", b"old")
    with pytest.raises(Unexpected):
        chaotic.write("w", b"new")
    assert op.read("w") == b"old"


# -- writers, listings, batches ------------------------------------------------------------


def test_writer_calls_fail_before_reaching_the_writer_and_can_be_repeated() -> None:
    layer = ChaosLayer(0.0)
    fake, access = over_fake(layer)
    w = access.writer("w", DEFAULT_WRITE)
    layer.error_rate = 1.0
    with pytest.raises(Unexpected) as info:
        w.write(b"abc")
    assert (info.value.operation, info.value.path) == ("write", "w")
    assert "writer.write" in str(info.value)
    layer.error_rate = 0.0
    w.write(b"abc")
    layer.error_rate = 1.0
    with pytest.raises(Unexpected, match=r"writer\.close"):
        w.close()
    assert "w" not in fake.data
    layer.error_rate = 0.0
    assert w.close().content_length == 3
    assert fake.data["w"] == b"abc"
    assert fake.ops() == ["writer", "writer.write", "writer.close"]
    assert layer.injected == {"writer.write": 1, "writer.close": 1}


def test_abort_is_never_failed() -> None:
    layer = ChaosLayer(0.0)
    fake, access = over_fake(layer)
    w = access.writer("w", DEFAULT_WRITE)
    layer.error_rate = 1.0
    w.abort()
    assert fake.ops() == ["writer", "writer.abort"]


def test_listing_fails_midway_without_pulling_the_entry() -> None:
    layer = ChaosLayer(0.0, operations=["list"])
    _, access = over_fake(layer, a=b"1", b=b"2", c=b"3")
    it = access.list("/", DEFAULT_LIST)
    assert next(it).path == "/"
    assert next(it).path == "a"
    layer.error_rate = 1.0
    with pytest.raises(Unexpected) as info:
        next(it)
    assert (info.value.operation, info.value.path) == ("list", "/")
    assert "list.next" in str(info.value)
    assert layer.injected == {"list.next": 1}
    assert layer.checked["list.next"] == 3


def test_a_long_listing_fails_at_about_the_rate() -> None:
    op = memory()
    for i in range(300):
        op.write(f"k{i:04d}", b"")
    layer = ChaosLayer(0.05, seed=9, operations=["list"])
    chaotic = op.layer(layer)
    pulled = completed = 0
    for _ in range(40):
        try:
            for _ in chaotic.list("/"):
                pulled += 1
            completed += 1
        except Unexpected:
            pass
    injected = layer.injected
    # One chance before each pull, the last one finding the end of the listing.
    assert layer.checked["list.next"] == pulled + completed + injected["list.next"]
    assert layer.checked["list"] == 40
    assert 0.03 < injected["list.next"] / layer.checked["list.next"] < 0.07


def test_delete_many_reports_injected_items_and_leaves_them_in_place() -> None:
    layer = ChaosLayer(0.4, seed=2, operations=["delete_many"])
    keys = [f"k{i}" for i in range(60)]
    fake, access = over_fake(layer, **dict.fromkeys(keys, b"x"))
    batches = 0
    while isinstance(failures := try_delete_many(access, keys), Unexpected):
        batches += 1  # the whole batch failed: nothing was sent
        assert failures.context["batch_size"] == len(keys)
        assert fake.calls == []
    assert layer.injected["delete_many"] == batches
    failed = {p for p, _ in failures}
    assert 0 < len(failed) < len(keys)
    assert set(fake.data) == failed  # exactly the failed ones are left
    assert fake.calls_of("delete_many")[0].options == [k for k in keys if k not in failed]
    for path, err in failures:
        assert (err.path, err.operation) == (path, "delete")
        assert err.is_temporary
        assert "injected by ChaosLayer" in str(err)
    assert layer.injected["delete_many.item"] == len(failed)


def try_delete_many(access: Access, keys: list[str]) -> Failures | Unexpected:
    try:
        return access.delete_many([(k, DEFAULT_DELETE) for k in keys])
    except Unexpected as err:
        return err


# -- short reads ---------------------------------------------------------------------------


def test_short_reads_cut_only_sized_reads_to_a_strict_prefix() -> None:
    layer = ChaosLayer(short_read_rate=1.0, seed=4)
    data = bytes(range(200))
    _, access = over_fake(layer, f=data)
    for _ in range(50):
        got = access.read("f", ReadOptions(offset=10, size=100))
        assert len(got) < 100
        assert got == data[10 : 10 + len(got)]
    assert access.read("f", DEFAULT_READ) == data  # unsized: never cut
    assert layer.injected["short_read"] == 50
    assert sum(v for k, v in layer.injected.items() if k != "short_read") == 0


def test_short_read_rate_is_a_rate() -> None:
    layer = ChaosLayer(short_read_rate=0.3, seed=8)
    op = memory().layer(layer)
    op.write("f", b"0123456789")
    short = sum(len(op.read("f", offset=0, size=10)) < 10 for _ in range(2000))
    assert short == layer.injected["short_read"]
    assert 0.25 < short / 2000 < 0.35


# -- arguments, registry, pickling ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "named"),
    [
        ({"error_rate": 1.5}, ConfigInvalid, "error_rate"),
        ({"error_rate": -0.1}, ConfigInvalid, "error_rate"),
        ({"error_rate": float("nan")}, ConfigInvalid, "error_rate"),
        ({"error_rate": "0.1"}, TypeError, "error_rate"),
        ({"error_rate": True}, TypeError, "error_rate"),
        ({"short_read_rate": 2}, ConfigInvalid, "short_read_rate"),
        ({"permanent_rate": None}, TypeError, "permanent_rate"),
        ({"seed": "x"}, TypeError, "seed"),
        ({"seed": 1.5}, TypeError, "seed"),
        ({"operations": "read"}, TypeError, "operations"),
        ({"operations": 5}, TypeError, "operations"),
        ({"operations": ["read", "presign"]}, ConfigInvalid, "presign"),
    ],
)
def test_bad_arguments_name_the_argument(
    kwargs: dict[str, Any], error: type[Exception], named: str
) -> None:
    with pytest.raises(error, match=named):
        ChaosLayer(**kwargs)


def test_unknown_operation_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigInvalid, match="valid operations: stat, read"):
        ChaosLayer(operations=["reed"])


def test_built_by_name() -> None:
    assert "chaos" in layer_names()
    layer = build_layer("chaos", error_rate=0.5, seed=1, operations=["read"])
    assert isinstance(layer, ChaosLayer)
    assert (layer.error_rate, layer.seed, layer.operations) == (0.5, 1, frozenset({"read"}))
    assert repr(layer) == "ChaosLayer(0.5, seed=1, operations=['read'])"


def test_pickled_layer_continues_the_same_random_stream() -> None:
    layer = ChaosLayer(0.5, seed=12, operations=["stat"])
    op = memory().layer(layer)
    copy = pickle.loads(pickle.dumps(op))
    assert outcomes_of(op) == outcomes_of(copy)


def outcomes_of(op: Operator) -> list[bool]:
    result = []
    for _ in range(100):
        try:
            op.stat("/")
            result.append(False)
        except Unexpected:
            result.append(True)
    return result
