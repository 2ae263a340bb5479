"""TimeoutLayer: a stalled call raises Timeout within its budget; the operator goes on."""

from __future__ import annotations

import contextvars
import errno
import pickle
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from opendal_lab import (
    ConfigInvalid,
    ErrorKind,
    NotFound,
    Operator,
    RetryLayer,
    Timeout,
    Unexpected,
)
from opendal_lab.core.errors import error_class
from opendal_lab.core.options import DEFAULT_WRITE
from opendal_lab.core.registry import build_layer
from opendal_lab.layers.timeout import TimeoutLayer
from tests.layers.slow import SlowLayer

# The budget of the calls that time out. Every stall below (SlowLayer) lasts until the test
# ends (at most HANG s), so a timeout that fires while the stalled call still runs proves the
# layer gave up on it; no upper bound is tighter than HANG / 2 (a busy machine can be slow).
# Calls that must succeed get the same budget, so it is far above a thread handoff.
BUDGET = 0.5
HANG = 10.0  # SlowLayer's longest stall


@pytest.fixture
def slow() -> Iterator[SlowLayer]:
    layer = SlowLayer()
    yield layer
    layer.release()  # let stalled calls finish


def make_op(slow: SlowLayer, layer: TimeoutLayer) -> Operator:
    op = Operator("memory", name=f"timeout-{uuid.uuid4().hex}").layer(slow).layer(layer)
    op.write("f", b"hello")
    return op


def timed_out(call: object) -> tuple[Timeout, float]:
    started = time.monotonic()
    with pytest.raises(TimeoutError) as info:  # the builtin catches it
        call()  # type: ignore[operator]
    elapsed = time.monotonic() - started
    assert isinstance(info.value, Timeout)
    # Never before the budget (the layer waits that long); long before the stall would end.
    assert BUDGET <= elapsed < HANG / 2, f"timed out after {elapsed:.3f} s"
    return info.value, elapsed


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + HANG
    while not condition():
        assert time.monotonic() < deadline, f"condition not met in {HANG} s"
        time.sleep(0.005)


def test_timeout_is_a_temporary_unexpected_error_and_a_timeout_error() -> None:
    err = Timeout("stat timed out", operation="stat", service="s3", path="a")
    assert isinstance(err, Unexpected)
    assert isinstance(err, TimeoutError)
    assert err.errno == errno.ETIMEDOUT
    assert err.is_temporary
    assert error_class(ErrorKind.UNEXPECTED) is Unexpected  # the kind keeps its one class
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is Timeout
    assert (copy.operation, copy.path, copy.status) == ("stat", "a", err.status)
    assert str(copy).startswith("Unexpected (temporary) at stat => stat timed out")


def test_stalled_stat_times_out_within_its_budget(slow: SlowLayer) -> None:
    op = make_op(slow, TimeoutLayer(timeout=BUDGET, io_timeout=5))
    slow.stall["stat"] = 1
    err, _ = timed_out(lambda: op.stat("f"))
    assert slow.in_flight == 1  # the error came while the stalled call still ran
    assert isinstance(err, Unexpected)
    assert err.kind is ErrorKind.UNEXPECTED
    assert err.is_temporary
    assert (err.operation, err.service, err.path) == ("stat", "memory", "f")
    assert err.message == f"stat timed out after {BUDGET:g} s (TimeoutLayer's control budget)"
    assert err.context["call"].startswith("still running")
    assert op.stat("f").content_length == 5  # usable right after, the stalled call still stuck
    assert slow.in_flight == 1


def test_stalled_read_uses_the_io_budget(slow: SlowLayer) -> None:
    op = make_op(slow, TimeoutLayer(timeout=5, io_timeout=BUDGET))
    slow.stall["read"] = 1
    err, _ = timed_out(lambda: op.read("f", offset=1, size=2))
    assert slow.in_flight == 1
    assert err.message == f"read timed out after {BUDGET:g} s (TimeoutLayer's I/O budget)"
    assert (err.operation, err.path) == ("read", "f")
    assert op.read("f") == b"hello"


