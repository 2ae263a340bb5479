"""The Spark and Sail adapter's public name: ``spark_data_source`` (``engines.spark``)."""

from opendal_lab.datasource.engines.spark import spark_data_source, spark_schema

__all__ = ["spark_data_source", "spark_schema"]
