"""Built-in data sources, one package each; a new built-in source is a new package here.

- ``files``: ``FileSource``, parquet / csv / ndjson files on any operator, and writing them;
- ``sql``: ``SqlSource``, a table or query through ADBC, in ranges of a numeric column.

A source here imports from ``opendal_lab.datasource.api`` (and ``opendal_lab.core``) only,
never the loader: it is written as any third-party source would be.
"""
