"""RecorderLayer: the last N calls with outcome, bytes and every level's own time."""

from __future__ import annotations

import pickle
import threading
import time
import uuid
from typing import Any

import pytest

from opendal_lab import ConfigInvalid, NotFound, Operator
from opendal_lab.core.access import BaseLayer, LayeredAccess
from opendal_lab.core.options import StatOptions
from opendal_lab.core.registry import build_layer
from opendal_lab.core.secrets import register_secret
from opendal_lab.core.types import Metadata
from opendal_lab.layers.recorder import Call, RecorderLayer

DEFAULT_LEVELS = [
    "RecorderLayer",
    "CorrectnessCheckLayer",
    "CompleteLayer",
    "SimulateLayer",
    "ErrorContextLayer",
    "memory",
]


def memory(*layers: Any) -> Operator:
    return Operator("memory", name=f"rec-{uuid.uuid4().hex}", layers=layers)


class _SlowStat(LayeredAccess):
    def stat(self, path: str, opts: StatOptions) -> Metadata:
        time.sleep(0.02)
        return self.inner.stat(path, opts)


class SlowStatLayer(BaseLayer):
    access_class = _SlowStat


def test_records_operations_outcomes_and_bytes() -> None:
    recorder = RecorderLayer()
    op = memory(recorder)
    op.write("d/a.txt", b"hello")
    op.read("d/a.txt", offset=1, size=2)
    op.stat("d/a.txt")
    with pytest.raises(NotFound):
        op.read("missing")
    assert [e.path for e in op.list("d/")] == ["d/", "d/a.txt"]
    calls = recorder.calls
    assert [(c.operation, c.path, c.outcome, c.bytes) for c in calls] == [
        ("write", "d/a.txt", "ok", 5),
        ("read", "d/a.txt", "ok", 2),
        ("stat", "d/a.txt", "ok", None),
        ("read", "missing", "NotFound", None),
        ("list", "d/", "ok", 2),
    ]
    assert calls[3].error
    assert "not found" in calls[3].error
    for call in calls:
        assert [name for name, _ in call.levels] == DEFAULT_LEVELS
        assert call.duration >= sum(own for _, own in call.levels) * 0.999
        assert all(own >= 0 for _, own in call.levels)


def test_calls_keep_the_options_that_were_set() -> None:
    recorder = RecorderLayer()
    op = memory(recorder)
    op.write("d/a", b"x", content_type="text/plain")
    op.read("d/a", suffix=1)
    list(op.list("d/", recursive=True, limit=5))
    op.copy("d/a", "d/b")
    op.create_dir("e/")
    with op.writer("d/c", if_not_exists=True) as w:
        w.write(b"y")
    assert [(c.operation, c.options) for c in recorder.calls] == [
        ("write", (("content_type", "text/plain"),)),
        ("read", (("suffix", 1),)),
        ("list", (("limit", 5), ("recursive", True))),
        ("copy", ()),
        ("create_dir", ()),
        ("writer", (("if_not_exists", True),)),
    ]


def test_each_level_gets_its_own_time() -> None:
    recorder = RecorderLayer()
    op = memory(SlowStatLayer(), recorder)
    op.write("a", b"x")
    op.stat("a")  # the fast path is off: the slow layer is seen every time
    op.stat("a")
    for call in recorder.calls[1:]:
        levels = dict(call.levels)
        assert list(levels) == ["RecorderLayer", "SlowStatLayer", *DEFAULT_LEVELS[1:]]
        assert levels["SlowStatLayer"] >= 0.015  # the sleep belongs to the slow layer
        assert levels["memory"] < 0.01
        assert call.duration >= 0.02


def test_capacity_keeps_the_newest() -> None:
    recorder = RecorderLayer(capacity=3)
    op = memory(recorder)
    for i in range(5):
        op.write(f"f{i}", b"x")
    assert [c.path for c in recorder.calls] == ["f2", "f3", "f4"]
    recorder.clear()
    assert recorder.calls == []


def test_writer_is_one_call_and_listeners_hear_every_call() -> None:
    recorder = RecorderLayer()
    heard: list[Call] = []
    stop = recorder.listen(heard.append)
    op = memory(recorder)
    with op.open("w.bin", "wb") as f:
        f.write(b"abc")
        f.write(b"de")
    stop()
    op.stat("w.bin")
    assert [(c.operation, c.bytes, c.outcome) for c in heard] == [("writer", 5, "ok")]
    assert len(recorder.calls) == 2


def test_interleaved_listings_and_threads_are_kept_apart() -> None:
    recorder = RecorderLayer()
    op = memory(recorder)
    for i in range(3):
        op.write(f"a/{i}", b"x")
        op.write(f"b/{i}", b"x")
    first, second = op.list("a/"), op.list("b/")
    for _ in zip(first, second, strict=True):
        pass
    lists = [c for c in recorder.calls if c.operation == "list"]
    assert sorted((c.path, c.bytes) for c in lists) == [("a/", 4), ("b/", 4)]

    recorder.clear()
    threads = [
        threading.Thread(target=lambda i=i: [op.stat(f"a/{i % 3}") for _ in range(50)])
        for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(recorder.calls) == 200
    assert all(c.outcome == "ok" for c in recorder.calls)


def test_one_recorder_on_two_stacks() -> None:
    recorder = RecorderLayer()
    op1 = memory(recorder)
    op2 = Operator("fs", root="/tmp", layers=[recorder], simulate=None)
    op1.write("x", b"1")
    with pytest.raises(NotFound):
        op2.stat(f"missing-{uuid.uuid4().hex}")
    first, second = recorder.calls
    assert [n for n, _ in first.levels] == DEFAULT_LEVELS
    assert [n for n, _ in second.levels] == [
        "RecorderLayer",
        "CorrectnessCheckLayer",
        "CompleteLayer",
        "ErrorContextLayer",
        "fs",
    ]


def test_secrets_are_redacted() -> None:
    secret = f"SECRET{uuid.uuid4().hex}"
    register_secret(secret)
    recorder = RecorderLayer()
    op = memory(recorder)
    with pytest.raises(NotFound):
        op.read(f"k/{secret}")
    (call,) = recorder.calls
    assert secret not in call.path
    assert secret not in (call.error or "")


def test_arguments_pickling_and_registry() -> None:
    with pytest.raises(TypeError):
        RecorderLayer(capacity="10")  # type: ignore[arg-type]
    with pytest.raises(ConfigInvalid, match="capacity must be > 0"):
        RecorderLayer(capacity=0)
    recorder = RecorderLayer(capacity=7)
    op = memory(recorder)
    op.write("a", b"x")
    clone = pickle.loads(pickle.dumps(recorder))
    assert clone.capacity == 7
    assert clone.calls == []
    assert isinstance(build_layer("recorder", capacity=3), RecorderLayer)
