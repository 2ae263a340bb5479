"""LoggingLayer: one stdlib ``logging`` record per operation, with its duration and outcome.

::

    logging.basicConfig(level=logging.DEBUG)
    op = Operator("memory").layer(LoggingLayer())
    op.read("a.csv")
    # DEBUG:opendal_lab:read memory a.csv -> ok 1204 bytes in 0.01 ms

A call that succeeds is logged at ``level`` (DEBUG); a failure at ``error_level`` (WARNING)
with the error's kind and message, except NotFound and ConditionNotMatch, which programs
ask for on purpose (``exists``, conditional writes) and which are logged at ``level``.
A streaming writer is logged once, at close or abort (``writer_abort``), with the bytes it
took, plus a record for each ``write`` that failed; a writer dropped without either is
logged as an aborted one that failed. A listing is logged once, when it runs out, fails,
or is closed or dropped, with the entries it yielded. ``delete_many`` is logged as
``N paths``, and each path it could not delete as a ``delete``; ``copy`` and ``rename``
as ``source => target``; a presign by its outcome only (the URL is a credential).

Each record also carries the fields as attributes, for structured handlers:
``opendal_operation``, ``opendal_service``, ``opendal_path``, ``opendal_outcome``,
``opendal_duration`` (seconds), ``opendal_bytes``.

Every message passes through ``core.secrets.redact``: a registered credential never
reaches a handler. When the logger is disabled for both levels the layer only forwards.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Any

from opendal_lab.core.access import Access, BaseLayer, Failures
from opendal_lab.core.config import Check, checked
from opendal_lab.core.errors import ConditionNotMatch, Error, NotFound
from opendal_lab.core.secrets import redact
from opendal_lab.core.wrapping import OperationObserver

__all__ = ["LoggingLayer"]

_EXPECTED = (NotFound, ConditionNotMatch)
#: operation, path, target (copy, rename), perf_counter() at the start
_Token = tuple[str, str | None, str | None, float]


class _LoggingAccess(OperationObserver[_Token]):
    layer: LoggingLayer

    def __init__(self, inner: Access, layer: LoggingLayer) -> None:
        super().__init__(inner, layer)
        self._scheme = self._access_info.scheme
        self._log = layer.logger

    def _start(
        self, operation: str, path: str | None, target: str | None, opts: object
    ) -> _Token | None:
        layer = self.layer
        if not self._log.isEnabledFor(min(layer.level, layer.error_level)):
            return None  # disabled for both levels: only forward
        return operation, path, target, time.perf_counter()

    def _finish(self, token: _Token, error: BaseException | None, size: int | None) -> None:
        operation, path, target, started = token
        if target is not None:
            label = f"{path} => {target}"
        elif operation == "delete_many":
            label, size = f"{size} paths", None
        else:
            label = path or ""
        self._emit(operation, label, started, error, size)

    _failed = _finish  # a failed write of a writer: one record, the writer goes on

    def _abort(self, token: _Token, error: BaseException | None, size: int | None) -> None:
        operation, path, target, started = token
        if operation == "writer":
            operation = "writer_abort"
        self._finish((operation, path, target, started), error, size)

    def _failures(self, token: _Token, failures: Failures, size: int) -> None:
        for path, err in failures:
            self._emit("delete", path, time.perf_counter(), err)

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


_Level = Annotated[int, Check(expected="a logging level (int)")]


class LoggingLayer(BaseLayer):
    """Logs every operation through ``logging`` (logger ``opendal_lab`` unless given)."""

    access_class = _LoggingAccess

    @checked("LoggingLayer", quoted=False)
    def __init__(
        self,
        logger: Annotated[str | logging.Logger, Check(expected="a name or a Logger")] = (
            "opendal_lab"
        ),
        *,
        level: _Level = logging.DEBUG,
        error_level: _Level = logging.WARNING,
    ) -> None:
        if isinstance(logger, str):
            logger = logging.getLogger(logger)
        self.logger = logger
        self.level = level
        self.error_level = error_level

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "logger": self.logger.name}  # loggers pickle by name

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, logger=logging.getLogger(state["logger"]))

    def __repr__(self) -> str:
        return f"LoggingLayer({self.logger.name!r})"
