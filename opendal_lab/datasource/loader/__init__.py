"""The loader: runs any data source's partitions and hands back Polars frames.

Followed from the two entry points down:

- ``eager``: ``load(source, options)`` -> ``polars.DataFrame``;
- ``lazy``: ``scan(source, options)`` -> ``polars.LazyFrame`` (a Polars IO plugin), with
  ``pushdown``: what of a query's projection, predicate and limit the source is offered
  and what the loader applies itself;
- ``save``: ``save(source, frame, options, mode=)``, the other direction: rows written
  through the source's writer (``opendal_lab.datasource.writer``), partitions in parallel,
  committed all together or aborted;
- ``stream``: ``stream(source, options)`` -> ``pyarrow.RecordBatchReader``, partitions
  handed out as Arrow batches as they finish, at most ``in_flight`` of them held;
- ``prepare``: the source found (class, instance or ``python_module`` / ``python_class``)
  and checked, options and schema checked: a ``Prepared``, which plans partitions;
- ``run``: partitions submitted to the executor and their results handed back in order,
  stopped on failure or when a scan has its rows; the progress bar;
- ``partition``: what runs on a worker for one partition (``ReadPlan``, ``run_partition``),
  every piece checked against the schema.

Where partitions run (threads or a given executor, Dask's included) is
``opendal_lab.datasource.engines``; the loader knows nothing of Spark.
"""

from opendal_lab.datasource.loader.eager import load
from opendal_lab.datasource.loader.lazy import scan
from opendal_lab.datasource.loader.prepare import CLASS_OPTION, MODULE_OPTION, resolve_source
from opendal_lab.datasource.loader.save import save
from opendal_lab.datasource.loader.stream import stream

__all__ = ["CLASS_OPTION", "MODULE_OPTION", "load", "resolve_source", "save", "scan", "stream"]
