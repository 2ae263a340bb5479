"""SqlSource: a table or a query read through ADBC, in range partitions, and rows written to
a table in one transaction (options: ``source`` and ``write``).

- ``source``: the ``SqlSource`` class, its options, partitioning and pushdown;
- ``query``: the options parsed (``SqlConfig``), range edges, filters as SQL ``WHERE``;
- ``dialects``: one class per database (SQLite, PostgreSQL), the ADBC ``DRIVERS`` by
  scheme, ``SqlError`` and the secrets kept out of messages;
- ``write``: ``SqlWriter``, staging tables per partition, committed in one transaction;
- ``tables``: what writing differs in between databases (column types, the catalog).

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
