"""Credentials never reach text: logs, spans, metrics, recorded calls, reprs or errors.

An s3 operator on moto with explicit, distinctive credentials (a random 40-character secret
key and a random session token; moto accepts any) runs succeeding and failing operations
(missing keys, a bucket that does not exist, an endpoint nobody listens on, bad config,
presigning) under LoggingLayer at DEBUG (with botocore's and urllib3's own DEBUG logs, which
print request headers, the session token among them), TracingLayer (with stack traces),
MetricsLayer and RecorderLayer. Then neither value may appear in any log record (message,
args, extra attributes, formatted traceback), any span (``span.to_json()``: name,
attributes, events), the metrics exposition, the recorded calls, ``repr`` of the operator,
its service, its layers and stack, or ``str``/``repr``/traceback/pickle of any error raised.

Not checked, on purpose:

- the access key id: it names the key and is no secret (it travels in every request's
  ``Authorization`` header and in presigned URLs); opendal_lab does not register it;
- a presigned URL: it *is* a credential and carries the session token by design (checked
  below, so the search is known to work); what must hold is that it goes nowhere else;
- a pickled operator: an operator built with explicit credentials pickles its config so a
  Dask worker can rebuild it, credentials included (checked below: the copy works).
"""

from __future__ import annotations

import logging
import pickle
import secrets
import string
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from opendal_lab import (
    ConfigInvalid,
    Error,
    NotFound,
    Operator,
    RangeNotSatisfied,
    Unexpected,
)
from opendal_lab.layers import LoggingLayer, MetricsLayer, RecorderLayer, TracingLayer
from tests.servers import MotoServer, free_port

LOGGERS = ("opendal_lab", "botocore", "urllib3", "s3transfer")


def random_secret(length: int) -> str:
    # URL-safe characters only, so the value reads the same in a URL, a header or a log.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


class Capture(logging.Handler):
    """Keeps, for every record, its message, its formatted form and all its attributes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []
        self.records = 0
        self.by_logger: dict[str, int] = {}
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        # Rendered now: args may be objects that change after the call.
        self.records += 1
        top = record.name.split(".")[0]
        self.by_logger[top] = self.by_logger.get(top, 0) + 1
        self.texts.append(self.format(record))
        self.texts.append(repr(record.args))
        self.texts.append(repr({k: v for k, v in vars(record).items() if k != "args"}))


@pytest.fixture
def captured() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    saved = {name: logging.getLogger(name).level for name in LOGGERS}
    root.addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def error_texts(err: BaseException) -> list[str]:
    """Every way an error turns into text or bytes, its causes included."""
    texts = [str(err), repr(err), "".join(traceback.format_exception(err))]
    try:
        texts.append(repr(pickle.dumps(err)))
    except Exception as pickling:  # pragma: no cover - reported by the assertion below
        texts.append(f"unpicklable: {pickling!r}")
    return texts


class Run:
    """Calls that must fail with a given error; every error's texts are kept."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.errors: list[Error] = []

    def fails(self, expected: type[Exception], call: Callable[[], Any]) -> Error:
        with pytest.raises(expected) as caught:
            call()
        err = caught.value
        assert isinstance(err, Error), repr(err)
        self.errors.append(err)
        self.texts += error_texts(err)
        return err


