"""Any data source as a PySpark 4 Python Data Source, so the same class runs on Spark and Sail.

::

    from opendal_lab.datasource import FileSource
    from opendal_lab.datasource.spark import spark_data_source

    spark.dataSource.register(spark_data_source(FileSource, name="lab_files"))
    spark.read.format("lab_files").options(uri="s3://bucket/data", path="*.parquet").load()

``spark_data_source(source)`` builds a ``pyspark.sql.datasource.DataSource`` subclass whose
``schema()`` is the source's ``infer_schema`` (Arrow types mapped to Spark's; Arrow's large
and view strings and binaries become plain ones), whose reader's ``partitions()`` are the
source's ``plan_partitions`` (each spec carried as JSON) and whose ``read()`` yields the
source's batches as Arrow record batches cast to that schema. The source is resolved on
each side from the class or instance given, or from ``python_module`` + ``python_class``
options when ``source`` is None, as in the seed's ``format("python")`` example. Spark's
options arrive as strings, which is what every source here expects.

Every piece ``read_partition`` yields is checked against the declared schema as ``load``
checks it (a source that lies about its schema fails with ``SchemaMismatch``, not a silent
cast), and a partition that raises fails the query with ``PartitionFailed`` naming the
source, the partition and its spec. A temporary failure is retried inside Spark's Python
worker exactly as ``load`` retries it (``run_partition``; the ``partition_retries`` option).

Writes: when the source has a ``writer`` (the write protocol, ``datasource.writer``), the
Spark class has one too, an Arrow writer: ``df.write.format(name).mode("append" |
"overwrite").save()`` calls the source's ``writer(schema, options, mode)`` on the driver,
its ``write`` on each task with the task's Arrow batches, and its ``commit`` or ``abort``
on the driver, as ``save`` does. Spark's other modes reach a Python data source as
``append`` (PySpark hands it only an ``overwrite`` flag). The commit messages travel
wrapped in a ``WriterCommitMessage`` (``spark_messages``). A write is not retried inside
the task, as reads are: Spark's batches can be read once; Spark retries the whole task
(``spark.task.maxFailures``).

Filters: when the source's ``read_partition`` takes ``filters``, the reader implements
``pushFilters``: Spark's pushed conjuncts that have a ``Filter`` form
(``spark_filters.from_spark``) reach ``plan_partitions`` (when it takes them) and every
``read_partition``; those the source's ``exact_filters`` claims are not evaluated again by
Spark, the rest are. Sail calls ``pushFilters`` as is; a JVM Spark calls it only with
``spark.sql.python.filterPushdown.enabled`` set to true, and otherwise refuses the reader
with an error naming that setting -- set it, or pass ``push_filters=False`` to build a
reader without ``pushFilters`` (Spark then evaluates every filter).

Progress: a read given the option ``progress_uri`` (``spark_progress`` makes it) records
there each query's partition count, when Spark plans it, and each partition read to its
end; the source never sees the option. Spark Connect's own progress messages are not
sent by Sail; ``engines.spark_progress`` says so and draws the bar.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from opendal_lab.datasource.engines.spark_filters import from_spark
from opendal_lab.datasource.engines.spark_progress import ProgressReporter, split_progress
from opendal_lab.datasource.errors import SourceInvalid
from opendal_lab.datasource.filters import Filter
from opendal_lab.datasource.loader.partition import raise_partition_failure, run_partition
from opendal_lab.datasource.loader.prepare import Prepared, prepare
from opendal_lab.datasource.loader.save import WriteTask, open_writer
from opendal_lab.datasource.writer import check_message

__all__ = ["spark_data_source", "spark_schema"]


def _plain(arrow_type: Any) -> Any:
    """Arrow types Spark knows: large/view strings and binaries become plain ones."""
    if pa.types.is_large_string(arrow_type) or pa.types.is_string_view(arrow_type):
        return pa.string()
    if pa.types.is_large_binary(arrow_type) or pa.types.is_binary_view(arrow_type):
        return pa.binary()
    if pa.types.is_large_list(arrow_type) or pa.types.is_list(arrow_type):
        return pa.list_(_plain(arrow_type.value_type))
    return arrow_type


def spark_schema(schema: pa.Schema) -> tuple[pa.Schema, Any]:
    """``(arrow schema Spark can take, the matching Spark StructType)``."""
    from pyspark.sql.pandas.types import from_arrow_schema

    plain = pa.schema([pa.field(f.name, _plain(f.type), f.nullable) for f in schema])
    return plain, from_arrow_schema(plain)


def _partition_id() -> int:
    """This task's partition on a JVM Spark; -1 where Spark does not say (Sail)."""
    from pyspark import TaskContext

    context = TaskContext.get()
    return context.partitionId() if context is not None else -1


