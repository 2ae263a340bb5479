"""RetryLayer: temporary errors retried with backoff, everything else at once; resumed reads,
listings and writer calls; data exact through ChaosLayer."""

from __future__ import annotations

import pickle
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from opendal_lab import (
    Access,
    ChaosLayer,
    ConditionNotMatch,
    ConfigInvalid,
    Error,
    ErrorStatus,
    NotFound,
    Operator,
    PresignedRequest,
    RateLimited,
    RetryLayer,
    Unexpected,
    Unsupported,
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
    DeleteOptions,
    ListOptions,
    ReadOptions,
)
from opendal_lab.core.registry import build_layer, layer_names
from opendal_lab.core.types import Entry

from .fake import BASIC, Call, FakeService


def temporary(message: str = "flaky") -> Unexpected:
    return Unexpected(message, status=ErrorStatus.TEMPORARY)


@dataclass(eq=False)
class Flaky(FakeService):
    """A fake that fails on a script: ``plan[op]`` errors are raised one per call, in order.

    ``plan["list.next"]`` errors are raised while listing, after the first entry;
    ``cuts`` are byte counts the next reads keep (short reads); ``item_failures`` are, per
    ``delete_many`` call, the failures to report by path (the items are deleted anyway).
    """

    plan: dict[str, list[BaseException]] = field(default_factory=dict)
    cuts: list[int] = field(default_factory=list)
    item_failures: list[dict[str, Callable[[], Error]]] = field(default_factory=list)

    def _enter(
        self, operation: str, path: str, options: Any = None, target: str | None = None
    ) -> None:
        queue = self.plan.get(operation)
        if queue:
            self.calls.append(Call(operation, path, options, target))
            raise queue.pop(0)
        super()._enter(operation, path, options, target)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        data = super().read(path, opts)
        return data[: self.cuts.pop(0)] if self.cuts else data

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        return self._flaky(super().list(path, opts))

    def _flaky(self, entries: Iterator[Entry]) -> Iterator[Entry]:
        for i, entry in enumerate(entries):
            queue = self.plan.get("list.next")
            if i and queue:
                raise queue.pop(0)
            yield entry

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        super().delete_many(items)
        report = self.item_failures.pop(0) if self.item_failures else {}
        return [(p, report[p]()) for p, _ in items if p in report]

    def presign(self, operation: Any, path: str, expire: float, opts: Any) -> PresignedRequest:
        self._enter("presign", path)
        return PresignedRequest("GET", f"https://fake/{path}")


@dataclass
class Recorder:
    """Stands in for ``sleep`` and ``notify``: keeps what they were given."""

    sleeps: list[float] = field(default_factory=list)
    notes: list[tuple[Error, float, int]] = field(default_factory=list)

    def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)

    def notify(self, err: Error, delay: float, attempt: int) -> None:
        self.notes.append((err, delay, attempt))


def retry(rec: Recorder | None = None, **kwargs: Any) -> RetryLayer:
    rec = rec or Recorder()
    return RetryLayer(sleep=rec.sleep, notify=rec.notify, **kwargs)


def flaky(rec: Recorder | None = None, native: Any = BASIC, **kwargs: Any) -> tuple[Flaky, Access]:
    fake = Flaky(native_cap=native)
    return fake, retry(rec, **kwargs).wrap(fake)


def memory() -> Operator:
    return Operator("memory", name=f"retry-{uuid.uuid4().hex}")


def noop(_: float) -> None:
    pass


# -- what is retried -----------------------------------------------------------------------


def test_temporary_errors_are_retried_until_the_call_succeeds() -> None:
    rec = Recorder()
    fake, access = flaky(rec)
    fake.data["f"] = b"abc"
    first, second = temporary("one"), RateLimited("slow down")
    fake.plan["read"] = [first, second]
    assert access.read("f", DEFAULT_READ) == b"abc"
    assert fake.ops() == ["read", "read", "read"]
    assert [(e, n) for e, _, n in rec.notes] == [(first, 1), (second, 2)]
    assert rec.sleeps == [d for _, d, _ in rec.notes]
    assert first.status is ErrorStatus.TEMPORARY  # a retried error is left as it was


