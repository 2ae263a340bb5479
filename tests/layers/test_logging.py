"""LoggingLayer: one record per operation, with outcome, duration and bytes; secrets masked."""

from __future__ import annotations

import logging
import pickle
import uuid

import pytest

from opendal_lab import NotFound, Operator, RangeNotSatisfied
from opendal_lab.core.registry import build_layer
from opendal_lab.core.secrets import register_secret
from opendal_lab.layers.logging import LoggingLayer


@pytest.fixture
def op() -> Operator:
    return Operator("memory", name=f"log-{uuid.uuid4().hex}").layer(LoggingLayer("lab.test"))


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "lab.test"]


def test_one_record_per_operation(op: Operator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="lab.test")
    op.write("d/a.txt", b"hello")
    op.stat("d/a.txt")
    op.read("d/a.txt", offset=1, size=3)
    assert [e.path for e in op.list("d/")] == ["d/", "d/a.txt"]
    op.copy("d/a.txt", "d/b.txt")
    op.delete("d/b.txt")
    got = records(caplog)
    assert [r.opendal_operation for r in got] == [  # type: ignore[attr-defined]
        "write",
        "stat",
        "read",
        "list",
        "copy",
        "delete",
    ]
    assert all(r.levelno == logging.DEBUG and r.opendal_outcome == "ok" for r in got)  # type: ignore[attr-defined]
    assert got[0].opendal_bytes == 5  # type: ignore[attr-defined]
    assert got[2].opendal_bytes == 3  # type: ignore[attr-defined]
    assert got[3].opendal_bytes == 2  # type: ignore[attr-defined]  (two entries)
    assert got[2].getMessage().startswith("read memory d/a.txt -> ok 3 bytes in ")
    assert got[4].opendal_path == "d/a.txt => d/b.txt"  # type: ignore[attr-defined]
    assert all(r.opendal_duration >= 0 for r in got)  # type: ignore[attr-defined]


def test_failures_name_kind_and_level(op: Operator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="lab.test")
    with pytest.raises(NotFound):
        op.read("missing")
    assert not op.exists("missing")  # an expected NotFound: DEBUG, not WARNING
    op.write("f", b"x")
    with pytest.raises(RangeNotSatisfied):
        op.read("f", offset=10, size=1)
    got = records(caplog)
    read_missing = got[0]
    assert read_missing.levelno == logging.DEBUG
    assert read_missing.opendal_outcome == "NotFound"  # type: ignore[attr-defined]
    assert "read memory missing -> NotFound: " in read_missing.getMessage()
    assert got[-1].levelno == logging.WARNING
    assert got[-1].opendal_outcome == "RangeNotSatisfied"  # type: ignore[attr-defined]


def test_writer_logs_once_at_close_and_at_abort(
    op: Operator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lab.test")
    with op.open("w.bin", "wb") as f:
        f.write(b"abc")
        f.write(b"de")
    writer = op.open("x.bin", "wb")
    writer.write(b"abc")
    writer.abort()  # type: ignore[attr-defined]
    outcomes = [(r.opendal_operation, r.opendal_bytes) for r in records(caplog)]  # type: ignore[attr-defined]
    assert ("writer", 5) in outcomes
    assert outcomes == [("writer", 5), ("writer_abort", 0)]  # nothing reached it before abort
    assert not op.exists("x.bin")


def test_silent_when_disabled(op: Operator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="lab.test")
    op.write("a", b"x")
    with pytest.raises(NotFound):
        op.read("b")
    assert records(caplog) == []


def test_registered_secrets_never_reach_a_handler(
    op: Operator, caplog: pytest.LogCaptureFixture
) -> None:
    secret = f"SECRET{uuid.uuid4().hex}"
    register_secret(secret)
    caplog.set_level(logging.DEBUG, logger="lab.test")
    with pytest.raises(NotFound):
        op.read(f"keys/{secret}.txt")
    (record,) = records(caplog)
    assert secret not in record.getMessage()
    assert secret not in record.opendal_path  # type: ignore[attr-defined]
    assert "keys/***.txt" in record.getMessage()


def test_arguments_pickling_and_registry() -> None:
    with pytest.raises(TypeError, match="logger must be a name or a Logger"):
        LoggingLayer(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="level must be a logging level"):
        LoggingLayer(level="debug")  # type: ignore[arg-type]
    layer = pickle.loads(pickle.dumps(LoggingLayer("lab.pickled", level=logging.INFO)))
    assert layer.logger is logging.getLogger("lab.pickled")
    assert layer.level == logging.INFO
    assert isinstance(build_layer("logging", logger="lab.x"), LoggingLayer)
