"""load and scan on a Dask cluster through ``client.get_executor()``, unchanged.

On the process cluster every partition runs in another process: the plan (source, options,
schema, pushdown) is pickled there, the result comes back as Arrow tables, and errors come
back pickled with their fields.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.datasource import PartitionFailed, RangeSource, SchemaMismatch, load, scan
from opendal_lab.datasource.loader.partition import run_partition
from opendal_lab.datasource.loader.prepare import prepare
from tests.datasource.sources import Liar, Numbers, PolarsFrames, Recorder, Staged, numbers

pytest.importorskip("distributed")

col = pl.col
OPTIONS = {"rows": "150", "partitions": "7", "batch": "11"}


@pytest.fixture(params=["processes", "threads"])
def executor(request: pytest.FixtureRequest) -> Any:
    name = "dask_process_client" if request.param == "processes" else "dask_thread_client"
    return request.getfixturevalue(name).get_executor()


@pytest.mark.parametrize("source", [Numbers, PolarsFrames])
def test_load(executor: Any, source: type) -> None:
    assert_frame_equal(load(source, OPTIONS, executor=executor), numbers(150))


def test_load_range_source_by_name(executor: Any) -> None:
    options = {
        "python_module": "opendal_lab.datasource.range",
        "python_class": "RangeSource",
        "rows": "1000",
        "partitions": "5",
    }
    assert_frame_equal(load(None, options, executor=executor), load(RangeSource, options))


def test_scan_with_pushdown(executor: Any) -> None:
    predicate = (col("n") > 20) & col("s").is_in(["s1", "s2"]) & (col("n") % 3 != 0)
    got = scan(Recorder, OPTIONS, executor=executor).filter(predicate).select("s", "f")
    expected = numbers(150).filter(predicate).select("s", "f")
    assert_frame_equal(got.collect(), expected)
    assert_frame_equal(scan(Numbers, OPTIONS, executor=executor).head(9).collect(), numbers(9))


def test_failure_comes_back_named(executor: Any) -> None:
    with pytest.raises(PartitionFailed, match=r"Staged: partition 4 of 7 failed") as e:
        load(Staged, {**OPTIONS, "fail": "4"}, executor=executor)
    assert e.value.spec == {"index": 4, "start": 85, "stop": 107}
    assert isinstance(e.value.__cause__, ValueError)
    assert "disk on fire under partition 4" in str(e.value.__cause__)


def test_schema_mismatch_comes_back_whole(executor: Any) -> None:
    with pytest.raises(SchemaMismatch) as e:
        load(Liar, OPTIONS, executor=executor)
    assert (e.value.partition, e.value.column, e.value.actual) == (1, "n", "int32")


def test_process_workers_get_arrow_back(dask_process_client: Any) -> None:
    # Results cross as Arrow tables (out-of-band buffers), not as Polars frames.
    prepared = prepare(Numbers, OPTIONS)
    plan = prepared.read_plan(1, arrow=True)
    spec = prepared.partitions()[0]
    result = dask_process_client.submit(run_partition, plan, 0, spec).result()
    assert result
    assert all(isinstance(t, pa.Table) for t in result)
    assert sum(t.num_rows for t in result) == 21