CALLS: dict[str, Callable[[Access], Any]] = {
    "stat": lambda a: a.stat("f", DEFAULT_STAT),
    "read": lambda a: a.read("f", DEFAULT_READ),
    "write": lambda a: a.write("g", b"new", DEFAULT_WRITE),
    "writer": lambda a: a.writer("g", DEFAULT_WRITE),
    "list": lambda a: list(a.list("/", DEFAULT_LIST)),
    "delete": lambda a: a.delete("f", DEFAULT_DELETE),
    "delete_many": lambda a: a.delete_many([("f", DEFAULT_DELETE)]),
    "create_dir": lambda a: a.create_dir("d/"),
    "copy": lambda a: a.copy("f", "g", DEFAULT_COPY),
    "rename": lambda a: a.rename("f", "g", DEFAULT_RENAME),
    "presign": lambda a: a.presign("read", "f", 60.0, None),
}


@pytest.mark.parametrize("operation", list(CALLS))
def test_every_operation_is_retried(operation: str) -> None:
    rec = Recorder()
    fake, access = flaky(rec)
    fake.data["f"] = b"old"
    fake.plan[operation] = [temporary(), temporary()]
    CALLS[operation](access)
    assert fake.ops().count(operation) == 3
    assert len(rec.sleeps) == 2


@pytest.mark.parametrize("operation", list(CALLS))
def test_exhausted_retries_raise_the_last_error_persistent(operation: str) -> None:
    rec = Recorder()
    fake, access = flaky(rec, max_times=3)
    fake.data["f"] = b"old"
    errors = [temporary(f"try {i}") for i in range(10)]
    fake.plan[operation] = list(errors)
    with pytest.raises(Unexpected) as info:
        CALLS[operation](access)
    err = info.value
    assert err is errors[3]  # the fourth attempt's error, not the first
    assert err.status is ErrorStatus.PERSISTENT
    assert err.context["attempts"] == 4
    assert "(persistent)" in str(err)
    assert "attempts: 4" in str(err)
    assert fake.ops().count(operation) == 4
    assert [n for _, _, n in rec.notes] == [1, 2, 3]


@pytest.mark.parametrize(
    "error",
    [
        NotFound("gone"),
        ConditionNotMatch("etag"),
        Unsupported("no"),
        Unexpected("broken", status=ErrorStatus.PERMANENT),
        Unexpected("already retried below", status=ErrorStatus.PERSISTENT),
        ValueError("not an opendal_lab error"),
    ],
)
def test_other_errors_pass_through_at_once(error: Exception) -> None:
    rec = Recorder()
    fake, access = flaky(rec)
    fake.data["f"] = b"x"
    fake.plan["stat"] = [error, temporary()]
    with pytest.raises(type(error)) as info:
        access.stat("f", DEFAULT_STAT)
    assert info.value is error
    assert fake.ops() == ["stat"]
    assert rec.sleeps == []
    assert rec.notes == []
    if isinstance(error, Error):
        assert "attempts" not in error.context


def test_zero_retries_still_marks_the_error_persistent() -> None:
    fake, access = flaky(max_times=0)
    fake.fail["stat"] = temporary()
    with pytest.raises(Unexpected) as info:
        access.stat("f", DEFAULT_STAT)
    assert info.value.status is ErrorStatus.PERSISTENT
    assert info.value.context["attempts"] == 1
    assert fake.ops() == ["stat"]


def test_notify_that_raises_stops_the_retries() -> None:
    def refuse(err: Error, delay: float, attempt: int) -> None:
        raise KeyboardInterrupt

    fake = Flaky()
    fake.fail["stat"] = temporary()
    access = RetryLayer(notify=refuse, sleep=noop).wrap(fake)
    with pytest.raises(KeyboardInterrupt):
        access.stat("f", DEFAULT_STAT)
    assert fake.ops() == ["stat"]


