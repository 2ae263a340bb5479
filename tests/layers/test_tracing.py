"""TracingLayer: one span per operation, nested in the caller's trace, errors redacted."""

from __future__ import annotations

import gc
import importlib
import json
import pickle
import subprocess
import sys
import uuid
from collections.abc import Sequence

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import StatusCode

from opendal_lab import NotFound, Operator, PermissionDenied
from opendal_lab.core.access import Failures
from opendal_lab.core.options import DeleteOptions, ListOptions, ReadOptions, WriteOptions
from opendal_lab.core.registry import build_layer
from opendal_lab.core.secrets import register_secret
from opendal_lab.layers.tracing import TRACER_NAME, TracingLayer

from .fake import FakeService


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def name() -> str:
    return f"trace-{uuid.uuid4().hex}"


@pytest.fixture
def op(provider: TracerProvider, name: str) -> Operator:
    return Operator("memory", name=name).layer(TracingLayer(provider))


def spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())


def attrs(span: ReadableSpan) -> dict[str, object]:
    return dict(span.attributes or {})


def test_one_span_per_operation_with_its_attributes(
    op: Operator, exporter: InMemorySpanExporter, name: str
) -> None:
    op.write("d/a.txt", b"hello")
    op.stat("d/a.txt")
    op.read("d/a.txt", offset=1, size=3)
    assert [e.path for e in op.list("d/")] == ["d/", "d/a.txt"]
    op.copy("d/a.txt", "d/b.txt")
    op.delete("d/b.txt")
    got = spans(exporter)
    assert [s.name for s in got] == [
        "opendal.write",
        "opendal.stat",
        "opendal.read",
        "opendal.list",
        "opendal.copy",
        "opendal.delete",
    ]
    assert all(s.instrumentation_scope.name == TRACER_NAME for s in got)  # type: ignore[union-attr]
    assert all(s.kind is trace.SpanKind.INTERNAL for s in got)
    assert all(s.status.status_code is StatusCode.UNSET for s in got)
    write, stat, read, listing, copy, _ = (attrs(s) for s in got)
    assert write == {
        "opendal.scheme": "memory",
        "opendal.namespace": name,
        "opendal.root": "/",
        "opendal.operation": "write",
        "opendal.path": "d/a.txt",
        "opendal.bytes": 5,
    }
    assert stat["opendal.path"] == "d/a.txt"
    assert "opendal.bytes" not in stat
    assert read["opendal.bytes"] == 3
    assert listing["opendal.entries"] == 2
    assert listing["opendal.list.complete"] is True
    assert (copy["opendal.from"], copy["opendal.to"]) == ("d/a.txt", "d/b.txt")
    assert "opendal.path" not in copy


