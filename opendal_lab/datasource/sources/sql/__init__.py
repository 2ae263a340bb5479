"""SqlSource: a table or a query read through ADBC, in range partitions (options: ``source``).

- ``source``: the ``SqlSource`` class, its options, partitioning and pushdown;
- ``query``: the options parsed (``SqlConfig``), range edges, filters as SQL ``WHERE``;
- ``dialects``: one class per database (SQLite, PostgreSQL), the ADBC ``DRIVERS`` by
  scheme, ``SqlError`` and the secrets kept out of messages.

It uses only ``opendal_lab.datasource.api``, as a source outside this project would.
"""

from opendal_lab.datasource.sources.sql.source import (
    DRIVERS,
    OPTIONS,
    SAMPLE_ROWS,
    TYPE_NAMES,
    Dialect,
    SqlError,
    SqlSource,
)

__all__ = ["DRIVERS", "OPTIONS", "SAMPLE_ROWS", "TYPE_NAMES", "Dialect", "SqlError", "SqlSource"]