def test_credentials_never_reach_logs_spans_reprs_or_errors(
    moto_server: MotoServer, s3_bucket: str, captured: Capture
) -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    key_id = "AKIA" + random_secret(16).upper()
    secret_key = random_secret(40)
    token = random_secret(120)
    needles = {"secret_access_key": secret_key, "session_token": token}
    creds = {"access_key_id": key_id, "secret_access_key": secret_key, "session_token": token}
    run = Run()

    # Config errors first, while these credentials are not registered anywhere yet.
    base = moto_server.config(s3_bucket, **creds)
    run.fails(ConfigInvalid, lambda: Operator("s3", **{**base, "access_key_id": None}))
    run.fails(ConfigInvalid, lambda: Operator("s3", **base, part_size=1))
    run.fails(ConfigInvalid, lambda: Operator("s3", **base, no_such_key=secret_key))
    run.fails(ConfigInvalid, lambda: Operator("s3", **{**base, "session_token": 12345}))
    run.fails(
        ConfigInvalid,
        lambda: Operator.from_uri(
            f"s3://{s3_bucket}?secret_access_key={secret_key}&session_token={token}&bad=1"
        ),
    )

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    registry = CollectorRegistry()
    recorder = RecorderLayer(capacity=1000)
    layers = [
        LoggingLayer(),
        TracingLayer(provider, stacktrace=True),
        MetricsLayer(registry),
        recorder,
    ]

    def layered(**config: Any) -> Operator:
        op = Operator("s3", **config)
        for layer in layers:
            op = op.layer(layer)
        return op

    op = layered(**base)

    # Succeeding calls.
    op.write("dir/a.csv", b"x,y\n1,2\n")
    assert op.read("dir/a.csv") == b"x,y\n1,2\n"
    assert op.read("dir/a.csv", offset=2, size=3) == b"y\n1"
    assert op.stat("dir/a.csv").content_length == 8
    with op.open("dir/b.bin", "wb") as f:
        f.write(b"b" * 1000)
    op.copy("dir/a.csv", "dir/c.csv")
    assert {e.path for e in op.list("dir/")} == {"dir/", "dir/a.csv", "dir/b.bin", "dir/c.csv"}
    assert op.exists("dir/b.bin")
    assert not op.exists("dir/nope")
    op.delete("dir/c.csv")
    op.delete_many(["dir/b.bin", "dir/gone"])
    presigned = [
        op.presign_read("dir/a.csv", 60),
        op.presign_stat("dir/a.csv", 60),
        op.presign_write("dir/new.csv", 60),
        op.presign_delete("dir/a.csv", 60),
    ]

    # Failing calls: missing keys, a range past the end.
    run.fails(NotFound, lambda: op.read("dir/missing.csv"))
    run.fails(NotFound, lambda: op.stat("dir/missing.csv"))
    run.fails(NotFound, lambda: op.copy("dir/missing.csv", "dir/d.csv"))
    run.fails(RangeNotSatisfied, lambda: op.read("dir/a.csv", offset=100, size=1))

    # A bucket that does not exist.
    nobucket = layered(**{**base, "bucket": f"{s3_bucket}-missing"})
    run.fails(NotFound, lambda: nobucket.stat("a.csv"))
    run.fails(NotFound, lambda: nobucket.read("a.csv"))
    run.fails(NotFound, lambda: nobucket.write("a.csv", b"1"))
    run.fails(NotFound, lambda: list(nobucket.list("/")))
    presigned.append(nobucket.presign_read("a.csv", 60))

    # An endpoint nobody listens on.
    nowhere = layered(
        **{**base, "endpoint": f"http://127.0.0.1:{free_port()}"},
        connect_timeout=0.5,
        read_timeout=0.5,
        max_attempts=1,  # retrying off: the error stays temporary, and comes at once
    )
    unreachable = run.fails(Unexpected, lambda: nowhere.stat("a.csv"))
    assert unreachable.is_temporary
    run.fails(Unexpected, lambda: nowhere.write("a.csv", b"1"))
    run.fails(Unexpected, lambda: list(nowhere.list("/")))

    def stream() -> None:
        with nowhere.open("b.bin", "wb") as f:
            f.write(b"1" * 100)

    run.fails(Unexpected, stream)
    presigned.append(nowhere.presign_write("a.csv", 60))

    # The haystack: every text the run produced around the credentials.
    spans = exporter.get_finished_spans()
    haystack: dict[str, list[str]] = {
        "log records": captured.texts,
        "spans": [span.to_json() for span in spans],
        "metrics": [generate_latest(registry).decode()],
        "recorded calls": [repr(call) for call in recorder.calls],
        "errors": run.texts,
        "reprs": [
            repr(o)
            for operator in (op, nobucket, nowhere)
            for o in (
                operator,
                operator.info(),
                operator.stack,
                operator.capability_report(),
                *(level.access for level in operator.stack),
                *(level.layer for level in operator.stack),
            )
        ],
    }
    for where, texts in haystack.items():
        for name, value in needles.items():
            leaks = [t for t in texts if value in t]
            assert not leaks, f"{name} found in {where}: {leaks[0][:2000]}"

    # The run was what it claims, so the search above can fail: botocore logged requests
    # (with the token masked), spans and errors were recorded, the presigned URLs carry
    # the token (and only it), and a pickled copy of the operator works.
    assert captured.by_logger.get("botocore", 0) > 50, captured.by_logger
    assert captured.by_logger.get("opendal_lab", 0) > 20, captured.by_logger
    assert any("***" in t for t in captured.texts), "no request header was masked"
    assert len(spans) == 29  # one per call through the layers
    assert any(s.events for s in spans), "no failure was recorded on a span"
    assert len(run.errors) == 17
    for request in presigned:
        assert token in request.url
        assert secret_key not in request.url
    copy = pickle.loads(pickle.dumps(op))
    assert copy.read("dir/a.csv") == b"x,y\n1,2\n"
