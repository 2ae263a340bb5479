"""TracingLayer: one OpenTelemetry span per operation, with its service, path, bytes and error.

::

    from opentelemetry import trace
    op = Operator("s3", bucket="data").layer(TracingLayer())
    with trace.get_tracer("etl").start_as_current_span("load"):
        op.read("2024/a.csv")  # span "opendal.read", a child of "load"

Spans come from the tracer ``opendal_lab`` of ``tracer_provider`` (the global provider when
not given, so configure the SDK before or after building the layer). Names are
``opendal.<operation>``: OpenDAL's OtelTraceLayer names them by operation alone (``read``)
under its ``opendal`` tracer, and the prefix keeps them apart from other libraries' ``read``
in a trace view. Each span is current while the operation runs, so spans of the client below
(botocore, urllib3 instrumentation) nest under it; it is INTERNAL, its children are the
CLIENT spans.

Attributes (no semantic convention covers object storage yet, so they are namespaced):
``opendal.scheme``, ``opendal.namespace`` (the service's name), ``opendal.root``,
``opendal.operation``, ``opendal.path`` (``opendal.from``/``opendal.to`` for copy and
rename), ``opendal.bytes`` (read, write, writer), ``opendal.entries`` (list),
``opendal.batch.size``/``opendal.batch.failures`` (delete_many). A failure sets the status to
ERROR and ``error.type`` (the semantic-convention attribute) to the error kind
(``NotFound``), adds ``opendal.error.status`` (permanent, temporary, persistent) and an
``exception`` event with ``exception.type`` and ``exception.message`` (and
``exception.stacktrace`` with ``stacktrace=True``).

Every text put on a span passes through ``core.secrets.redact``: paths, messages, the
stack trace. That is why the layer records exceptions itself instead of calling
``span.record_exception``, which copies ``str(exc)`` and the traceback as they are.

A streaming writer's span lasts from ``writer()`` to ``close``/``abort`` (a writer dropped
without either ends it as an error); a listing's span from ``list()`` to the end of the
iteration, or until the iterator is closed or dropped (``opendal.list.complete`` says which).
When the tracer does not record (no SDK, or sampled out) a call only pays for the check.
Needs ``pip install 'opendal-lab[tracing]'`` (opentelemetry-api only; the SDK is yours).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from opendal_lab.core.access import (
    OPERATIONS,
    Access,
    BaseLayer,
    Failures,
    LayeredAccess,
    PresignOperation,
    Writer,
)
from opendal_lab.core.errors import Error
from opendal_lab.core.options import (
    CopyOptions,
    DeleteOptions,
    ListOptions,
    ReadOptions,
    RenameOptions,
    StatOptions,
    WriteOptions,
)
from opendal_lab.core.secrets import redact
from opendal_lab.core.types import Entry, Metadata, PresignedRequest

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
    from opentelemetry.trace import Span, Status, StatusCode, TracerProvider
except ImportError as _missing:  # the extra is not installed
    raise ImportError(
        "TracingLayer needs opentelemetry-api: pip install 'opendal-lab[tracing]'"
    ) from _missing

__all__ = ["TRACER_NAME", "TracingLayer"]

#: The instrumentation scope of every span this layer makes.
TRACER_NAME = "opendal_lab"
T = TypeVar("T")


def _record_failure(span: Span, err: BaseException, stacktrace: bool) -> None:
    """Status ERROR, ``error.type`` and an ``exception`` event; every text redacted."""
    if isinstance(err, Error):
        kind = err.kind.value
        summary = f"{kind}: {err.message}"
        span.set_attribute("opendal.error.status", err.status.value)
    else:
        kind = type(err).__name__
        summary = f"{kind}: {err}"
    span.set_attribute("error.type", kind)
    event: dict[str, str] = {
        "exception.type": type(err).__name__,
        "exception.message": redact(str(err)),
    }
    if stacktrace:
        text = "".join(traceback.format_exception(type(err), err, err.__traceback__))
        event["exception.stacktrace"] = redact(text)
    span.add_event("exception", event)
    span.set_status(Status(StatusCode.ERROR, redact(summary)))


class _TracingAccess(LayeredAccess):
    layer: TracingLayer

    def __init__(self, inner: Access, layer: TracingLayer) -> None:
        super().__init__(inner, layer)
        info = self._info
        self._tracer = layer.tracer
        self._stacktrace = layer.stacktrace
        static = {
            "opendal.scheme": info.scheme,
            "opendal.namespace": redact(info.name),
            "opendal.root": redact(info.root),
        }
        # Built once: a call whose span does not record (no SDK, sampled out) builds nothing.
        self._names = {op: f"opendal.{op}" for op in OPERATIONS}
        self._statics = {op: {**static, "opendal.operation": op} for op in OPERATIONS}

    def _begin(self, operation: str, path: str | None, target: str | None = None) -> Span | None:
        """A started span with the path attributes, or None when it does not record."""
        span = self._tracer.start_span(self._names[operation], attributes=self._statics[operation])
        if not span.is_recording():
            return None
        if target is not None:
            span.set_attribute("opendal.from", redact(path or ""))
            span.set_attribute("opendal.to", redact(target))
        elif path is not None:
            span.set_attribute("opendal.path", redact(path))
        return span

    def _call(
        self,
        operation: str,
        path: str,
        fn: Callable[..., T],
        *args: Any,
        target: str | None = None,
        size: int | None = None,
    ) -> T:
        span = self._begin(operation, path, target)
        if span is None:
            return fn(*args)
        if size is not None:
            span.set_attribute("opendal.bytes", size)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            result = fn(*args)
        except Exception as err:
            _record_failure(span, err, self._stacktrace)
            raise
        else:
            if isinstance(result, bytes):
                span.set_attribute("opendal.bytes", len(result))
            return result
        finally:
            otel_context.detach(token)
            span.end()

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self._call("stat", path, self.inner.stat, path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self._call("read", path, self.inner.read, path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self._call("write", path, self.inner.write, path, data, opts, size=len(data))

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        span = self._begin("writer", path)
        if span is None:
            return self.inner.writer(path, opts)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            inner = self.inner.writer(path, opts)
        except Exception as err:
            _record_failure(span, err, self._stacktrace)
            span.end()
            raise
        finally:
            otel_context.detach(token)
        return _TracingWriter(inner, span, self._stacktrace)

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        span = self._begin("list", path)
        if span is None:
            return self.inner.list(path, opts)
        if opts.recursive:
            span.set_attribute("opendal.list.recursive", True)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            entries = self.inner.list(path, opts)
        except Exception as err:
            _record_failure(span, err, self._stacktrace)
            span.end()
            raise
        finally:
            otel_context.detach(token)
        return _TracingLister(entries, span, self._stacktrace)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._call("delete", path, self.inner.delete, path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        span = self._begin("delete_many", None)
        if span is None:
            return self.inner.delete_many(items)
        span.set_attribute("opendal.batch.size", len(items))
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            failures = self.inner.delete_many(items)
        except Exception as err:
            _record_failure(span, err, self._stacktrace)
            raise
        else:
            span.set_attribute("opendal.batch.failures", len(failures))
            for path, failure in failures:
                span.add_event(
                    "delete failed",
                    {
                        "opendal.path": redact(path),
                        "error.type": failure.kind.value,
                        "exception.message": redact(str(failure)),
                    },
                )
            if failures:
                message = f"{len(failures)} of {len(items)} deletes failed"
                span.set_status(Status(StatusCode.ERROR, message))
            return failures
        finally:
            otel_context.detach(token)
            span.end()

    def create_dir(self, path: str) -> None:
        self._call("create_dir", path, self.inner.create_dir, path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._call("copy", source, self.inner.copy, source, target, opts, target=target)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._call("rename", source, self.inner.rename, source, target, opts, target=target)

    def presign(
        self, operation: PresignOperation, path: str, expire: float, opts: Any
    ) -> PresignedRequest:
        # The signed request is a credential: it never goes on the span.
        span = self._begin("presign", path)
        if span is None:
            return self.inner.presign(operation, path, expire, opts)
        span.set_attribute("opendal.presign.operation", operation)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            return self.inner.presign(operation, path, expire, opts)
        except Exception as err:
            _record_failure(span, err, self._stacktrace)
            raise
        finally:
            otel_context.detach(token)
            span.end()


class _TracingWriter:
    """Keeps the writer's span open until close or abort; current during each inner call."""

    __slots__ = ("_given", "_inner", "_open", "_span", "_stacktrace")

    def __init__(self, inner: Writer, span: Span, stacktrace: bool) -> None:
        self._inner = inner
        self._span = span
        self._stacktrace = stacktrace
        self._given = 0
        self._open = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        token = otel_context.attach(trace.set_span_in_context(self._span))
        try:
            self._inner.write(data)
        except Exception as err:
            if self._open:  # the caller will abort; the span ends there
                _record_failure(self._span, err, self._stacktrace)
            raise
        finally:
            otel_context.detach(token)
        self._given += len(data)

    def close(self) -> Metadata:
        token = otel_context.attach(trace.set_span_in_context(self._span))
        try:
            meta = self._inner.close()
        except Exception as err:
            self._end(err)
            raise
        finally:
            otel_context.detach(token)
        self._end(None)
        return meta

    def abort(self) -> None:
        token = otel_context.attach(trace.set_span_in_context(self._span))
        try:
            self._inner.abort()
        except Exception as err:
            self._end(err, aborted=True)
            raise
        finally:
            otel_context.detach(token)
        self._end(None, aborted=True)

    def _end(self, err: BaseException | None, aborted: bool = False) -> None:
        if not self._open:
            return
        self._open = False
        span = self._span
        span.set_attribute("opendal.bytes", self._given)
        if aborted:
            span.set_attribute("opendal.writer.aborted", True)
        if err is not None:
            _record_failure(span, err, self._stacktrace)
        span.end()

    def __del__(self) -> None:
        if getattr(self, "_open", False):
            self._open = False
            self._span.set_status(Status(StatusCode.ERROR, "writer dropped before close or abort"))
            self._span.end()


