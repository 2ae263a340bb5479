"""One call that makes a Spark or Sail session read and write our sources by format name.

::

    from opendal_lab.datasource.spark import register

    register(spark)                                   # format("python")
    register(spark, orders=Orders, lake=FileSource)   # ... and format("orders"), ("lake")

    spark.read.format("python").option("python_module", "my_pkg.sources") \\
        .option("python_class", "Orders").load()
    spark.read.format("orders").option("since", "2024-01-01").load()

``format("python")`` is the seed's: a source named by its ``python_module`` and
``python_class`` options, resolved where it runs (the class must be importable on Spark's
workers). Each keyword names another format for one source (a class or an instance). Every
name is registered with ``spark_data_source`` (``engines.spark``), so reads, pushed filters
and writes behave as that adapter says; ``push_filters`` is passed to each. Registration
lasts for the session, as ``spark.dataSource.register`` does.

Checked before anything is registered: the session has ``dataSource`` (PySpark 4's Python
data source API), each name is a plain identifier not given twice, and each source has the
read protocol's methods -- so a typo fails here, not in the first query.
"""

from __future__ import annotations

from typing import Any

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource.engines.spark import spark_data_source
from opendal_lab.datasource.loader.prepare import check_source
from opendal_lab.datasource.protocol import source_name

__all__ = ["PYTHON_FORMAT", "register"]

PYTHON_FORMAT = "python"


def register(spark: Any, /, *, push_filters: bool = True, **sources: Any) -> list[str]:
    """Register ``format("python")`` and one format per keyword; the names registered."""
    registry = getattr(spark, "dataSource", None)
    if registry is None or not callable(getattr(registry, "register", None)):
        raise TypeError(
            f"register needs a SparkSession with PySpark 4's Python data source API "
            f"(spark.dataSource.register); got {type(spark).__name__}"
        )
    for name, source in sources.items():
        if not name.isidentifier() or name.lower() == PYTHON_FORMAT:
            raise ConfigInvalid(
                f"format name {name!r}: use a plain identifier other than {PYTHON_FORMAT!r}",
                operation="datasource",
            )
        if source is None:
            raise ConfigInvalid(
                f"format {name!r}: no source given (format('python') names one by options)",
                operation="datasource",
            )
        check_source(source, source_name(source))
    lowered = [n.lower() for n in sources]
    twice = sorted({n for n in lowered if lowered.count(n) > 1})
    if twice:  # Spark looks format names up without regard to case
        raise ConfigInvalid(
            f"format name(s) {', '.join(map(repr, twice))} given twice (names ignore case)",
            operation="datasource",
        )
    registry.register(spark_data_source(None, name=PYTHON_FORMAT, push_filters=push_filters))
    for name, source in sources.items():
        registry.register(spark_data_source(source, name=name, push_filters=push_filters))
    return [PYTHON_FORMAT, *sources]
