"""The data source protocol: three methods, any class, no base class needed.

A data source says what its rows look like, how they split into partitions, and how to
read one partition::

    class Squares:
        def infer_schema(self, options):
            return pa.schema([("n", pa.int64()), ("square", pa.int64())])

        def plan_partitions(self, options):
            return [{"start": s, "stop": s + 100} for s in range(0, int(options["rows"]), 100)]

        def read_partition(self, spec, options):
            n = pa.array(range(spec["start"], spec["stop"]), pa.int64())
            yield pa.record_batch([n, pc.multiply(n, n)], names=["n", "square"])

    opendal_lab.datasource.load(Squares, {"rows": "1000"})

The contract, which the loader checks and names the source in every error about:

- ``options`` is a ``dict[str, str]`` (strings, as Spark's ``.option()`` gives them); the
  same dict reaches all three methods. ``python_module`` / ``python_class`` stay in it.
- ``infer_schema`` returns a ``pyarrow.Schema`` with distinct column names. It runs once per
  load or scan, in the caller's process.
- ``plan_partitions`` returns a list of dicts (the specs), one per partition, in the
  order the rows should come out. A spec crosses process boundaries and will cross to Spark
  and Sail, so its keys are strings and its values what JSON can carry. Zero partitions is
  an empty result. It runs once per load or collect, in the caller's process.
- ``read_partition(spec, options)`` is an iterator (a generator, usually) of pieces:
  ``pyarrow.RecordBatch``, ``pyarrow.Table`` or ``polars.DataFrame``, any number, zero
  included. Each piece has exactly the declared columns, with the declared types
  (compared exactly: ``string`` is not ``large_string``; Polars frames are compared in
  Polars' types, so a frame's ``String`` matches a declared ``string``). Column order is
  free. It may run in a worker thread or in another process (a Dask worker): the source
  object is pickled there with each partition, so keep its state small and open
  connections inside ``read_partition``.

Pushdown: ``read_partition`` may also take any of these keyword arguments; the loader
inspects its signature (``**kwargs`` takes them all) and passes only those it accepts:

- ``columns: list[str] | None`` -- the columns the caller needs, in schema order. A source
  may deliver only those (or more; the loader selects). None means all.
- ``filters: list[Filter] | None`` -- conditions that all hold for the rows the caller
  keeps (``opendal_lab.datasource.filters``). A source may use any of them to skip rows;
  the loader applies them again afterwards, except the ones ``exact_filters`` claims.
- ``limit: int | None`` -- the caller needs at most this many rows in all; a partition may
  stop after ``limit`` rows. Given only when no condition remains for the loader to
  apply after the source (so the first ``limit`` rows the source finds are final).
- ``predicate: polars.Expr | None`` -- the whole Polars predicate, for sources that read
  with Polars and want to hand it on. The loader applies it again (except exact filters).

A source that accepts none of these still gives correct answers: the loader applies
projection, predicate and limit itself, in the worker, before the rows travel back.

``plan_partitions`` may take ``filters`` too (the same list, by keyword): a source that can
tell from its partition specs alone that no row of a partition passes them (a hive
directory ``year=2023`` against ``year == 2024``) leaves that partition out of the plan,
so no task is even started for it. Dropping is all it may do with them.

``exact_filters(filters, options) -> list[Filter]`` (optional) returns those of
``filters`` that ``read_partition`` applies exactly -- no row that fails them comes out.
The loader does not apply those again, and a limit can then be pushed down with them.
"""

from __future__ import annotations

import abc
import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import polars as pl
import pyarrow as pa

if TYPE_CHECKING:
    from opendal_lab.datasource.filters import Filter

__all__ = [
    "METHODS",
    "PUSHDOWN_KEYWORDS",
    "BaseDataSource",
    "DataSource",
    "PushdownSource",
    "ReadRequest",
    "plan_takes_filters",
    "polars_schema",
    "pushdown_keywords",
    "source_name",
]

METHODS = ("infer_schema", "plan_partitions", "read_partition")
PUSHDOWN_KEYWORDS = ("columns", "filters", "limit", "predicate")


@runtime_checkable
class DataSource(Protocol):
    """What the loader needs of a source (see the module docstring for the contract)."""

    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        """The columns and Arrow types every partition delivers."""
        ...

    def plan_partitions(self, options: dict[str, str]) -> list[dict[str, Any]]:
        """One JSON-serialisable spec per partition, in output order."""
        ...

    def read_partition(
        self, spec: dict[str, Any], options: dict[str, str]
    ) -> Iterator[pa.RecordBatch | pa.Table | pl.DataFrame]:
        """Yield the rows of one partition as Arrow batches or tables, or Polars frames."""
        ...