def test_spans_nest_in_the_callers_trace_and_enclose_the_client(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    tracer = provider.get_tracer("test")

    class ClientService(FakeService):
        def read(self, path: str, opts: ReadOptions) -> bytes:
            with tracer.start_as_current_span("s3.GetObject"):  # what botocore's would do
                return super().read(path, opts)

    op = Operator.from_service(ClientService(data={"a": b"abc"})).layer(TracingLayer(provider))
    with tracer.start_as_current_span("job") as job:
        assert op.read("a") == b"abc"
    client, read, outer = spans(exporter)
    assert (client.name, read.name, outer.name) == ("s3.GetObject", "opendal.read", "job")
    assert read.parent is not None
    assert read.parent.span_id == job.get_span_context().span_id
    assert client.parent is not None
    assert client.parent.span_id == read.context.span_id  # type: ignore[union-attr]
    assert len({s.context.trace_id for s in (client, read, outer)}) == 1  # type: ignore[union-attr]
    # Outside any span, an operation starts its own trace.
    op.read("a")
    assert spans(exporter)[-1].parent is None


def test_a_failure_sets_error_status_kind_and_an_exception_event(
    op: Operator, exporter: InMemorySpanExporter
) -> None:
    with pytest.raises(NotFound):
        op.read("missing.txt")
    (span,) = spans(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.status.description or "").startswith("NotFound: ")
    assert attrs(span)["error.type"] == "NotFound"
    assert attrs(span)["opendal.error.status"] == "permanent"
    (event,) = span.events
    assert event.name == "exception"
    event_attrs = dict(event.attributes or {})
    assert event_attrs["exception.type"] == "NotFound"
    assert "missing.txt" in str(event_attrs["exception.message"])
    assert "exception.stacktrace" not in event_attrs  # off by default


def test_registered_secrets_never_reach_a_span(
    provider: TracerProvider, exporter: InMemorySpanExporter, name: str
) -> None:
    secret = f"SECRET{uuid.uuid4().hex}"
    register_secret(secret)
    op = Operator("memory", name=name).layer(TracingLayer(provider, stacktrace=True))
    with pytest.raises(NotFound):
        op.read(f"keys/{secret}.txt")
    op.write(f"keys/{secret}/ok", b"x")
    op.copy(f"keys/{secret}/ok", f"keys/{secret}/copy")
    read, write, copy = spans(exporter)
    for span in (read, write, copy):
        assert secret not in span.to_json()  # attributes, events, status: all of it
    assert attrs(read)["opendal.path"] == "keys/***.txt"
    event_attrs = dict(read.events[0].attributes or {})
    assert "keys/***.txt" in str(event_attrs["exception.message"])
    assert "Traceback" in str(event_attrs["exception.stacktrace"])
    assert (read.status.description or "").startswith("NotFound: ")
    assert attrs(copy)["opendal.to"] == "keys/***/copy"


def test_a_writer_span_lasts_from_creation_to_close(
    op: Operator, exporter: InMemorySpanExporter
) -> None:
    f = op.open("w.bin", "wb")
    f.write(b"abc")
    f.flush()
    f.write(b"de")
    assert spans(exporter) == []  # still open
    f.close()
    (span,) = spans(exporter)
    assert span.name == "opendal.writer"
    assert attrs(span)["opendal.bytes"] == 5
    assert span.status.status_code is StatusCode.UNSET


def test_an_aborted_or_dropped_writer_ends_its_span(
    op: Operator, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    writer = op.open("x.bin", "wb")
    writer.write(b"abc")
    writer.abort()  # type: ignore[attr-defined]
    (aborted,) = spans(exporter)
    assert attrs(aborted)["opendal.writer.aborted"] is True
    assert aborted.status.status_code is StatusCode.UNSET
    exporter.clear()
    access = TracingLayer(provider).wrap(FakeService())
    dropped = access.writer("y.bin", WriteOptions())
    dropped.write(b"z")
    del dropped
    gc.collect()
    (span,) = spans(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert "dropped" in (span.status.description or "")


def test_a_writer_failure_is_recorded_on_its_span(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    fake = FakeService()
    fake.fail["writer.close"] = PermissionDenied("read-only bucket")
    w = TracingLayer(provider).wrap(fake).writer("a", WriteOptions())
    w.write(b"abcd")
    with pytest.raises(PermissionDenied):
        w.close()
    (span,) = spans(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "PermissionDenied"
    assert attrs(span)["opendal.bytes"] == 4


def test_a_list_span_lasts_until_the_iteration_ends(
    op: Operator, exporter: InMemorySpanExporter
) -> None:
    for key in ("d/a", "d/b", "d/c"):
        op.write(key, b"x")
    exporter.clear()
    it = op.list("d/")
    next(it)
    next(it)
    assert spans(exporter) == []
    assert len(list(it)) == 2
    (span,) = spans(exporter)
    assert attrs(span)["opendal.entries"] == 4
    assert attrs(span)["opendal.list.complete"] is True
    # Abandoned early: the span ends when the iterator is closed or dropped.
    exporter.clear()
    it = op.list("d/", recursive=True)
    next(it)
    del it
    gc.collect()
    (span,) = spans(exporter)
    assert attrs(span)["opendal.entries"] == 1
    assert attrs(span)["opendal.list.complete"] is False
    assert attrs(span)["opendal.list.recursive"] is True


def test_a_listing_that_fails_midway_ends_its_span_with_the_error(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    fake = FakeService(data={"d/a": b"1", "d/b": b"2"})
    fake.fail["list.next"] = PermissionDenied("no more")
    it = TracingLayer(provider).wrap(fake).list("d/", ListOptions())
    next(it)
    with pytest.raises(PermissionDenied):
        list(it)
    (span,) = spans(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["opendal.entries"] == 1
    assert attrs(span)["opendal.list.complete"] is False
    assert list(it) == []  # finished for good


class _FailingBatch(FakeService):
    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        super().delete_many(items)
        return [(path, PermissionDenied("locked", path=path)) for path, _ in items[:1]]


def test_delete_many_records_each_failure(
    provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    access = TracingLayer(provider).wrap(_FailingBatch())
    assert len(access.delete_many([("a", DeleteOptions()), ("b", DeleteOptions())])) == 1
    (span,) = spans(exporter)
    assert attrs(span)["opendal.batch.size"] == 2
    assert attrs(span)["opendal.batch.failures"] == 1
    assert span.status.status_code is StatusCode.ERROR
    (event,) = span.events
    assert dict(event.attributes or {})["opendal.path"] == "a"


def test_without_a_recording_tracer_it_only_forwards(name: str) -> None:
    exporter = InMemorySpanExporter()
    off = TracerProvider(sampler=ALWAYS_OFF)
    off.add_span_processor(SimpleSpanProcessor(exporter))
    for i, layer in enumerate((TracingLayer(off), TracingLayer())):  # sampled out; no-op
        op = Operator("memory", name=f"{name}-{i}").layer(layer)
        op.write("d/a", b"abc")
        assert op.read("d/a") == b"abc"
        assert [e.path for e in op.list("d/")] == ["d/", "d/a"]
        with op.open("d/b", "wb") as f:
            f.write(b"x")
        with pytest.raises(NotFound):
            op.read("missing")
    assert spans(exporter) == []


def test_arguments_pickling_and_registry(provider: TracerProvider) -> None:
    with pytest.raises(TypeError, match="TracerProvider"):
        TracingLayer("provider")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="stacktrace"):
        TracingLayer(stacktrace="yes")  # type: ignore[arg-type]
    assert isinstance(build_layer("tracing", tracer_provider=provider), TracingLayer)
    # A provider belongs to its process: the copy uses the global one.
    copy = pickle.loads(pickle.dumps(TracingLayer(provider, stacktrace=True)))
    assert copy.tracer_provider is None
    assert copy.stacktrace is True
    assert repr(copy) == "TracingLayer()"


def test_missing_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # type: ignore[arg-type]
    monkeypatch.delitem(sys.modules, "opendal_lab.layers.tracing")
    with pytest.raises(ImportError, match=r"pip install 'opendal-lab\[tracing\]'"):
        importlib.import_module("opendal_lab.layers.tracing")
    with pytest.raises(ImportError, match=r"opendal-lab\[tracing\]"):
        build_layer("tracing")


def test_import_opendal_lab_leaves_opentelemetry_out() -> None:
    probe = (
        "import json, sys; import opendal_lab; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('opentelemetry'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == []
