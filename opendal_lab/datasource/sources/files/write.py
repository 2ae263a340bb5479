"""FileSource's writer: files staged under ``_temporary/<job>/``, published by renames on commit.

``FileSource.writer(schema, options, mode)`` returns a ``FileWriter`` (the write protocol,
``opendal_lab.datasource.writer``), so ``save(FileSource, frame, options)`` and Spark's
``df.write.format(...).save()`` write the same files:

- ``write(batches)``, per partition: its rows as one file -- or, with ``partition_by``, one
  file in each ``key=value/`` directory its rows fall into, those columns left out of the
  files as Hive does (``listing.hive_dir`` escapes the values; null is
  ``__HIVE_DEFAULT_PARTITION__``) -- under ``<path>/_temporary/<job>/``, a directory every
  reader skips (``listing``: names starting with ``_``). Each attempt writes under a fresh
  name, so a partition written again never meets its earlier try. A partition with no rows
  writes nothing. The message lists the staged files and their rows.
- ``commit(messages)``: each staged file is renamed to its place,
  ``<path>/[hive dirs/]part-<partition>-<write id>.<ext>`` (partition order is name order,
  so a read returns the rows in the order written); with ``overwrite`` the files that were
  there before are deleted after the new ones are in place, so a failure midway loses
  nothing (it may leave both). Then the staging directory goes.
- ``abort(messages)``: the staging directory goes; nothing was published. ``save`` calls it
  once every partition has ended; a JVM Spark calls it without waiting for the tasks it
  cancelled, so one of those may still stage a file afterwards: it stays under the hidden
  staging directory, never published (Spark's own file committer has the same window).

On storage without a native rename (S3) the rename is the operator's simulated one (copy,
then delete), run a few at once. What no object store offers is an atomic switch of many
files: a reader listing during the commit's renames can see some new files and not
others. Until the commit, readers see nothing of the write.

Modes: ``append`` (new files next to those present), ``overwrite`` (above), ``error``
(refuse, before any partition runs, when files are present), ``ignore`` (write nothing
when files are present).

Formats: ``format`` (parquet by default), ``compression`` for parquet (Polars' default,
zstd), ``header`` and ``separator`` for csv.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, cast

import polars as pl
import pyarrow as pa

from opendal_lab.core.errors import AlreadyExists, ConfigInvalid, NotFound
from opendal_lab.core.operator import Operator
from opendal_lab.datasource.sources.files.listing import hive_dir
from opendal_lab.datasource.sources.files.options import FileOptions

__all__ = ["EXTENSIONS", "STAGING", "FileWriter", "Staged", "directory"]

EXTENSIONS = {"parquet": "parquet", "csv": "csv", "ndjson": "ndjson"}
STAGING = "_temporary"
RENAMES_AT_ONCE = 16


@dataclass(frozen=True)
class Staged:
    """One partition's commit message: ``(hive dirs, staged path, rows)`` per file."""

    files: tuple[tuple[str, str, int], ...]


