"""How FileSource cuts its files into partitions: small files packed together, big ones alone.

``partitioning`` (option):

- ``auto`` (the default): parquet files in listing order are packed into partitions of about
  ``target`` bytes each; a file at least that big is a partition of its own, and a file is
  never split. Files of different hive directories never share a partition (a partition's
  hive values are constants). Why: each partition costs a task, a Polars query and a few
  hundred microseconds of Python; Polars' own multi-file reader decodes a list of files in
  one query on its thread pool, so 256 files of 100 kB read as ~12 partitions instead of
  256 (bench/bench_loader.py). CSV and NDJSON files are parsed one by one whatever the
  partition, so they stay one partition each.
- ``file``: one partition per file.
- ``row_group``: one per parquet row group (``row_groups``).

The target (option ``partition_bytes``; by default ``auto_target``) follows Spark's
``maxPartitionBytes`` / ``openCostInBytes`` rule: every file counts its size plus
``FILE_COST`` (opening a file is worth that many bytes of reading), and the total is spread
over twice as many partitions as the default thread pool has threads (two per thread, so a
slow one does not leave the others idle at the end), the target kept between
``MIN_TARGET`` and ``MAX_TARGET`` (memory: a partition holds its files' bytes while Polars
decodes them). A file of unknown size is a partition of its own.

Specs: a single file is ``{"path", "size"}`` (plus ``"hive"``); several are ``{"paths",
"sizes"}`` (plus ``"hive"``), both JSON and small. ``spec_files`` reads either back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opendal_lab.datasource.api import default_workers
from opendal_lab.datasource.sources.files.listing import FileEntry

__all__ = [
    "FILE_COST",
    "MAX_TARGET",
    "MIN_TARGET",
    "auto_target",
    "file_spec",
    "pack_files",
    "path_of",
    "spec_files",
]

FILE_COST = 1 << 20  # 1 MiB
MIN_TARGET = 4 << 20  # 4 MiB
MAX_TARGET = 64 << 20  # 64 MiB


def auto_target(files: Sequence[FileEntry]) -> int:
    """Bytes per packed partition for ``files`` (module docstring)."""
    total = sum((f.size or 0) + FILE_COST for f in files)
    share = total // (2 * default_workers(len(files)))
    return max(MIN_TARGET, min(MAX_TARGET, share))


def file_spec(entry: FileEntry) -> dict[str, Any]:
    """The spec of a partition of one file."""
    spec: dict[str, Any] = {"path": entry.path, "size": entry.size}
    if entry.hive:
        spec["hive"] = dict(entry.hive)
    return spec


def pack_files(files: Sequence[FileEntry], target: int) -> list[dict[str, Any]]:
    """Specs of ``files`` packed in order into partitions of up to ``target`` bytes."""
    specs: list[dict[str, Any]] = []
    group: list[FileEntry] = []
    weight = 0
    for entry in files:
        cost = None if entry.size is None else entry.size + FILE_COST
        if group and (cost is None or weight + cost > target or entry.hive != group[0].hive):
            specs.append(_group_spec(group))
            group, weight = [], 0
        group.append(entry)
        weight += cost if cost is not None else target  # unknown size: alone
    if group:
        specs.append(_group_spec(group))
    return specs


def _group_spec(group: list[FileEntry]) -> dict[str, Any]:
    if len(group) == 1:
        return file_spec(group[0])
    spec: dict[str, Any] = {"paths": [f.path for f in group], "sizes": [f.size for f in group]}
    if group[0].hive:
        spec["hive"] = dict(group[0].hive)
    return spec


def spec_files(spec: dict[str, Any]) -> list[tuple[str, int | None]]:
    """``(path, size)`` of each file of a partition, whichever form its spec has."""
    if "paths" in spec:
        sizes = spec.get("sizes") or [None] * len(spec["paths"])
        return [
            (str(p), None if s is None else int(s))
            for p, s in zip(spec["paths"], sizes, strict=True)
        ]
    size = spec.get("size")
    return [(str(spec["path"]), None if size is None else int(size))]


def path_of(spec: dict[str, Any]) -> str:
    """The (first) file of a partition, for messages and single-file readers."""
    return str(spec["paths"][0] if "paths" in spec else spec["path"])