# -- backoff -------------------------------------------------------------------------------


def test_delays_grow_exponentially_up_to_max_delay() -> None:
    rec = Recorder()
    fake, access = flaky(rec, max_times=6, min_delay=0.1, factor=2.0, max_delay=0.5, jitter=False)
    fake.fail["stat"] = temporary()
    with pytest.raises(Unexpected):
        access.stat("f", DEFAULT_STAT)
    assert rec.sleeps == pytest.approx([0.1, 0.2, 0.4, 0.5, 0.5, 0.5])
    assert [(d, n) for _, d, n in rec.notes] == list(zip(rec.sleeps, range(1, 7), strict=True))
    assert all(e is fake.fail["stat"] for e, _, _ in rec.notes)


def test_jitter_draws_from_the_upper_half_of_each_delay() -> None:
    layer = RetryLayer(min_delay=0.1, factor=3.0, max_delay=1.0)
    for attempt, base in ((1, 0.1), (2, 0.3), (3, 0.9), (4, 1.0), (9, 1.0)):
        delays = [layer.delay(attempt) for _ in range(300)]
        assert all(base / 2 <= d <= base for d in delays)
        assert len(set(delays)) > 250  # really drawn
        assert min(delays) < base * 0.6
        assert max(delays) > base * 0.9


def test_huge_attempt_counts_do_not_overflow() -> None:
    layer = RetryLayer(factor=10.0, max_delay=3.0, jitter=False)
    assert layer.delay(10_000) == 3.0


def test_default_sleep_is_time_sleep() -> None:
    assert RetryLayer().sleep is time.sleep
    fake = Flaky()
    fake.data["f"] = b"x"
    fake.plan["stat"] = [temporary()]
    layer = RetryLayer(min_delay=0.02, max_delay=0.02, jitter=False)
    started = time.monotonic()
    layer.wrap(fake).stat("f", DEFAULT_STAT)
    assert time.monotonic() - started >= 0.02


# -- reads ---------------------------------------------------------------------------------


def test_short_read_resumes_from_where_it_stopped() -> None:
    fake, access = flaky()
    fake.data["f"] = bytes(range(100))
    fake.cuts = [4, 0, 3]  # 4 bytes, then nothing, then 3 of the rest, then all
    got = access.read("f", ReadOptions(offset=10, size=20))
    assert got == bytes(range(10, 30))
    ranges = [(c.options.offset, c.options.size) for c in fake.calls_of("read")]
    assert ranges == [(10, 20), (14, 16), (14, 16), (17, 13)]


def test_short_read_after_temporary_errors_keeps_both_recoveries() -> None:
    rec = Recorder()
    fake, access = flaky(rec)
    fake.data["f"] = b"0123456789"
    fake.cuts = [5]
    fake.plan["read"] = [temporary()]
    assert access.read("f", ReadOptions(offset=0, size=10)) == b"0123456789"
    assert len(rec.sleeps) == 1


def test_a_read_that_keeps_coming_back_empty_gives_up_with_what_it_has() -> None:
    fake, access = flaky(max_times=2)
    fake.data["f"] = b"0123456789"
    fake.short_read = 1  # the last byte never comes
    assert access.read("f", ReadOptions(offset=0, size=10)) == b"012345678"
    assert len(fake.calls_of("read")) == 1 + 3


def test_unsized_reads_are_not_resumed() -> None:
    fake, access = flaky()
    fake.data["f"] = b"0123456789"
    fake.short_read = 2
    assert access.read("f", DEFAULT_READ) == b"01234567"
    assert len(fake.calls_of("read")) == 1


