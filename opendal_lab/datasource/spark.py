"""The Spark and Sail adapter's public names: ``register``, one call for a session's formats
(``engines.spark_register``); ``spark_data_source``, one source as a PySpark data source
(``engines.spark``); ``spark_progress``, a bar of the partitions Spark reads
(``engines.spark_progress``)."""

from opendal_lab.datasource.engines.spark import spark_data_source, spark_schema
from opendal_lab.datasource.engines.spark_progress import spark_progress
from opendal_lab.datasource.engines.spark_register import register

__all__ = ["register", "spark_data_source", "spark_progress", "spark_schema"]
