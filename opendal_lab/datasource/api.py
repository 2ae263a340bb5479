"""What a data source may use: the one import for built-in and third-party sources alike.

::

    from opendal_lab.datasource.api import BaseDataSource, Filter, int_option

A source needs nothing else of this package: the built-in ones (``sources.files``,
``sources.sql``, ``range``) import from here and from ``opendal_lab.core``, never from
the loader, so what they do any source outside this project can do.

- the protocol (``protocol``): ``BaseDataSource`` / ``DataSource``; ``PushdownSource``
  and its ``ReadRequest``, the base of every built-in source (``columns``, ``filters`` and
  ``limit`` handed to ``read`` as one object); ``PUSHDOWN_KEYWORDS``, ``pushdown_keywords``;
  ``polars_schema``, the Polars types of a declared schema (how the loader compares Polars
  frames with it);
- the write protocol (``writer``): ``DataSourceWriter``, an optional base for what
  ``writer(schema, options, mode)`` returns; ``MODES``, the save modes a source's
  ``write_modes`` picks from;
- pushed-down conditions (``filters``): ``Filter``, ``OPS``, ``filters_to_expr``,
  ``split_predicate``;
- errors (``errors``) a source raises or lets through: ``DataSourceError``,
  ``SourceInvalid``, ``SchemaMismatch``, ``PartitionFailed``, ``SourceNotFound``;
  ``TemporaryPartitionError``, raised to have the loader read the partition again;
- options (``options``): ``Options`` (what every method receives: a ``dict[str, str]``
  whose names are case-insensitive and stored lower-cased, as Spark hands them),
  ``int_option``, ``bool_option``, ``option_error``;
- running its own work (``engines.executors``): ``default_workers``, the size of the
  loader's default thread pool.
"""

from opendal_lab.datasource.engines.executors import default_workers
from opendal_lab.datasource.errors import (
    DataSourceError,
    PartitionFailed,
    SchemaMismatch,
    SourceInvalid,
    SourceNotFound,
    TemporaryPartitionError,
)
from opendal_lab.datasource.filters import OPS, Filter, filters_to_expr, split_predicate
from opendal_lab.datasource.options import Options, bool_option, int_option, option_error
from opendal_lab.datasource.protocol import (
    PUSHDOWN_KEYWORDS,
    BaseDataSource,
    DataSource,
    PushdownSource,
    ReadRequest,
    polars_schema,
    pushdown_keywords,
)
from opendal_lab.datasource.writer import MODES, DataSourceWriter

__all__ = [
    "MODES",
    "OPS",
    "Options",
    "PUSHDOWN_KEYWORDS",
    "BaseDataSource",
    "DataSource",
    "DataSourceError",
    "DataSourceWriter",
    "Filter",
    "PartitionFailed",
    "PushdownSource",
    "ReadRequest",
    "SchemaMismatch",
    "SourceInvalid",
    "SourceNotFound",
    "TemporaryPartitionError",
    "bool_option",
    "default_workers",
    "filters_to_expr",
    "int_option",
    "option_error",
    "polars_schema",
    "pushdown_keywords",
    "split_predicate",
]