def test_reads_are_exact_through_chaos_short_reads() -> None:
    op = memory()
    data = random.Random(1).randbytes(5000)
    op.write("f", data)
    chaos = ChaosLayer(0.1, short_read_rate=0.5, seed=3)
    resilient = op.layer(chaos).layer(RetryLayer(max_times=10, sleep=noop))
    rng = random.Random(2)
    for _ in range(300):
        offset = rng.randrange(len(data))
        size = rng.randrange(1, len(data) - offset + 1)
        assert resilient.read("f", offset=offset, size=size) == data[offset : offset + size]
    with resilient.open("f", "rb", buffer_size=97) as f:
        assert f.read() == data
    assert chaos.injected["short_read"] > 100


# -- writers -------------------------------------------------------------------------------


def test_writer_retries_each_chunk_and_close_without_duplicating() -> None:
    rec = Recorder()
    fake, access = flaky(rec)
    fake.plan["writer.write"] = [temporary(), temporary()]
    fake.plan["writer.close"] = [temporary()]
    w = access.writer("w", DEFAULT_WRITE)
    for chunk in (b"ab", b"cd", b"ef"):
        w.write(chunk)
    assert w.close().content_length == 6
    assert fake.data["w"] == b"abcdef"
    assert fake.ops().count("writer.write") == 5
    assert fake.ops().count("writer.close") == 2
    assert len(rec.sleeps) == 3


def test_writer_abort_is_not_retried() -> None:
    fake, access = flaky()
    fake.plan["writer.abort"] = [temporary()]
    w = access.writer("w", DEFAULT_WRITE)
    with pytest.raises(Unexpected):
        w.abort()
    assert fake.ops().count("writer.abort") == 1


def test_writer_chunk_exhaustion_is_persistent() -> None:
    fake, access = flaky(max_times=2)
    w = access.writer("w", DEFAULT_WRITE)
    fake.fail["writer.write"] = temporary()
    with pytest.raises(Unexpected) as info:
        w.write(b"abc")
    assert info.value.status is ErrorStatus.PERSISTENT
    assert info.value.context["attempts"] == 3


def test_streamed_writes_land_whole_through_chaos() -> None:
    op = memory()
    chaos = ChaosLayer(0.3, seed=5, operations=["writer"])
    resilient = op.layer(chaos).layer(RetryLayer(max_times=12, sleep=noop))
    rng = random.Random(6)
    for i in range(30):
        chunks = [rng.randbytes(rng.randrange(1, 50)) for _ in range(rng.randrange(1, 8))]
        with resilient.open(f"w{i}", "wb", buffer_size=16) as f:
            for chunk in chunks:
                f.write(chunk)
        assert op.read(f"w{i}") == b"".join(chunks)
    assert chaos.injected["writer.write"] > 5
    assert chaos.injected["writer.close"] > 3


# -- listings ------------------------------------------------------------------------------


def test_listing_resumes_with_start_after_where_supported() -> None:
    native = BASIC.replace(list_with_start_after=True)
    rec = Recorder()
    fake, access = flaky(rec, native=native)
    keys = [f"k{i:02d}" for i in range(20)]
    fake.data.update(dict.fromkeys(keys, b"x"))
    fake.plan["list.next"] = [temporary(), temporary(), temporary()]
    got = [e.path for e in access.list("/", DEFAULT_LIST)]
    assert got == ["/", *keys]
    calls = fake.calls_of("list")
    assert len(calls) == 4
    # Each resume starts after the last entry yielded before it failed (one per listing).
    assert [c.options.start_after for c in calls] == [None, "/", "k00", "k01"]
    assert len(rec.sleeps) == 3


def test_listing_without_start_after_skips_what_was_yielded() -> None:
    fake, access = flaky()
    keys = [f"k{i:02d}" for i in range(20)]
    fake.data.update(dict.fromkeys(keys, b"x"))
    # Each listing fails after its first entry ("/"), twice; the third one gets through.
    fake.plan["list.next"] = [temporary(), temporary()]
    assert [e.path for e in access.list("/", DEFAULT_LIST)] == ["/", *keys]
    assert [c.options.start_after for c in fake.calls_of("list")] == [None, None, None]