def test_control_and_io_budgets_are_separate(slow: SlowLayer) -> None:
    # Calls that outlast the short budget (they sleep longer) but not the other, long one.
    slow.delay.update(stat=BUDGET + 0.1, read=BUDGET + 0.1)
    control_short = make_op(slow, TimeoutLayer(timeout=BUDGET, io_timeout=HANG))
    assert control_short.read("f") == b"hello"  # longer than the control budget: fine
    slow.stall["stat"] = 1
    err, _ = timed_out(lambda: control_short.stat("f"))
    assert "control budget" in err.message
    io_short = make_op(slow, TimeoutLayer(timeout=HANG, io_timeout=BUDGET))
    assert io_short.stat("f").content_length == 5  # longer than the I/O budget: fine
    slow.stall["read"] = 1
    err, _ = timed_out(lambda: io_short.read("f"))
    assert "I/O budget" in err.message


def test_a_stalled_list_step_ends_the_listing_and_a_new_one_works(slow: SlowLayer) -> None:
    op = make_op(slow, TimeoutLayer(timeout=BUDGET))
    for name in "abc":
        op.write(f"d/{name}", b"x")
    listing = op.list("d/")
    assert next(listing).path == "d/"
    slow.stall["list.next"] = 1
    err, _ = timed_out(lambda: next(listing))
    assert slow.in_flight == 1
    assert (err.operation, err.path) == ("list", "d/")
    assert [e.path for e in op.list("d/")] == ["d/", "d/a", "d/b", "d/c"]


def test_a_stalled_writer_close_times_out_and_the_writer_refuses_more(
    slow: SlowLayer,
) -> None:
    op = make_op(slow, TimeoutLayer(io_timeout=BUDGET))
    slow.stall["writer.close"] = 1
    f = op.writer("w.bin")
    f.write(b"abc")
    err, _ = timed_out(f.close)
    assert slow.in_flight == 1
    assert err.message == (f"writer close timed out after {BUDGET:g} s (TimeoutLayer's I/O budget)")
    assert (err.operation, err.path) == ("write", "w.bin")
    with op.writer("other.bin") as g:  # other writers are unaffected
        g.write(b"xyz")
    assert op.read("other.bin") == b"xyz"


def test_a_writer_whose_write_stalled_refuses_further_calls(slow: SlowLayer) -> None:
    op = make_op(slow, TimeoutLayer(io_timeout=BUDGET))
    writer = op.stack[-1].access.writer("w.bin", DEFAULT_WRITE)
    slow.stall["writer.write"] = 1
    timed_out(lambda: writer.write(b"abc"))
    with pytest.raises(Unexpected, match="its write timed out while running") as info:
        writer.write(b"more")
    assert not info.value.is_temporary  # a retry would not help: the chunk may still land
    writer.abort()  # returns at once, aborts once the stalled write returns
    assert slow.in_flight == 1
    slow.release()
    wait_until(lambda: slow.in_flight == 0)
    assert not op.exists("w.bin")


def test_a_late_write_still_lands(slow: SlowLayer) -> None:
    op = make_op(slow, TimeoutLayer(io_timeout=BUDGET))
    slow.stall["write"] = 1
    timed_out(lambda: op.write("late", b"data"))
    assert not op.exists("late")
    slow.release()
    wait_until(lambda: op.exists("late"))
    assert op.read("late") == b"data"


def test_retry_outside_gets_past_a_timeout(slow: SlowLayer) -> None:
    op = make_op(slow, TimeoutLayer(timeout=BUDGET)).layer(RetryLayer(min_delay=0.01))
    slow.stall["stat"] = 1
    assert op.stat("f").content_length == 5
    assert slow.calls["stat"] >= 2  # the stalled first attempt, then a retry that returned
    assert slow.in_flight == 1  # the first is still stalled


