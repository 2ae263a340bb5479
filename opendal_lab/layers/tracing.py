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

import importlib.metadata
import traceback
from typing import Any, get_args

from opendal_lab.core.access import OPERATIONS, Access, BaseLayer, Failures, PresignOperation
from opendal_lab.core.config import checked
from opendal_lab.core.errors import Error
from opendal_lab.core.options import ListOptions
from opendal_lab.core.secrets import redact
from opendal_lab.core.wrapping import OperationObserver

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
#: Where an operation's size goes.
_SIZE_ATTRIBUTES = {
    "read": "opendal.bytes",
    "write": "opendal.bytes",
    "writer": "opendal.bytes",
    "list": "opendal.entries",
    "delete_many": "opendal.batch.size",
}


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


class _Live:
    """An operation's span, and the context token that made it current (see ``_enter``)."""

    __slots__ = ("attached", "operation", "span")

    def __init__(self, span: Span, operation: str) -> None:
        self.span = span
        self.operation = operation
        self.attached = otel_context.attach(trace.set_span_in_context(span))


class _TracingAccess(OperationObserver[_Live]):
    layer: TracingLayer

    def __init__(self, inner: Access, layer: TracingLayer) -> None:
        super().__init__(inner, layer)
        info = self._access_info
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
        for presign in get_args(PresignOperation):  # one span name for every presign
            op = f"presign_{presign}"
            self._names[op] = "opendal.presign"
            self._statics[op] = {**self._statics["presign"], "opendal.presign.operation": presign}

    def _start(
        self, operation: str, path: str | None, target: str | None, opts: object
    ) -> _Live | None:
        span = self._tracer.start_span(self._names[operation], attributes=self._statics[operation])
        if not span.is_recording():
            return None
        if target is not None:
            span.set_attribute("opendal.from", redact(path or ""))
            span.set_attribute("opendal.to", redact(target))
        elif path is not None:
            span.set_attribute("opendal.path", redact(path))
        if isinstance(opts, ListOptions) and opts.recursive:
            span.set_attribute("opendal.list.recursive", True)
        return _Live(span, operation)  # current while the operation runs below

    def _enter(self, token: _Live) -> None:
        token.attached = otel_context.attach(trace.set_span_in_context(token.span))

    def _exit(self, token: _Live) -> None:
        otel_context.detach(token.attached)

    def _finish(self, token: _Live, error: BaseException | None, size: int | None) -> None:
        self._end(token, error, size, complete=error is None)

    def _abort(self, token: _Live, error: BaseException | None, size: int | None) -> None:
        if token.operation == "writer":
            token.span.set_attribute("opendal.writer.aborted", True)
        self._end(token, error, size, complete=False)

    def _end(
        self, token: _Live, error: BaseException | None, size: int | None, complete: bool
    ) -> None:
        otel_context.detach(token.attached)
        span = token.span
        if size is not None:
            span.set_attribute(_SIZE_ATTRIBUTES[token.operation], size)
        if token.operation == "list":
            span.set_attribute("opendal.list.complete", complete)
        if error is not None:
            _record_failure(span, error, self._stacktrace)
        span.end()

    def _failed(self, token: _Live, error: BaseException, size: int | None) -> None:
        _record_failure(token.span, error, self._stacktrace)  # the caller will abort

    def _failures(self, token: _Live, failures: Failures, size: int) -> None:
        span = token.span
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
            message = f"{len(failures)} of {size} deletes failed"
            span.set_status(Status(StatusCode.ERROR, message))


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

    @checked("TracingLayer", quoted=False)
    def __init__(
        self, tracer_provider: TracerProvider | None = None, *, stacktrace: bool = False
    ) -> None:
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
    return importlib.metadata.version("opendal-lab")