def test_a_listing_that_always_fails_once_started_still_progresses_by_key() -> None:
    # The fake fails after the first entry of every listing: each resume gains one entry.
    fake, access = flaky(native=BASIC.replace(list_with_start_after=True), max_times=1)
    keys = [f"k{i}" for i in range(5)]
    fake.data.update(dict.fromkeys(keys, b"x"))
    fake.fail["list.next"] = temporary()
    assert [e.path for e in access.list("/", DEFAULT_LIST)] == ["/", *keys]


def test_a_listing_that_makes_no_progress_is_persistent() -> None:
    # Without start_after each re-list yields only what was already seen, then fails.
    rec = Recorder()
    fake, access = flaky(rec, max_times=3)
    fake.data.update(dict.fromkeys(["a", "b"], b"x"))
    fake.fail["list.next"] = temporary()
    it = access.list("/", DEFAULT_LIST)
    assert next(it).path == "/"
    with pytest.raises(Unexpected) as info:
        next(it)
    assert info.value.status is ErrorStatus.PERSISTENT
    assert info.value.context["attempts"] == 4
    assert len(fake.calls_of("list")) == 4
    assert [n for _, _, n in rec.notes] == [1, 2, 3]


def test_a_permanent_error_midway_passes_through() -> None:
    fake, access = flaky()
    fake.data.update(dict.fromkeys(["a", "b"], b"x"))
    fake.plan["list.next"] = [NotFound("vanished")]
    it = access.list("/", DEFAULT_LIST)
    assert next(it).path == "/"
    with pytest.raises(NotFound):
        next(it)
    assert len(fake.calls_of("list")) == 1


def test_a_permanent_error_creating_the_listing_raises_at_list() -> None:
    fake, access = flaky()
    fake.plan["list"] = [temporary(), Unsupported("no listing here")]
    with pytest.raises(Unsupported):
        access.list("/", DEFAULT_LIST)  # not iterated
    assert len(fake.calls_of("list")) == 2


def test_versions_listings_resume_by_skipping_not_start_after() -> None:
    native = BASIC.replace(list_with_start_after=True, list_with_versions=True)
    fake, access = flaky(native=native)
    fake.data.update(dict.fromkeys(["a", "b", "c"], b"x"))
    fake.plan["list.next"] = [temporary()]
    got = [e.path for e in access.list("/", ListOptions(versions=True))]
    assert got == ["/", "a", "b", "c"]
    assert [c.options.start_after for c in fake.calls_of("list")] == [None, None]


@pytest.mark.parametrize("recursive", [False, True])
def test_each_entry_exactly_once_under_chaos_while_iterating(recursive: bool) -> None:
    op = memory()
    for i in range(150):
        op.write(f"d/{i % 7}/f{i:03d}", b"x" * i)
        op.write(f"d/top{i:03d}", b"")
    clean = [(e.path, e.metadata.content_length) for e in op.list("d/", recursive=recursive)]
    chaos = ChaosLayer(0.25, seed=13, operations=["list"])
    resilient = op.layer(chaos).layer(RetryLayer(max_times=20, sleep=noop))
    for _ in range(5):
        got = [
            (e.path, e.metadata.content_length) for e in resilient.list("d/", recursive=recursive)
        ]
        assert got == clean
    assert chaos.injected["list.next"] > 50


def test_listing_with_start_after_and_limit_keeps_them_on_resume() -> None:
    op = memory()
    for i in range(40):
        op.write(f"k{i:02d}", b"")
    chaos = ChaosLayer(0.3, seed=21, operations=["list"])
    resilient = op.layer(chaos).layer(RetryLayer(max_times=20, sleep=noop))
    got = [e.path for e in resilient.list("/", start_after="k10", limit=3)]
    assert got == [f"k{i:02d}" for i in range(11, 40)]
    assert chaos.injected["list.next"] > 3


