"""Engine adapters: where a source's partitions run, apart from the loader that plans them.

- ``executors``: threads by default, or any ``concurrent.futures.Executor`` given (a Dask
  ``Client.get_executor()`` across machines); ``load`` and ``scan`` run on it;
- ``spark``: any source as a PySpark 4 Python Data Source, for Spark and Sail
  (``opendal_lab.datasource.spark`` is its public name), with ``spark_filters``
  translating Spark's pushed filters into ``Filter``.

Nothing here imports PySpark until a Spark data source is built.
"""