@dataclass(eq=False)
class FileWriter:
    """Writes one job's files (module docstring); pickled to each worker."""

    source: Any  # the FileSource: opens the operator on the worker
    opts: FileOptions
    mode: str
    schema: pa.Schema
    job: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    skip: bool = False  # mode=ignore and data was present

    def __post_init__(self) -> None:
        self.base = directory(self.opts.path)
        self.fmt = self.opts.format or "parquet"
        self.staging = f"{self.base}{STAGING}/{self.job}/"
        self.write_id = self.opts.write_id or self.job
        _check_partition_by(self.schema.names, self.opts)
        if self.mode in ("error", "ignore"):
            present = self._present(first_only=True)
            if present and self.mode == "error":
                raise AlreadyExists(
                    f"FileSource: files already under {self.base or '/'} (first: "
                    f"{present[0]}); mode=error refuses to write there (use append or "
                    "overwrite)",
                    operation="write",
                    service=self.op.scheme,
                    path=self.base or "/",
                )
            self.skip = bool(present)

    @property
    def op(self) -> Operator:
        return cast(Operator, self.source.open_operator(self.opts))

    @property
    def cluster_by(self) -> list[str]:
        """Rows of one hive directory to one partition: one file per directory per write."""
        return list(self.opts.partition_by)

    # -- the write protocol ---------------------------------------------------------------
    def write(self, batches: Iterator[pa.RecordBatch]) -> Staged:
        pieces = list(batches)
        # The batches' own schema: Spark's may differ from the declared one in details
        # (nullability, a time zone) that Polars does not keep anyway.
        table = pa.Table.from_batches(pieces) if pieces else self.schema.empty_table()
        frame = _as_polars(table)
        if self.skip or frame.height == 0:
            return Staged(())
        attempt = uuid.uuid4().hex[:12]
        name = f"{attempt}.{EXTENSIONS[self.fmt]}"
        if not self.opts.partition_by:
            files_of = [("", frame)]
        else:
            keys = list(self.opts.partition_by)
            if frame.select(pl.col(keys).n_unique()).row(0) == (1,) * len(keys):
                # One directory (save hands each partition one group): no copy to split.
                files_of = [(hive_dir(keys, frame.select(keys).row(0)), frame.drop(keys))]
            else:
                groups = frame.partition_by(
                    keys, as_dict=True, include_key=False, maintain_order=True
                )
                files_of = [(hive_dir(keys, k), g) for k, g in groups.items()]
        op = self.op
        files = []
        for dirs, piece in files_of:
            staged = f"{self.staging}{dirs}{name}"
            _write_file(op, staged, piece, self.fmt, self.opts)
            files.append((dirs, staged, piece.height))
        return Staged(tuple(files))

    def commit(self, messages: list[Staged]) -> None:
        op = self.op
        old = self._present() if self.mode == "overwrite" and not self.skip else []
        ext = EXTENSIONS[self.fmt]
        moves = [
            (staged, f"{self.base}{dirs}part-{index:05d}-{self.write_id}.{ext}")
            for index, message in enumerate(messages)
            for dirs, staged, _ in message.files
        ]
        move = _mover(op)
        op.run_many(lambda pair: move(*pair), moves, concurrency=RENAMES_AT_ONCE, name="commit")
        if old:
            op.delete_many(old)
        self._clean(op)

    def abort(self, messages: list[Staged | None]) -> None:
        self._clean(self.op)

    # -- helpers ------------------------------------------------------------------------
    def _present(self, first_only: bool = False) -> list[str]:
        """The visible files under the target (staging and other hidden names left out)."""
        found = []
        try:
            for entry in self.op.list(self.base or "/", recursive=True):
                relative = entry.path[len(self.base) :]
                if entry.is_file and not any(p[:1] in "_." for p in relative.split("/")):
                    found.append(entry.path)
                    if first_only:
                        break
        except NotFound:
            pass
        return found

    def _clean(self, op: Operator) -> None:
        with contextlib.suppress(NotFound):
            op.remove_all(self.staging)
        # The shared parent goes too when no other write is staging there.
        parent = f"{self.base}{STAGING}/"
        with contextlib.suppress(Exception):
            if not any(e.path != parent for e in op.list(parent, recursive=True)):
                op.delete(parent)


def _mover(op: Operator) -> Any:
    if op.capability().rename:
        return op.rename

    def copy_then_delete(source: str, target: str) -> None:
        op.copy(source, target)
        op.delete(source)

    return copy_then_delete


def _check_partition_by(columns: list[str], opts: FileOptions) -> None:
    missing = [c for c in opts.partition_by if c not in columns]
    if missing:
        raise ConfigInvalid(
            f"FileSource: partition_by names {', '.join(map(repr, missing))}, not columns "
            f"of the data ({', '.join(columns)})",
            operation="datasource",
        )
    if len(opts.partition_by) == len(columns) and columns:
        raise ConfigInvalid(
            "FileSource: partition_by names every column; the files would have none",
            operation="datasource",
        )


def _write_file(op: Operator, path: str, frame: pl.DataFrame, fmt: str, opts: FileOptions) -> None:
    with op.open(path, "wb") as raw:
        f = cast(IO[bytes], raw)
        if fmt == "parquet":
            frame.write_parquet(f, compression=cast(Any, opts.compression or "zstd"))
        elif fmt == "csv":
            frame.write_csv(f, include_header=opts.header, separator=opts.separator)
        else:
            frame.write_ndjson(f)


def directory(path: str) -> str:
    """``path`` as a directory prefix (``""`` for the root); globs are refused."""
    if any(c in path for c in "*?["):
        raise ConfigInvalid(
            f"FileSource: writing needs option 'path' to be a directory, not a glob ({path!r})",
            operation="datasource",
        )
    stripped = path.strip("/")
    return stripped + "/" if stripped else ""


def _as_polars(table: pa.Table) -> pl.DataFrame:
    return cast(pl.DataFrame, pl.from_arrow(table, rechunk=False))