# -- batch delete --------------------------------------------------------------------------


def test_delete_many_retries_only_the_temporary_failures() -> None:
    rec = Recorder()
    fake, access = flaky(rec)
    fake.data.update(dict.fromkeys(["a", "b", "c"], b"x"))
    gone = NotFound("denied")
    fake.item_failures = [{"b": temporary, "c": lambda: gone}]
    items = [(p, DEFAULT_DELETE) for p in ("a", "b", "c")]
    failures = access.delete_many(items)
    assert failures == [("c", gone)]
    assert gone.status is ErrorStatus.PERMANENT
    assert [c.options for c in fake.calls_of("delete_many")] == [["a", "b", "c"], ["b"]]
    assert len(rec.sleeps) == 1


def test_delete_many_items_that_keep_failing_come_back_persistent() -> None:
    fake, access = flaky(max_times=2)
    fake.item_failures = [{"b": temporary}] * 5
    failures = access.delete_many([(p, DEFAULT_DELETE) for p in ("a", "b")])
    assert [p for p, _ in failures] == ["b"]
    err = failures[0][1]
    assert err.status is ErrorStatus.PERSISTENT
    assert err.context["attempts"] == 3
    assert [c.options for c in fake.calls_of("delete_many")] == [["a", "b"], ["b"], ["b"]]


def test_delete_many_through_chaos_deletes_everything() -> None:
    op = memory()
    keys = [f"k{i:03d}" for i in range(200)]
    for key in keys:
        op.write(key, b"x")
    chaos = ChaosLayer(0.3, seed=17, operations=["delete_many"])
    op.layer(chaos).layer(RetryLayer(max_times=15, sleep=noop)).delete_many(keys)
    assert [e.path for e in op.list("/")] == ["/"]
    assert chaos.injected["delete_many.item"] > 30


# -- everything at once --------------------------------------------------------------------


def test_mixed_operations_through_twenty_percent_chaos_leave_exact_data() -> None:
    op = memory()
    chaos = ChaosLayer(0.2, short_read_rate=0.2, seed=11)
    rec = Recorder()
    resilient = op.layer(chaos).layer(retry(rec, max_times=10))
    model: dict[str, bytes] = {}
    rng = random.Random(4)

    def some_key() -> str:
        return rng.choice(sorted(model)) if model and rng.random() < 0.7 else new_key()

    def new_key() -> str:
        return f"{rng.choice(['a', 'b/c', 'b/d'])}/{rng.randrange(40)}"

    for _ in range(400):
        action = rng.choice(
            [
                *("write", "write", "stream", "read", "range", "stat", "copy", "rename"),
                *("delete", "list", "delete_many", "create_dir"),
            ]
        )
        key = some_key()
        if action == "write":
            model[key] = rng.randbytes(rng.randrange(0, 300))
            resilient.write(key, model[key])
        elif action == "stream":
            model[key] = rng.randbytes(rng.randrange(1, 300))
            with resilient.open(key, "wb", buffer_size=32) as f:
                for start in range(0, len(model[key]), 50):
                    f.write(model[key][start : start + 50])
        elif action == "read" and key in model:
            assert resilient.read(key) == model[key]
        elif action == "range" and model.get(key):
            offset = rng.randrange(len(model[key]))
            size = rng.randrange(1, len(model[key]) - offset + 1)
            assert resilient.read(key, offset=offset, size=size) == model[key][offset:][:size]
        elif action == "stat" and key in model:
            assert resilient.stat(key).content_length == len(model[key])
        elif action in ("copy", "rename") and key in model:
            target = new_key()
            if target == key:
                continue
            getattr(resilient, action)(key, target)
            model[target] = model.pop(key) if action == "rename" else model[key]
        elif action == "delete":
            resilient.delete(key)
            model.pop(key, None)
        elif action == "delete_many":
            doomed = rng.sample(sorted(model), min(len(model), 5))
            resilient.delete_many(doomed)
            for d in doomed:
                del model[d]
        elif action == "create_dir":
            resilient.create_dir("b/")
        elif action == "list":
            files = [e.path for e in resilient.list("/", recursive=True) if e.is_file]
            assert files == sorted(model)
    assert {e.path for e in op.list("/", recursive=True) if e.is_file} == set(model)
    for key, data in model.items():
        assert op.read(key) == data
    injected = chaos.injected
    assert sum(injected.values()) > 100
    assert {"write", "read", "list.next", "writer.write", "short_read"} <= set(injected)
    # One sleep per injected failure, except item failures of one batch, which share one.
    whole = sum(injected.values()) - injected["short_read"] - injected["delete_many.item"]
    assert whole <= len(rec.sleeps) <= whole + injected["delete_many.item"]


