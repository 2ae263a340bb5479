"""A test-only layer that breaks streaming writes at a chosen point.

``WriterFaultLayer(after=n)`` lets the first ``n`` bytes of a streaming write through, then
fails: the chunk that crosses ``n`` goes down cut at ``n`` and the call raises, so the
service really holds a partial write when the error comes. ``WriterFaultLayer(at_close=
True)`` fails ``close()`` before it goes down. The error is a temporary ``Unexpected``
whose message starts with ``injected by WriterFaultLayer``. ``abort`` always goes through;
``raised`` counts the failures.

Put it above the default layers with ``op.layer(...)`` (a failing layer such as ChaosLayer,
TimeoutLayer or ConcurrentLimitLayer), or right above the service with ``below(op, layer)``
(a connection that drops inside the service's own client).
"""

from __future__ import annotations

from typing import Any

from opendal_lab import Operator, Unexpected
from opendal_lab.core.access import BaseLayer, LayeredAccess, Writer
from opendal_lab.core.errors import ErrorStatus
from opendal_lab.core.options import WriteOptions
from opendal_lab.core.types import Metadata

__all__ = ["WriterFaultLayer", "below"]


class _FaultAccess(LayeredAccess):
    layer: WriterFaultLayer

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        return _FaultWriter(self.inner.writer(path, opts), self.layer, path)


class _FaultWriter:
    def __init__(self, inner: Writer, layer: WriterFaultLayer, path: str) -> None:
        self._inner = inner
        self._layer = layer
        self._path = path
        self._given = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        after = self._layer.after
        if after is not None and self._given + len(data) > after:
            keep = max(0, after - self._given)
            if keep:
                self._inner.write(data[:keep])
                self._given += keep
                self._layer.passed += keep
            raise self._layer.fail(self._path, f"connection lost after {self._given} bytes")
        self._inner.write(data)
        self._given += len(data)
        self._layer.passed += len(data)

    def close(self) -> Metadata:
        if self._layer.at_close:
            raise self._layer.fail(self._path, "close failed before it reached the service")
        return self._inner.close()

    def abort(self) -> None:
        self._inner.abort()


class WriterFaultLayer(BaseLayer):
    access_class = _FaultAccess

    def __init__(self, *, after: int | None = None, at_close: bool = False) -> None:
        self.after = after
        self.at_close = at_close
        self.raised = 0
        self.passed = 0  # bytes let through, over every writer

    def fail(self, path: str, where: str) -> Unexpected:
        self.raised += 1
        return Unexpected(
            f"injected by WriterFaultLayer: {where}",
            operation="write",
            path=path,
            status=ErrorStatus.TEMPORARY,
            context={"injected": "WriterFaultLayer"},
        )


def below(op: Operator, layer: Any) -> Operator:
    """``op``'s service with ``layer`` right above it, under the default layers."""
    service = op.stack[0].access
    return Operator.from_service(layer.wrap(service))
