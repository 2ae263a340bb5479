"""The Python data source face: any class with three methods, read into Polars.

A data source (``protocol``) declares an Arrow schema, plans partitions as JSON-able dicts
and yields Arrow batches or Polars frames per partition -- the protocol of Sail's and
Spark's ``format("python")``. Given as a class, an instance, or by the options
``python_module`` + ``python_class`` (``resolve``), it is read:

- eagerly by ``load(source, options, executor=, progress=) -> polars.DataFrame``, its
  partitions running on any ``concurrent.futures.Executor`` (threads by default, a Dask
  ``Client.get_executor()`` across machines);
- lazily by ``scan(source, options, executor=) -> polars.LazyFrame``, an IO plugin that
  pushes projection, predicate (as neutral ``Filter``s, see ``filters``) and row limit
  down to the sources that take them, and applies them itself for those that do not.

Errors name the source and the partition (``errors``). ``RangeSource`` is a small built-in
example. This package needs polars and pyarrow (``pip install 'opendal-lab[datasource]'``);
``import opendal_lab`` does not import it.
"""

from __future__ import annotations

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
    Filter,
    PartitionFailed,
    SchemaMismatch,
    SourceInvalid,
    SourceNotFound,
    filters_to_expr,
    pushdown_keywords,
    split_predicate,
)
from opendal_lab.datasource.loader import CLASS_OPTION, MODULE_OPTION, load, resolve_source, scan
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
    "FileSource",
    "Filter",
    "PartitionFailed",
    "RangeSource",
    "SchemaMismatch",
    "SourceInvalid",
    "SourceNotFound",
    "SqlSource",
    "filters_to_expr",
    "load",
    "pushdown_keywords",
    "resolve_source",
    "scan",
    "split_predicate",
]
