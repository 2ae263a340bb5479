"""An Iceberg source whose writer breaks, importable by Dask workers and by name on Sail.

``BreakingIceberg``: ``IcebergSource`` whose writer fails a partition *after* writing its
data files when the partition holds the row ``id == <fail_at option>`` -- a failure mid-write.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from opendal_lab.core.operator import Operator
from opendal_lab.datasource.sources.iceberg import IcebergSource
from opendal_lab.datasource.sources.iceberg.write import IcebergWriter, Written


@dataclass(eq=False)
class BreakingIcebergWriter(IcebergWriter):
    fail_at: int = -1

    def write(self, batches: Iterator[pa.RecordBatch]) -> Written:
        pieces = list(batches)
        written = super().write(iter(pieces))
        if any(pc.any(pc.equal(b.column("id"), self.fail_at)).as_py() for b in pieces):
            raise RuntimeError(f"broken on purpose after writing {len(written.files)} file(s)")
        return written


class BreakingIceberg(IcebergSource):
    def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> IcebergWriter:
        made = super().writer(schema, _ours(options), mode)
        fail_at = int(options.get("fail_at", "-1"))
        return BreakingIcebergWriter(**{**vars(made), "fail_at": fail_at})

    def storage(self, options: dict[str, str]) -> Operator | None:
        return super().storage(_ours(options))


def _ours(options: Mapping[str, str]) -> dict[str, str]:
    """The options without ``fail_at``, which IcebergSource would refuse as unknown."""
    return {k: v for k, v in options.items() if k != "fail_at"}
