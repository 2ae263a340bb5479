"""FileSource: parquet, csv and ndjson files on any operator (the options: ``source``).

- ``source``: the ``FileSource`` class, its options and pushdown (read that docstring first);
- ``options``: the options parsed (``FileOptions``), the operator they build, ``FileFormatError``;
- ``listing``: which files a ``path`` names (globs, directories, hive ``key=value`` dirs);
- ``query``: what one partition's read is asked for (columns, filters, limit), applied last;
- ``partitions``: how the files become partitions (small parquet files packed together);
- ``parquet`` / ``text``: the readers (parquet whole, by columns or by ranges; csv and
  ndjson through Polars); ``row_groups``: row-group partitions, planned and read;
  ``sparse``: the sparse in-memory file Polars reads fetched ranges from; ``local``: on
  ``fs``, the files opened through the root jail and handed to Polars to map;
- ``write``: ``FileWriter``, the write protocol's writer: files staged, then published
  on commit, hive directories.

It uses only ``opendal_lab.datasource.api``, as a source outside this project would.
"""

from opendal_lab.datasource.sources.files.options import FileFormatError
from opendal_lab.datasource.sources.files.source import FileSource

__all__ = ["FileFormatError", "FileSource"]
