"""FileSource: parquet, csv and ndjson files on any operator (the options: ``source``).

- ``source``: the ``FileSource`` class, its options and pushdown (read that docstring first);
- ``options``: the options parsed (``FileOptions``), the operator they build, ``FileFormatError``;
- ``listing``: which files a ``path`` names (globs, directories, hive ``key=value`` dirs);
- ``query``: what one partition's read is asked for (columns, filters, limit), applied last;
- ``parquet`` / ``text``: the readers (ranged parquet reads; csv and ndjson through Polars);
- ``write``: ``FileSource.write``, frames written as files, hive directories.

It uses only ``opendal_lab.datasource.api``, as a source outside this project would.
"""

from opendal_lab.datasource.sources.files.options import FileFormatError
from opendal_lab.datasource.sources.files.source import FileSource

__all__ = ["FileFormatError", "FileSource"]
