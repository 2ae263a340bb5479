"""A SqlSource that fails a partition after staging it, importable by Dask workers and Sail.

``BreakingSql``: ``SqlSource`` whose writer raises once a partition holding the row
``n == <fail_at option>`` has staged its rows (its staging table committed): a failure
mid-write, which must leave the target as it was and no staging table behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from opendal_lab.datasource import SqlSource
from opendal_lab.datasource.sources.sql.write import SqlWriter, Staged, open_writer


@dataclass(eq=False)
class BreakingSqlWriter(SqlWriter):
    fail_at: int = -1

    def write(self, batches: Iterator[pa.RecordBatch]) -> Staged:
        pieces = list(batches)
        staged = super().write(iter(pieces))
        if any(pc.any(pc.equal(b.column("n"), self.fail_at)).as_py() for b in pieces):
            raise RuntimeError(f"broken on purpose after staging {staged.table}")
        return staged


class BreakingSql(SqlSource):
    def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> SqlWriter:
        rest: dict[str, Any] = {k: v for k, v in options.items() if k.lower() != "fail_at"}
        made = open_writer(schema, rest, mode, self.on_query)
        fail_at = int(next((v for k, v in options.items() if k.lower() == "fail_at"), "-1"))
        return BreakingSqlWriter(made.config, made.mode, made.schema, made.skip, fail_at=fail_at)