def spark_data_source(
    source: Any = None, *, name: str | None = None, push_filters: bool = True
) -> type[Any]:
    """A PySpark ``DataSource`` class running ``source`` (a class, an instance or None)."""
    from pyspark.sql.datasource import (
        DataSource,
        DataSourceArrowWriter,
        DataSourceReader,
        InputPartition,
    )

    format_name: str = name or (
        "python" if source is None else str(getattr(source, "__name__", type(source).__name__))
    )

    class _Reader(DataSourceReader):
        def __init__(self, prepared: Prepared, reporter: ProgressReporter | None) -> None:
            self.prepared = prepared
            self.arrow, _ = spark_schema(self.prepared.schema)
            self.filters: list[Filter] = []  # Spark's pushed filters, in our terms
            self.reporter = reporter  # the progress_uri option's (spark_progress)

        def partitions(self) -> list[Any]:
            specs = self.prepared.partitions(self.filters)
            count = len(specs)  # carried along, so errors say "partition i of n" as load's do
            run = self.reporter.planned(count) if self.reporter else ""
            return [
                InputPartition(json.dumps([i, count, spec, run])) for i, spec in enumerate(specs)
            ]

        def read(self, partition: Any) -> Iterator[pa.RecordBatch]:
            index, count, spec, run = json.loads(partition.value)
            kwargs: dict[str, Any] = {"filters": self.filters} if self.filters else {}
            plan = self.prepared.read_plan(count, arrow=False, kwargs=kwargs)
            try:
                frames = run_partition(plan, index, spec)
            except Exception as exc:
                raise_partition_failure(plan, index, spec, exc)
            for frame in frames:
                yield from frame.to_arrow().cast(self.arrow).to_batches()
            if self.reporter:  # read to its end: Spark asked for every batch
                self.reporter.finished(run, index)

    class _PushingReader(_Reader):
        def pushFilters(self, filters: list[Any]) -> Iterator[Any]:
            schema = self.prepared.schema
            ours = [(spark, from_spark(spark, schema)) for spark in filters]
            self.filters = [f for _, f in ours if f is not None]
            exact = self.prepared.claimed_exact(self.filters)
            # Spark evaluates again all it gets back: the untranslated and the inexact.
            return iter([spark for spark, f in ours if f is None or f not in exact])

    class _Writer(DataSourceArrowWriter):
        def __init__(self, task: WriteTask) -> None:
            self.task = task

        def write(self, iterator: Iterator[pa.RecordBatch]) -> Any:
            from opendal_lab.datasource.engines.spark_messages import Carried

            task = self.task
            index = _partition_id()
            # No retries here: Spark's iterator is read once (Spark retries whole tasks).
            message = task.writer.write(iterator)
            return Carried(check_message(message, task.source_name, index, task.count))

        def commit(self, messages: list[Any]) -> None:
            from opendal_lab.datasource.engines.spark_messages import unwrap

            ours = unwrap(messages)
            missing = [i for i, m in enumerate(ours) if m is None]
            if missing:  # every partition succeeded, so each must have said what it wrote
                self.task.writer.abort(ours)
                raise SourceInvalid(
                    f"{self.task.source_name}'s writer: Spark reached commit without a "
                    f"commit message from partition(s) {missing}; aborted",
                    source=self.task.source_name,
                )
            self.task.writer.commit(ours)

        def abort(self, messages: list[Any]) -> None:
            from opendal_lab.datasource.engines.spark_messages import unwrap

            self.task.writer.abort(unwrap(messages))

    class _Source(DataSource):
        @classmethod
        def name(cls) -> str:
            return format_name

        def writer(self, schema: Any, overwrite: bool) -> Any:
            from pyspark.sql.pandas.types import to_arrow_schema

            mode = "overwrite" if overwrite else "append"
            # A StructType from a JVM Spark; Sail hands over an Arrow schema already.
            arrow = schema if isinstance(schema, pa.Schema) else to_arrow_schema(schema)
            return _Writer(open_writer(source, dict(self.options), mode, arrow))

        def schema(self) -> Any:
            options, _ = split_progress(self.options)
            return spark_schema(prepare(source, options).schema)[1]

        def reader(self, schema: Any) -> Any:
            options, reporter = split_progress(self.options)
            prepared = prepare(source, options)
            pushing = push_filters and "filters" in prepared.keywords
            return (_PushingReader if pushing else _Reader)(prepared, reporter)

    _Source.__name__ = _Source.__qualname__ = f"SparkSource_{format_name}"
    return _Source