class BaseDataSource(abc.ABC):
    """An optional base: the three methods as abstract ones, and pushdown declared in one place.

    Subclasses implement the three methods. To take pushdown, give ``read_partition`` the
    keywords it wants (``columns``, ``filters``, ``limit``, ``predicate``), and override
    ``exact_filters`` to say which filters it applies exactly::

        class Numbers(BaseDataSource):
            def read_partition(self, spec, options, *, columns=None, filters=None, limit=None):
                ...

            def exact_filters(self, filters, options):
                return [f for f in filters if f.column == "n" and f.op in ("<", ">=")]

    ``Numbers.pushdown`` then reads ``frozenset({"columns", "filters", "limit"})``.
    """

    @abc.abstractmethod
    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        """The columns and Arrow types every partition delivers."""

    @abc.abstractmethod
    def plan_partitions(self, options: dict[str, str]) -> list[dict[str, Any]]:
        """One JSON-serialisable spec per partition, in output order."""

    @abc.abstractmethod
    def read_partition(
        self, spec: dict[str, Any], options: dict[str, str]
    ) -> Iterator[pa.RecordBatch | pa.Table | pl.DataFrame]:
        """Yield the rows of one partition (see the module docstring for the pushdown keywords)."""

    def exact_filters(self, filters: Sequence[Filter], options: dict[str, str]) -> list[Filter]:
        """The filters ``read_partition`` applies exactly; by default none (all are re-applied)."""
        return []

    @property
    def pushdown(self) -> frozenset[str]:
        """The pushdown keywords ``read_partition`` accepts."""
        return pushdown_keywords(self)


@dataclass(frozen=True)
class ReadRequest:
    """The pushdown one ``read_partition`` call was given: ``columns``, ``filters``, ``limit``.

    ``filters`` is a list, empty when none were given; the others are None when not given.
    """

    columns: list[str] | None = None
    filters: list[Filter] = field(default_factory=list)
    limit: int | None = None


class PushdownSource(BaseDataSource):
    """A base for sources that take ``columns``, ``filters`` and ``limit``: implement ``read``.

    Its ``read_partition`` accepts those three keywords (so ``pushdown`` is those three)
    and hands them on as one ``ReadRequest``::

        class Numbers(PushdownSource):
            def read(self, spec, options, request):
                names = request.columns or ["n"]
                ...

    The built-in sources (``RangeSource``, ``FileSource``, ``SqlSource``) are written so.
    """

    def read_partition(
        self,
        spec: dict[str, Any],
        options: dict[str, str],
        *,
        columns: list[str] | None = None,
        filters: list[Filter] | None = None,
        limit: int | None = None,
    ) -> Iterator[pa.RecordBatch | pa.Table | pl.DataFrame]:
        return self.read(spec, options, ReadRequest(columns, list(filters or []), limit))

    @abc.abstractmethod
    def read(
        self, spec: dict[str, Any], options: dict[str, str], request: ReadRequest
    ) -> Iterator[pa.RecordBatch | pa.Table | pl.DataFrame]:
        """Yield the rows of one partition, using as much of ``request`` as it can."""


def pushdown_keywords(source: Any) -> frozenset[str]:
    """The pushdown keywords ``source.read_partition`` accepts, read from its signature."""
    try:
        params = inspect.signature(source.read_partition).parameters.values()
    except (TypeError, ValueError):  # a builtin or C method without a signature: none
        return frozenset()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return frozenset(PUSHDOWN_KEYWORDS)
    named = {
        p.name
        for p in params
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    return frozenset(k for k in PUSHDOWN_KEYWORDS if k in named)


def plan_takes_filters(source: Any) -> bool:
    """Whether ``source.plan_partitions`` accepts the ``filters`` keyword."""
    try:
        params = inspect.signature(source.plan_partitions).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.kind is inspect.Parameter.VAR_KEYWORD
        or (p.name == "filters" and p.kind is not inspect.Parameter.POSITIONAL_ONLY)
        for p in params
    )


def source_name(source: Any) -> str:
    """The source's class name, as errors show it."""
    cls = source if isinstance(source, type) else type(source)
    return cls.__qualname__


def polars_schema(schema: pa.Schema) -> dict[str, pl.DataType]:
    """The Polars types the Arrow ``schema`` becomes (``string`` -> ``String``, ...)."""
    # Through the Arrow C schema interface, not an empty table: building one starts
    # pyarrow's memory pool, ~50 MB of resident memory a Polars-only process never has.
    return dict(pl.Schema(schema))