def test_a_call_that_never_got_a_worker_never_runs(slow: SlowLayer) -> None:
    op = make_op(slow, TimeoutLayer(timeout=BUDGET, max_workers=1))
    slow.stall["stat"] = 1
    outcome: list[BaseException] = []

    def stalled_stat() -> None:
        try:
            op.stat("f")
        except TimeoutError as err:
            outcome.append(err)

    blocked = threading.Thread(target=stalled_stat)
    blocked.start()
    wait_until(lambda: slow.in_flight == 1)
    err, _ = timed_out(lambda: op.delete("f"))  # the only worker is stuck in the stat
    assert err.context["call"] == "never started"
    blocked.join()
    assert len(outcome) == 1
    slow.release()
    # The one worker takes queued calls in order: once this stat has run, the dropped
    # delete (queued before it) had its turn, and did not run.
    assert op.exists("f")
    assert slow.calls["delete"] == 0


def test_errors_from_below_pass_through(slow: SlowLayer) -> None:
    op = make_op(slow, TimeoutLayer())
    with pytest.raises(NotFound) as info:
        op.read("missing")
    assert info.value.path == "missing"
    op.copy("f", "g")
    op.rename("g", "h")
    op.create_dir("d/")
    op.delete_many(["h"])
    assert [e.path for e in op.list("", recursive=True)] == ["/", "d/", "f"]


def test_calls_run_on_named_daemon_workers_with_the_callers_context(slow: SlowLayer) -> None:
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    slow.peek = var.get
    op = make_op(slow, TimeoutLayer())
    var.set("from the caller")
    op.stat("f")
    assert slow.threads[-1].startswith("opendal-timeout-")
    assert slow.seen[-1] == "from the caller"
    workers = [t for t in threading.enumerate() if t.name.startswith("opendal-timeout-")]
    assert workers
    assert all(t.daemon for t in workers)


def test_a_stalled_call_does_not_keep_the_interpreter_alive() -> None:
    script = """
import threading, time
from opendal_lab import Operator, BaseLayer, LayeredAccess
from opendal_lab.layers.timeout import TimeoutLayer

class Hang(LayeredAccess):
    def stat(self, path, opts):
        threading.Event().wait()

class HangLayer(BaseLayer):
    access_class = Hang

op = Operator("memory").layer(HangLayer()).layer(TimeoutLayer(timeout=0.1))
try:
    op.stat("f")
except TimeoutError:
    print("timed out")
"""
    try:  # the hang is forever: only an interpreter that exits regardless ends in time
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the interpreter did not exit: a stalled worker kept it alive")
    assert done.stdout.strip() == "timed out", done.stderr


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"timeout": 0}, ConfigInvalid, "'timeout' must be a positive, finite number"),
        ({"io_timeout": -1}, ConfigInvalid, "'io_timeout' must be a positive"),
        ({"timeout": float("nan")}, ConfigInvalid, "'timeout'"),
        ({"io_timeout": float("inf")}, ConfigInvalid, "'io_timeout'"),
        ({"timeout": "1"}, TypeError, "'timeout' must be a number of seconds, got str"),
        ({"io_timeout": True}, TypeError, "'io_timeout' must be a number"),
        ({"max_workers": 0}, ConfigInvalid, "'max_workers' must be >= 1"),
        ({"max_workers": 2.0}, TypeError, "'max_workers' must be an int"),
    ],
)
def test_bad_arguments_name_the_argument(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        TimeoutLayer(**kwargs)  # type: ignore[arg-type]


def test_pickling_drops_the_workers_and_registry_builds_it(slow: SlowLayer) -> None:
    layer = TimeoutLayer(timeout=1.5, io_timeout=3)
    make_op(slow, layer).stat("f")
    assert layer.workers >= 1
    copy = pickle.loads(pickle.dumps(layer))
    assert (copy.timeout, copy.io_timeout, copy.workers) == (1.5, 3.0, 0)
    assert make_op(slow, copy).read("f") == b"hello"
    assert copy.workers >= 1
    built = build_layer("timeout", timeout=1)
    assert isinstance(built, TimeoutLayer)
    assert (built.timeout, built.io_timeout) == (1.0, 10.0)
    assert repr(built) == "TimeoutLayer(timeout=1, io_timeout=10)"
