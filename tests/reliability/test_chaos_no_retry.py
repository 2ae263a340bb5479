"""ChaosLayer at 20% without RetryLayer: every injected failure reaches the caller, in full.

Each of 2,000 mixed operations either succeeds (and is checked against the model) or raises
exactly when chaos injected a failure into it: an opendal_lab error, temporary, naming the
operation, the service and the path, with the injected cause in ``str(err)``. A failed call
had no effect (chaos fails before the call goes below), so the model skips it and the
store must still match the model at the end.
"""

from __future__ import annotations

from collections import Counter

from opendal_lab import ChaosLayer, Error, ErrorStatus, Unexpected

from .backends import Backend
from .workload import Step, Workload, verify

STEPS = 2000
RATE = 0.2


def injected_total(chaos: ChaosLayer) -> int:
    return sum(chaos.injected.values())


def check_error(err: Error, step: Step, scheme: str) -> None:
    """The error the caller got names what failed, where, and why."""
    assert isinstance(err, Unexpected), repr(err)
    assert err.status is ErrorStatus.TEMPORARY
    assert err.operation == step.operation, (err.operation, step)
    assert err.service == scheme
    text = str(err)
    assert "injected by ChaosLayer" in text
    assert f" at {step.operation} => " in text
    assert f"service: {scheme}" in text
    if step.path is not None:
        assert err.path == step.path, (err.path, step)
        assert f"path: {step.path}" in text
    elif err.path is None:  # the whole batch failed
        assert err.context["batch_size"] == len(step.batch)
    else:  # one item of the batch failed
        assert err.path in step.batch
    if step.action in ("copy", "rename"):
        assert (err.context["from"], err.context["to"]) == (step.key, step.target)
        assert f"to: {step.target}" in text


def test_two_thousand_operations_through_chaos_alone(backend: Backend) -> None:
    raw = backend.operator()
    chaos = ChaosLayer(RATE, seed=99)
    work = Workload(raw.layer(chaos), seed=11, raw=raw)
    failed: Counter[str] = Counter()

    for _ in range(STEPS):
        step = work.plan()
        before = injected_total(chaos)
        error: Error | None = None
        try:
            work.run(step)
        except Error as err:
            error = err
        new = injected_total(chaos) - before
        if error is None:
            assert new == 0, f"an injected failure was lost: {step}"
            continue
        assert new >= 1, f"{step.action} failed but chaos injected nothing: {error!r}"
        # One failure per call, except the items of one batch, which fail together.
        assert new == 1 or step.action == "delete_many", (new, step)
        check_error(error, step, backend.scheme)
        failed[step.action] += 1

    verify(raw, backend, work.model)  # leftovers included: failed writes leave nothing

    injected, checked = chaos.injected, chaos.checked
    assert abs(sum(injected.values()) / sum(checked.values()) - RATE) < 0.03
    assert sum(failed.values()) > 400
    assert sum(failed.values()) + sum(work.done.values()) == STEPS
    for action in ("write", "stream", "read", "range", "stat", "list_dir", "delete", "copy"):
        assert failed[action] > 0, action
        assert work.done[action] > 0, action
    for kind in ("writer", "writer.write", "writer.close", "list", "list.next"):
        assert injected[kind] > 0, kind
    print(
        f"\n{backend.scheme}: {sum(failed.values())} of {STEPS} steps failed, "
        f"{sum(injected.values())} injected of {sum(checked.values())} chances, "
        f"failed {dict(sorted(failed.items()))}"
    )
