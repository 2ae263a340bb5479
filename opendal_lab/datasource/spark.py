"""The Spark and Sail adapter's public names: ``spark_data_source`` (``engines.spark``) and
``spark_progress``, a bar of the partitions Spark reads (``engines.spark_progress``)."""

from opendal_lab.datasource.engines.spark import spark_data_source, spark_schema
from opendal_lab.datasource.engines.spark_progress import spark_progress

__all__ = ["spark_data_source", "spark_progress", "spark_schema"]
