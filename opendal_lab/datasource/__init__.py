"""The Python data source face: any class with three methods, read into Polars.

A data source declares an Arrow schema, plans partitions as JSON-able dicts and yields
Arrow batches or Polars frames per partition -- the protocol of Sail's and Spark's
``format("python")``. ``load(source, options)`` reads it into a ``polars.DataFrame``,
``scan(source, options)`` into a ``polars.LazyFrame`` with projection, predicate and limit
pushed down, ``stream(source, options)`` into a ``pyarrow.RecordBatchReader`` (DuckDB or
any Arrow consumer reads it, a few partitions in memory at a time); partitions run on
threads, or on any ``concurrent.futures.Executor`` (a Dask ``Client.get_executor()`` across
machines). The other direction: a source with a ``writer`` takes rows back,
``save(source, frame, options, mode="append")``, staged by partition and committed all
together or not at all -- the same class is Spark's and Sail's ``df.write.format(...)``.
Every name below is importable from here.

What lives where:

- ``protocol``: the three methods and the pushdown keywords, ``BaseDataSource``,
  ``PushdownSource``; ``writer``: the write protocol (``writer(schema, options, mode)``
  returning ``write`` / ``commit`` / ``abort``, PySpark's ``DataSourceWriter`` shape);
  ``errors``: what a source did wrong, which partition failed;
  ``filters``: ``Filter``, the neutral form of pushed-down conditions; ``options``:
  reading a source's string options;
- ``api``: all a source may import from this package -- built-in and third-party alike;
- ``loader/``: ``load``, ``scan``, ``stream`` and ``save``; finding and checking the
  source, running its partitions in order, what runs on a worker;
- ``engines/``: where partitions run (``executors``: threads or a given executor) and the
  Spark / Sail adapter (``spark``, public as ``opendal_lab.datasource.spark``);
- ``sources/``: built-in sources, a package each: ``files`` (``FileSource``), ``sql``
  (``SqlSource``) and ``iceberg`` (``IcebergSource``: importable from here too, but
  imported on first use of the name, since it imports PyIceberg, the ``iceberg`` extra);
  ``range``: ``RangeSource``, a small example source for docs and tests.

This package needs polars and pyarrow (``pip install 'opendal-lab[datasource]'``);
``import opendal_lab`` does not import it.
"""

from __future__ import annotations

from typing import Any

try:
    import polars  # noqa: F401
    import pyarrow  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        f"opendal_lab.datasource needs polars and pyarrow ({exc.name} is missing): "
        "pip install 'opendal-lab[datasource]'"
    ) from exc

from opendal_lab.datasource.api import (
    OPS,
    PUSHDOWN_KEYWORDS,
    BaseDataSource,
    DataSource,
    DataSourceError,
    DataSourceWriter,
    Filter,
    PartitionFailed,
    SchemaMismatch,
    SourceInvalid,
    SourceNotFound,
    TemporaryPartitionError,
    filters_to_expr,
    pushdown_keywords,
    split_predicate,
)
from opendal_lab.datasource.loader import (
    CLASS_OPTION,
    MODULE_OPTION,
    load,
    resolve_source,
    save,
    scan,
    stream,
)
from opendal_lab.datasource.range import RangeSource
from opendal_lab.datasource.sources.files import FileSource
from opendal_lab.datasource.sources.sql import SqlSource

__all__ = [
    "CLASS_OPTION",
    "MODULE_OPTION",
    "OPS",
    "PUSHDOWN_KEYWORDS",
    "BaseDataSource",
    "DataSource",
    "DataSourceError",
    "DataSourceWriter",
    "FileSource",
    "Filter",
    "PartitionFailed",
    "RangeSource",
    "SchemaMismatch",
    "SourceInvalid",
    "SourceNotFound",
    "SqlSource",
    "TemporaryPartitionError",
    "filters_to_expr",
    "load",
    "pushdown_keywords",
    "resolve_source",
    "save",
    "scan",
    "split_predicate",
    "stream",
]


def __getattr__(name: str) -> Any:
    """``IcebergSource`` on first use: it imports PyIceberg, which nothing else here needs
    (so it is not in ``__all__``: a star import must not need the ``iceberg`` extra)."""
    if name == "IcebergSource":
        from opendal_lab.datasource.sources.iceberg import IcebergSource

        return IcebergSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
