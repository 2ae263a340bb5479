"""Errors of the data source face: what a source did wrong, and which partition failed.

Each one names the source class; the ones raised while reading also name the partition::

    Exception
    ├── DataSourceError                          source (class name), partition (index or None)
    │   ├── SourceInvalid       (TypeError)      the source breaks the protocol: a missing
    │   │   │                                    method, a schema that is not a pa.Schema, a
    │   │   │                                    partition list that is not a list of dicts, a
    │   │   │                                    spec that JSON cannot carry, a wrong piece type
    │   │   └── SchemaMismatch                   a batch whose columns or types differ from the
    │   │                                        declared schema: column, expected, actual
    │   └── PartitionFailed     (RuntimeError)   read_partition raised; spec, and __cause__ is
    │                                            the source's own exception
    ├── TemporaryPartitionError                  raised by a source: this partition may succeed
    │                                            if read again (the loader retries it)
    └── opendal_lab.ConfigInvalid (ValueError)   bad options (not strings, a bad number, no
        └── SourceNotFound      (ImportError)    source given); python_module / python_class
                                                 that do not name an importable class

Bad options are the user's mistake, not the source's, so they reuse the project's
``ConfigInvalid``: ``except ValueError`` catches them as it catches any bad argument.
``SourceNotFound`` is also an ``ImportError``, so code written for Spark's
``format("python")`` that catches import failures keeps working.

Every class pickles with its fields: the errors raised on a Dask or process worker come back
to the caller whole.
"""

from __future__ import annotations

from typing import Any

from opendal_lab.core.errors import ConfigInvalid

__all__ = [
    "DataSourceError",
    "PartitionFailed",
    "SchemaMismatch",
    "SourceInvalid",
    "SourceNotFound",
    "TemporaryPartitionError",
]


class DataSourceError(Exception):
    """Base of the errors a data source causes; ``source`` is its class name."""

    def __init__(self, message: str, *, source: str = "", partition: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.partition = partition

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors come back from process workers; keep every field, not just args.
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


def _rebuild(cls: type[DataSourceError], message: str, state: dict[str, Any]) -> DataSourceError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class SourceInvalid(DataSourceError, TypeError):
    """The source does not keep the protocol (what it is, or what it returned)."""


class SchemaMismatch(SourceInvalid):
    """A batch differs from the schema the source declared.

    ``column`` is the first column that differs; ``expected`` and ``actual`` are its types
    as text (``"<missing>"`` / ``"<not declared>"`` when the column is absent on one side).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        partition: int | None = None,
        column: str = "",
        expected: str = "",
        actual: str = "",
    ) -> None:
        super().__init__(message, source=source, partition=partition)
        self.column = column
        self.expected = expected
        self.actual = actual


class PartitionFailed(DataSourceError, RuntimeError):
    """``read_partition`` raised; ``__cause__`` is what it raised, ``spec`` what it was given."""

    def __init__(
        self,
        message: str,
        *,
        source: str = "",
        partition: int | None = None,
        spec: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, source=source, partition=partition)
        self.spec = spec


class SourceNotFound(ConfigInvalid, ImportError):
    """``python_module`` / ``python_class`` do not name a class that can be imported."""


class TemporaryPartitionError(Exception):
    """Raised by ``read_partition`` (or a subclass of it) for a failure worth another try.

    The loader reads the partition again, up to ``partition_retries`` times
    (``loader.retries``); an ``opendal_lab`` error whose status is temporary is retried the
    same way without this. Subclass it for your own transient errors, or raise it ``from``
    the one you caught.
    """
