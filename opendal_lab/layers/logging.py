"""LoggingLayer: one stdlib ``logging`` record per operation, with its duration and outcome.

::

    logging.basicConfig(level=logging.DEBUG)
    op = Operator("memory").layer(LoggingLayer())
    op.read("a.csv")
    # DEBUG:opendal_lab:read memory a.csv -> ok 1204 bytes in 0.01 ms

A call that succeeds is logged at ``level`` (DEBUG); a failure at ``error_level`` (WARNING)
with the error's kind and message, except NotFound and ConditionNotMatch, which programs
ask for on purpose (``exists``, conditional writes) and which are logged at ``level``.
A streaming writer is logged once, at close or abort, with the bytes it took; a listing
once, when it ends, with the entries it yielded. Each record also carries the fields as
attributes, for structured handlers: ``opendal_operation``, ``opendal_service``,
``opendal_path``, ``opendal_outcome``, ``opendal_duration`` (seconds), ``opendal_bytes``.

Every message passes through ``core.secrets.redact``: a registered credential never
reaches a handler. When the logger is disabled for both levels the layer only forwards.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from opendal_lab.core.access import Access, BaseLayer, Failures, LayeredAccess, Writer
from opendal_lab.core.errors import ConditionNotMatch, Error, NotFound
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
from opendal_lab.core.types import Entry, Metadata

__all__ = ["LoggingLayer"]

_EXPECTED = (NotFound, ConditionNotMatch)
T = TypeVar("T")


class _LoggingAccess(LayeredAccess):
    layer: LoggingLayer

    def __init__(self, inner: Access, layer: LoggingLayer) -> None:
        super().__init__(inner, layer)
        self._scheme = self._info.scheme
        self._log = layer.logger

    def _enabled(self) -> bool:
        return self._log.isEnabledFor(min(self.layer.level, self.layer.error_level))

    def _emit(
        self,
        operation: str,
        path: str,
        started: float,
        error: BaseException | None = None,
        size: int | None = None,
    ) -> None:
        duration = time.perf_counter() - started
        layer = self.layer
        if error is None:
            outcome, level = "ok", layer.level
            detail = (
                "" if size is None else f" {size} {'entries' if operation == 'list' else 'bytes'}"
            )
        else:
            kind = type(error).__name__
            outcome = kind
            level = layer.level if isinstance(error, _EXPECTED) else layer.error_level
            message = error.message if isinstance(error, Error) else str(error)
            detail = f": {message}"
        if not self._log.isEnabledFor(level):
            return
        text = redact(
            f"{operation} {self._scheme} {path} -> {outcome}{detail} in {duration * 1e3:.2f} ms"
        )
        self._log.log(
            level,
            text,
            extra={
                "opendal_operation": operation,
                "opendal_service": self._scheme,
                "opendal_path": redact(path),
                "opendal_outcome": outcome,
                "opendal_duration": duration,
                "opendal_bytes": size,
            },
        )

    def _call(self, operation: str, path: str, fn: Callable[..., T], *args: Any) -> T:
        if not self._enabled():
            return fn(*args)
        started = time.perf_counter()
        try:
            result = fn(*args)
        except Exception as err:
            self._emit(operation, path, started, err)
            raise
        size = len(result) if isinstance(result, bytes) else None
        if isinstance(result, Metadata) and operation == "write":
            size = result.content_length
        self._emit(operation, path, started, size=size)
        return result

    def stat(self, path: str, opts: StatOptions) -> Metadata:
        return self._call("stat", path, self.inner.stat, path, opts)

    def read(self, path: str, opts: ReadOptions) -> bytes:
        return self._call("read", path, self.inner.read, path, opts)

    def write(self, path: str, data: bytes, opts: WriteOptions) -> Metadata:
        return self._call("write", path, self.inner.write, path, data, opts)

    def writer(self, path: str, opts: WriteOptions) -> Writer:
        if not self._enabled():
            return self.inner.writer(path, opts)
        started = time.perf_counter()
        try:
            inner = self.inner.writer(path, opts)
        except Exception as err:
            self._emit("writer", path, started, err)
            raise
        return _LoggingWriter(inner, self, path, started)  # logged once, at close or abort

    def list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        if not self._enabled():
            return self.inner.list(path, opts)
        return self._list(path, opts)

    def _list(self, path: str, opts: ListOptions) -> Iterator[Entry]:
        started = time.perf_counter()
        count = 0
        try:
            for entry in self.inner.list(path, opts):
                count += 1
                yield entry
        except Exception as err:
            self._emit("list", path, started, err)
            raise
        self._emit("list", path, started, size=count)

    def delete(self, path: str, opts: DeleteOptions) -> None:
        self._call("delete", path, self.inner.delete, path, opts)

    def delete_many(self, items: Sequence[tuple[str, DeleteOptions]]) -> Failures:
        label = f"{len(items)} paths"
        failures: Failures = self._call("delete_many", label, self.inner.delete_many, items)
        for path, err in failures:
            self._emit("delete", path, time.perf_counter(), err)
        return failures

    def create_dir(self, path: str) -> None:
        self._call("create_dir", path, self.inner.create_dir, path)

    def copy(self, source: str, target: str, opts: CopyOptions) -> None:
        self._call("copy", f"{source} => {target}", self.inner.copy, source, target, opts)

    def rename(self, source: str, target: str, opts: RenameOptions) -> None:
        self._call("rename", f"{source} => {target}", self.inner.rename, source, target, opts)

    def presign(self, operation: Any, path: str, expire: float, opts: Any) -> Any:
        # The signed URL is a credential: only the outcome is logged, never the result.
        return self._call(
            f"presign_{operation}", path, self.inner.presign, operation, path, expire, opts
        )


class _LoggingWriter:
    __slots__ = ("_access", "_given", "_inner", "_path", "_started")

    def __init__(self, inner: Writer, access: _LoggingAccess, path: str, started: float) -> None:
        self._inner = inner
        self._access = access
        self._path = path
        self._given = 0
        self._started = started

    def write(self, data: bytes | bytearray | memoryview) -> None:
        try:
            self._inner.write(data)
        except Exception as err:
            self._access._emit("writer", self._path, self._started, err)
            raise
        self._given += len(data)

    def close(self) -> Metadata:
        try:
            meta = self._inner.close()
        except Exception as err:
            self._access._emit("writer", self._path, self._started, err)
            raise
        self._access._emit("writer", self._path, self._started, size=self._given)
        return meta

    def abort(self) -> None:
        try:
            self._inner.abort()
        finally:
            self._access._emit("writer_abort", self._path, self._started, size=self._given)


class LoggingLayer(BaseLayer):
    """Logs every operation through ``logging`` (logger ``opendal_lab`` unless given)."""

    access_class = _LoggingAccess

    def __init__(
        self,
        logger: str | logging.Logger = "opendal_lab",
        *,
        level: int = logging.DEBUG,
        error_level: int = logging.WARNING,
    ) -> None:
        if isinstance(logger, str):
            logger = logging.getLogger(logger)
        if not isinstance(logger, logging.Logger):
            raise TypeError(f"LoggingLayer: logger must be a name or a Logger, got {logger!r}")
        for name, value in (("level", level), ("error_level", error_level)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"LoggingLayer: {name} must be a logging level (int): {value!r}")
        self.logger = logger
        self.level = level
        self.error_level = error_level

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "logger": self.logger.name}  # loggers pickle by name

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, logger=logging.getLogger(state["logger"]))

    def __repr__(self) -> str:
        return f"LoggingLayer({self.logger.name!r})"