class _TracingLister:
    """Yields the inner entries; the span ends when they run out, fail, or are dropped."""

    __slots__ = ("_count", "_inner", "_open", "_span", "_stacktrace")

    def __init__(self, inner: Iterator[Entry], span: Span, stacktrace: bool) -> None:
        self._inner = inner
        self._span = span
        self._stacktrace = stacktrace
        self._count = 0
        self._open = True

    def __iter__(self) -> _TracingLister:
        return self

    def __next__(self) -> Entry:
        if not self._open:
            raise StopIteration
        token = otel_context.attach(trace.set_span_in_context(self._span))
        try:
            entry = next(self._inner)
        except StopIteration:
            self._end(complete=True)
            raise
        except Exception as err:
            _record_failure(self._span, err, self._stacktrace)
            self._end(complete=False)
            raise
        finally:
            otel_context.detach(token)
        self._count += 1
        return entry

    def close(self) -> None:
        """Stop early: close the inner listing and end the span (``complete`` is False)."""
        if self._open:
            self._end(complete=False)
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()

    def _end(self, complete: bool) -> None:
        self._open = False
        self._span.set_attribute("opendal.entries", self._count)
        self._span.set_attribute("opendal.list.complete", complete)
        self._span.end()

    def __del__(self) -> None:
        if getattr(self, "_open", False):
            self._end(complete=False)


