"""The Iceberg data source: ``IcebergSource`` (``source``), a table read and written via PyIceberg.

- ``source``: the source, its partitions (one per file scan task) and reads;
- ``write``: its writer (``save``, ``df.write``): partitions write parquet data files, the
  caller commits them as one snapshot (append, or overwrite: delete all and append, in one
  transaction); ``abort`` deletes them;
- ``catalog``: options, the catalog, the table and the snapshot they name;
- ``filters``: our ``Filter``s as PyIceberg row filters, where those are exact;
- ``fileio``: ``OpendalFileIO``, PyIceberg's FileIO on opendal_lab operators (fsspec face).

Needs PyIceberg: ``pip install 'opendal-lab[iceberg]'``. ``import opendal_lab.datasource``
does not import this package; import ``IcebergSource`` from here.
"""

from __future__ import annotations

try:
    import pyiceberg  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "opendal_lab.datasource.sources.iceberg needs PyIceberg: pip install 'opendal-lab[iceberg]'"
    ) from exc

from opendal_lab.datasource.sources.iceberg.fileio import OpendalFileIO
from opendal_lab.datasource.sources.iceberg.source import IcebergSource

__all__ = ["IcebergSource", "OpendalFileIO"]
