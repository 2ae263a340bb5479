"""The write protocol: a source that can also take rows, in PySpark 4's ``DataSourceWriter`` shape.

A source writes by adding one method, ``writer``, which returns an object with three::

    class Ledger(BaseDataSource):
        write_modes = ("append", "overwrite")

        def writer(self, schema, options, mode):
            return LedgerWriter(options["path"], overwrite=mode == "overwrite")

    class LedgerWriter(DataSourceWriter):
        def write(self, batches):               # on a worker, once per partition
            staged = stage(batches)               # nothing visible yet
            return {"staged": staged}             # the commit message
        def commit(self, messages):             # in the caller's process, after all succeed
            publish([m["staged"] for m in messages])
        def abort(self, messages):              # after a failure; None for failed partitions
            discard_staged()

    opendal_lab.datasource.save(Ledger, frame, {"path": "..."}, mode="append")
    df.write.format("ledger").mode("append").save()      # the same class on Spark and Sail

The contract, which ``save`` and the Spark adapter check and name the source in every error:

- ``writer(schema, options, mode)`` runs once per write, in the caller's process (Spark's
  driver). ``schema`` is the ``pyarrow.Schema`` of the rows to be written; ``options`` the
  same case-insensitive ``Options`` reads get; ``mode`` one of the source's ``write_modes``
  (a class attribute, a subset of ``MODES``; ``("append",)`` when it declares none).
  A mode that needs the target checked (``error``: refuse when data exists) is checked
  here, before any partition runs. The writer it returns is pickled to each worker.
- ``write(batches)`` runs once per partition, on a worker: ``batches`` iterates the
  partition's rows as ``pyarrow.RecordBatch``es of ``schema``. It returns a commit message
  -- anything picklable but None -- that says what it wrote, and leaves nothing visible:
  rows become visible only in ``commit``. A partition with no rows is still written (its
  message may say so).
- ``commit(messages)`` runs once, in the caller's process, when every partition succeeded,
  with their messages in partition order. It makes the writes visible, as atomically as
  the storage allows (a SQL transaction; for files, a short series of renames).
- ``abort(messages)`` runs instead when a partition (or ``commit``) failed: it removes
  what the partitions staged. ``messages`` holds the message of each partition that
  finished and None for the others -- Sail passes None for all, so a writer whose
  staging has one name per write (a directory, a table) does not need them.

These are PySpark 4's ``DataSource.writer`` / ``DataSourceArrowWriter`` methods with the
options and the mode made explicit; the Spark adapter (``engines.spark``) wraps them so one
class serves ``save`` and ``df.write.format(...)``.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource.errors import SourceInvalid

__all__ = [
    "DEFAULT_MODES",
    "MODES",
    "WRITER_METHODS",
    "DataSourceWriter",
    "Writer",
    "check_message",
    "check_mode",
    "check_writer",
    "write_modes",
]

# Spark's save modes. ``error`` refuses to write where data exists, ``ignore`` writes
# nothing then; ``errorifexists`` / ``default`` are Spark's other names for ``error``.
MODES = ("append", "overwrite", "error", "ignore")
_ALIASES = {"errorifexists": "error", "default": "error"}
DEFAULT_MODES = ("append",)
WRITER_METHODS = ("write", "commit", "abort")


@runtime_checkable
class Writer(Protocol):
    """What ``source.writer(...)`` returns (module docstring)."""

    def write(self, batches: Iterator[pa.RecordBatch]) -> Any:
        """Stage one partition's rows; return its commit message (not None)."""
        ...

    def commit(self, messages: list[Any]) -> None:
        """Make every partition's staged rows visible."""
        ...

    def abort(self, messages: list[Any | None]) -> None:
        """Remove what the partitions staged."""
        ...


class DataSourceWriter(abc.ABC):
    """An optional base for writers: ``write`` and ``commit`` abstract, ``abort`` a no-op."""

    @abc.abstractmethod
    def write(self, batches: Iterator[pa.RecordBatch]) -> Any:
        """Stage one partition's rows; return its commit message (not None)."""

    @abc.abstractmethod
    def commit(self, messages: list[Any]) -> None:
        """Make every partition's staged rows visible."""

    def abort(self, messages: list[Any | None]) -> None:  # noqa: B027 - optional to override
        """Remove what the partitions staged; by default nothing (nothing was staged)."""


def write_modes(source: Any) -> tuple[str, ...]:
    """The modes ``source`` declares (``write_modes``), ``DEFAULT_MODES`` when none."""
    declared = getattr(source, "write_modes", None)
    if declared is None:
        return DEFAULT_MODES
    if isinstance(declared, str) or not isinstance(declared, Sequence | frozenset | set):
        raise SourceInvalid(
            f"{_name(source)}.write_modes must be a tuple of mode names, not {declared!r}",
            source=_name(source),
        )
    unknown = [m for m in declared if m not in MODES]
    if unknown:
        raise SourceInvalid(
            f"{_name(source)}.write_modes has {', '.join(map(repr, unknown))}; "
            f"modes are {', '.join(MODES)}",
            source=_name(source),
        )
    return tuple(declared)


def check_mode(source: Any, mode: Any, name: str) -> str:
    """``mode`` in canonical form; ConfigInvalid when it is not a mode or ``source`` does
    not support it, naming the modes it does."""
    if not callable(getattr(source, "writer", None)):
        raise SourceInvalid(
            f"{name} cannot write: it has no writer(schema, options, mode) method "
            "(see opendal_lab.datasource.writer)",
            source=name,
        )
    if not isinstance(mode, str):
        raise ConfigInvalid(
            f"mode must be a string, one of {', '.join(MODES)}; got {type(mode).__name__}",
            operation="datasource",
        )
    canonical = _ALIASES.get(mode.lower(), mode.lower())
    if canonical not in MODES:
        raise ConfigInvalid(
            f"unknown write mode {mode!r}; modes are {', '.join(MODES)}",
            operation="datasource",
        )
    supported = write_modes(source)
    if canonical not in supported:
        raise ConfigInvalid(
            f"{name} does not support mode {mode!r}; it supports {', '.join(supported)}",
            operation="datasource",
        )
    return canonical


def check_writer(writer: Any, name: str) -> Writer:
    """SourceInvalid unless ``writer`` has ``write``, ``commit`` and ``abort``."""
    missing = [m for m in WRITER_METHODS if not callable(getattr(writer, m, None))]
    if missing:
        raise SourceInvalid(
            f"{name}.writer returned {type(writer).__name__}, which has no "
            f"{', '.join(missing)} method (a writer needs {', '.join(WRITER_METHODS)})",
            source=name,
        )
    return writer  # type: ignore[no-any-return]


def check_message(message: Any, name: str, index: int, count: int) -> Any:
    """``message``, or SourceInvalid when ``write`` returned None."""
    if message is None:
        where = f"partition {index}" if index >= 0 else "a partition"
        where += f" of {count}" if index >= 0 and count > 0 else ""
        raise SourceInvalid(
            f"{name}'s writer: write() for {where} returned None; it "
            "must return a commit message (anything picklable but None) saying what it "
            "staged, for commit() to publish",
            source=name,
            partition=index if index >= 0 else None,
        )
    return message


def _name(source: Any) -> str:
    cls = source if isinstance(source, type) else type(source)
    return cls.__qualname__