class TracingLayer(BaseLayer):
    """Traces every operation with an OpenTelemetry span (see the module docstring).

    Parameters
    ----------
    tracer_provider:
        Where spans go; OpenTelemetry's global provider when not given.
    stacktrace:
        Add ``exception.stacktrace`` (redacted) to failure events. Off by default: it costs
        a traceback format per failure, and ``exists()`` on missing paths fails on purpose.
    """

    access_class = _TracingAccess

    def __init__(
        self, tracer_provider: TracerProvider | None = None, *, stacktrace: bool = False
    ) -> None:
        if tracer_provider is not None and not isinstance(tracer_provider, TracerProvider):
            raise TypeError(
                "TracingLayer: tracer_provider must be an opentelemetry TracerProvider, "
                f"got {type(tracer_provider).__name__}"
            )
        if not isinstance(stacktrace, bool):
            raise TypeError(f"TracingLayer: stacktrace must be a bool, got {stacktrace!r}")
        self.tracer_provider = tracer_provider
        self.stacktrace = stacktrace
        self.tracer = trace.get_tracer(TRACER_NAME, _version(), tracer_provider)

    def __getstate__(self) -> dict[str, Any]:
        # A provider holds exporters and threads of its process: the copy uses the global one.
        return {"stacktrace": self.stacktrace}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.tracer_provider = None
        self.stacktrace = state["stacktrace"]
        self.tracer = trace.get_tracer(TRACER_NAME, _version())

    def __repr__(self) -> str:
        return "TracingLayer()" if self.tracer_provider is None else "TracingLayer(<provider>)"


def _version() -> str:
    from opendal_lab import __version__

    return __version__