def test_threads_share_a_retrying_operator() -> None:
    op = memory()
    resilient = op.layer(ChaosLayer(0.2, seed=8)).layer(RetryLayer(max_times=12, sleep=noop))
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(60):
                data = f"{n}-{i}".encode() * 10
                resilient.write(f"t{n}/{i}", data)
                assert resilient.read(f"t{n}/{i}", offset=0, size=len(data)) == data
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len([e for e in op.list("/", recursive=True) if e.is_file]) == 360


# -- arguments, registry, stack ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "named"),
    [
        ({"max_times": -1}, ConfigInvalid, "max_times"),
        ({"max_times": "3"}, TypeError, "max_times"),
        ({"max_times": 2.0}, TypeError, "max_times"),
        ({"max_times": True}, TypeError, "max_times"),
        ({"factor": 0.5}, ConfigInvalid, "factor"),
        ({"factor": "2"}, TypeError, "factor"),
        ({"min_delay": -0.1}, ConfigInvalid, "min_delay"),
        ({"min_delay": float("nan")}, ConfigInvalid, "min_delay"),
        ({"max_delay": float("inf")}, ConfigInvalid, "max_delay"),
        ({"min_delay": 1.0, "max_delay": 0.5}, ConfigInvalid, "max_delay"),
        ({"jitter": "yes"}, TypeError, "jitter"),
        ({"notify": 5}, TypeError, "notify"),
        ({"sleep": None}, TypeError, "sleep"),
    ],
)
def test_bad_arguments_name_the_argument(
    kwargs: dict[str, Any], error: type[Exception], named: str
) -> None:
    with pytest.raises(error, match=named):
        RetryLayer(**kwargs)


def test_built_by_name() -> None:
    assert "retry" in layer_names()
    layer = build_layer("retry", max_times=5, jitter=False)
    assert isinstance(layer, RetryLayer)
    assert (layer.max_times, layer.jitter) == (5, False)
    assert "max_times=5" in repr(layer)


def test_capability_is_unchanged_and_the_layer_is_not_a_passthrough() -> None:
    base = memory()
    op = base.layer(ChaosLayer(0.1)).layer(RetryLayer())
    assert op.capability() == base.capability()
    assert [level.name for level in op.stack][-2:] == ["ChaosLayer", "RetryLayer"]
    assert not op.capability_changes() or all(
        c.layer not in ("ChaosLayer", "RetryLayer") for c in op.capability_changes()
    )
    assert RetryLayer.forwards_plain == frozenset()


def test_an_operator_with_both_layers_pickles() -> None:
    op = memory().layer(ChaosLayer(0.2, seed=1)).layer(RetryLayer(max_times=8, min_delay=0.0))
    op.write("f", b"kept")
    copy = pickle.loads(pickle.dumps(op))
    assert copy.read("f") == b"kept"
    assert [level.name for level in copy.stack][-2:] == ["ChaosLayer", "RetryLayer"]
