"""TimeoutLayer over a stalled service call: ``TimeoutError`` within the budget, and the
operator is usable at once (while the stalled call still hangs in the background).

The stall comes from ``tests/layers/slow.py``'s SlowLayer right below the TimeoutLayer: the
first call of the chosen step blocks until the test ends. Control calls (stat, listing
steps) and I/O calls (read, write, writer calls) have budgets of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from opendal_lab import Error, Operator, RetryLayer, Timeout
from opendal_lab.layers import TimeoutLayer
from tests.layers.slow import SlowLayer

from .backends import Backend

# Budgets: every call through the layer has one, the ones that must succeed too (a request
# to moto on a loaded machine), so they stay far above a request's time.
CONTROL = 1.0  # the budget of stat, list, delete...
IO = 0.5  # the budget of read, write and writer calls
HANG = 10.0  # SlowLayer's longest stall: no upper bound on a wait is tighter than HANG / 2
DATA = b"0123456789" * 100


@pytest.fixture
def slow() -> Iterator[SlowLayer]:
    layer = SlowLayer()
    yield layer
    layer.release()  # let the stalled call end, so no worker is left blocked


def stalled_operator(backend: Backend, slow: SlowLayer, step: str) -> tuple[Operator, Operator]:
    raw = backend.operator()
    for i in range(3):
        raw.write(f"d/{i}", DATA)
    slow.stall[step] = 1
    return raw, raw.layer(slow).layer(TimeoutLayer(timeout=CONTROL, io_timeout=IO))


def stream(op: Operator, path: str) -> None:
    with op.open(path, "wb") as f:
        f.write(DATA)


#: step -> (the call that stalls, the operation and path its error names, its budget)
CASES: dict[str, tuple[Callable[[Operator], object], str, str, float]] = {
    "stat": (lambda op: op.stat("d/0"), "stat", "d/0", CONTROL),
    "list.next": (lambda op: list(op.list("d/")), "list", "d/", CONTROL),
    "read": (lambda op: op.read("d/1", offset=10, size=20), "read", "d/1", IO),
    "write": (lambda op: op.write("d/new", DATA), "write", "d/new", IO),
    "writer.close": (lambda op: stream(op, "d/streamed"), "write", "d/streamed", IO),
}


@pytest.mark.parametrize("step", list(CASES))
def test_a_stalled_call_times_out_within_its_budget_and_the_next_call_works(
    backend: Backend, slow: SlowLayer, step: str
) -> None:
    raw, op = stalled_operator(backend, slow, step)
    call, operation, path, budget = CASES[step]

    started = time.monotonic()
    with pytest.raises(TimeoutError) as caught:
        call(op)
    waited = time.monotonic() - started

    # Never before its budget; long before the stall would end (it is still running).
    assert budget <= waited < HANG / 2, f"timed out after {waited:.3f} s"
    err = caught.value
    assert isinstance(err, Timeout)
    assert err.is_temporary
    assert (err.operation, err.path, err.service) == (operation, path, backend.scheme)
    assert f"timed out after {budget:g} s" in str(err)
    assert slow.calls[step] == 1
    assert slow.in_flight == 1  # still hanging below

    # The same kind of call, at once, with the stalled one still hanging: it works (each
    # within its own budget, so none waited behind the stalled call).
    assert op.stat("d/2").content_length == len(DATA)
    assert op.read("d/2") == DATA
    assert {e.path for e in op.list("d/") if e.is_file} >= {"d/0", "d/1", "d/2"}
    op.write("d/after", DATA)
    stream(op, "d/after-streamed")
    assert raw.read("d/after") == raw.read("d/after-streamed") == DATA
    assert slow.in_flight == 1


def test_retry_above_timeout_gets_past_a_stalled_call(backend: Backend, slow: SlowLayer) -> None:
    _, op = stalled_operator(backend, slow, "read")
    retries: list[Error] = []
    op = op.layer(RetryLayer(min_delay=0.001, notify=lambda e, d, a: retries.append(e)))

    started = time.monotonic()
    assert op.read("d/1") == DATA
    waited = time.monotonic() - started

    assert IO <= waited < HANG / 2
    assert slow.in_flight == 1  # the first attempt still hangs; the retry got past it
    assert len(retries) == 1
    assert isinstance(retries[0], Timeout)
    assert slow.calls["read"] == 2
