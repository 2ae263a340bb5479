"""Writable sources for the tests, importable by Dask workers and by name on Spark and Sail.

- ``BreakingFiles``: ``FileSource`` whose writer fails a partition *after* staging its file
  when the partition holds the row ``n == <fail_at option>`` -- a failure mid-write.
- ``Ledger``: a writer that keeps nothing but a JSON log of what it was asked to do, to
  check the protocol's calls; options ``log`` (a file), ``message`` (``none`` to return
  None), ``fail`` (``commit`` to fail the commit), ``temporary`` (fail each partition's
  first N attempts with a temporary error).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from opendal_lab.datasource import BaseDataSource, DataSourceWriter, FileSource
from opendal_lab.datasource.api import TemporaryPartitionError
from opendal_lab.datasource.sources.files.options import FileOptions
from opendal_lab.datasource.sources.files.write import FileWriter, Staged
from tests.datasource.sources import SCHEMA


@dataclass(eq=False)
class BreakingWriter(FileWriter):
    fail_at: int = -1

    def write(self, batches: Iterator[pa.RecordBatch]) -> Staged:
        pieces = list(batches)
        staged = super().write(iter(pieces))
        if any(pc.any(pc.equal(b.column("n"), self.fail_at)).as_py() for b in pieces):
            raise RuntimeError(f"broken on purpose after staging {len(staged.files)} file(s)")
        return staged


class BreakingFiles(FileSource):
    def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> FileWriter:
        fail_at = int(options.get("fail_at", "-1"))
        return BreakingWriter(self, self.parse(options), mode, schema, fail_at=fail_at)

    def parse(self, options: Mapping[str, str]) -> FileOptions:
        return super().parse({k: v for k, v in options.items() if k != "fail_at"})


class LedgerWriter(DataSourceWriter):
    def __init__(self, options: dict[str, str], mode: str, schema: pa.Schema) -> None:
        self.options = dict(options)
        self.mode = mode
        self.schema = schema

    def write(self, batches: Iterator[pa.RecordBatch]) -> Any:
        rows = sum(b.num_rows for b in batches)
        first = self._attempt()
        if first is not None and first <= int(self.options.get("temporary", "0")):
            raise TemporaryPartitionError(f"attempt {first} fails on purpose")
        self._log({"call": "write", "rows": rows, "pid": os.getpid()})
        return None if self.options.get("message") == "none" else {"rows": rows}

    def commit(self, messages: list[Any]) -> None:
        self._log({"call": "commit", "messages": messages, "mode": self.mode})
        if self.options.get("fail") == "commit":
            raise RuntimeError("commit broken on purpose")

    def abort(self, messages: list[Any]) -> None:
        self._log({"call": "abort", "messages": messages})

    def _attempt(self) -> int | None:
        """How many write attempts this process made so far (counted in the log)."""
        if "temporary" not in self.options:
            return None
        path = self.options["log"] + ".attempts"
        with open(path, "a") as f:
            f.write("x")
        return os.path.getsize(path)

    def _log(self, record: dict[str, Any]) -> None:
        with open(self.options["log"], "a") as f:
            f.write(json.dumps(record) + "\n")


class Ledger(BaseDataSource):
    write_modes: tuple[str, ...] = ("append", "overwrite")

    def infer_schema(self, options: dict[str, str]) -> pa.Schema:
        return SCHEMA

    def plan_partitions(self, options: dict[str, str]) -> list[dict[str, Any]]:
        return []

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        yield from ()

    def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> LedgerWriter:
        return LedgerWriter(options, mode, schema)


def ledger(path: Any) -> list[dict[str, Any]]:
    """The records a ``Ledger`` logged to ``path``, in order."""
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]
