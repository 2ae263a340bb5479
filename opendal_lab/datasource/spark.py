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

Filters: Spark hands the filters it would like pushed to the reader; this adapter lets
Spark evaluate them all (its default), so results are right whatever the source does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import polars as pl
import pyarrow as pa

from opendal_lab.datasource.resolve import resolve_source

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


def spark_data_source(source: Any = None, *, name: str | None = None) -> type[Any]:
    """A PySpark ``DataSource`` class running ``source`` (a class, an instance or None)."""
    from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition

    format_name: str = name or (
        "python" if source is None else str(getattr(source, "__name__", type(source).__name__))
    )

    class _Reader(DataSourceReader):
        def __init__(self, options: dict[str, str]) -> None:
            self.options = options
            self.source = resolve_source(source, options)
            self.arrow, _ = spark_schema(self.source.infer_schema(options))

        def partitions(self) -> list[Any]:
            specs = self.source.plan_partitions(self.options)
            return [InputPartition(json.dumps(spec)) for spec in specs]

        def read(self, partition: Any) -> Iterator[pa.RecordBatch]:
            spec = json.loads(partition.value)
            for piece in self.source.read_partition(spec, dict(self.options)):
                table = _as_table(piece)
                if table.num_rows:
                    yield from table.select(self.arrow.names).cast(self.arrow).to_batches()

    class _Source(DataSource):
        @classmethod
        def name(cls) -> str:
            return format_name

        def schema(self) -> Any:
            options = dict(self.options)
            return spark_schema(resolve_source(source, options).infer_schema(options))[1]

        def reader(self, schema: Any) -> Any:
            return _Reader(dict(self.options))

    _Source.__name__ = _Source.__qualname__ = f"SparkSource_{format_name}"
    return _Source


def _as_table(piece: Any) -> pa.Table:
    if isinstance(piece, pa.Table):
        return piece
    if isinstance(piece, pa.RecordBatch):
        return pa.Table.from_batches([piece])
    if isinstance(piece, pl.DataFrame):
        return piece.to_arrow()
    raise TypeError(f"read_partition yielded {type(piece).__name__}, not Arrow or Polars")
