"""A per-process store (memory://) handed to executors running elsewhere: refused up front."""

from __future__ import annotations

import concurrent.futures as cf
import json
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.core.operator import Operator
from opendal_lab.datasource import FileSource, load, scan
from opendal_lab.datasource.engines.locality import process_local, runs_elsewhere
from tests.datasource.sources import Numbers

pytest.importorskip("distributed")

REFUSED = r"lives in this process only.*other processes.*\(fs, s3\), or run on threads"


class OnStorage(Numbers):
    """Numbers that say they live on ``options['uri']``; each read is logged to ``log``."""

    def storage(self, options: Mapping[str, str]) -> Operator:
        return Operator.from_uri(options["uri"])

    def read_partition(self, spec: dict[str, Any], options: dict[str, str]) -> Iterator[Any]:
        with open(options["log"], "a") as out:
            out.write(json.dumps(spec) + "\n")
        yield from self.batches(spec, options)


def memory_files() -> tuple[str, pl.DataFrame]:
    uri = f"memory://locality-{uuid.uuid4().hex[:8]}/root"
    frame = pl.DataFrame({"n": range(30)})
    Operator.from_uri(uri).write("a.parquet", _parquet(frame))
    return uri, frame


def _parquet(frame: pl.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def test_memory_on_a_process_cluster_is_refused_before_any_task(
    dask_process_client: Any, tmp_path: Path
) -> None:
    log = tmp_path / "reads.jsonl"
    options = {"uri": "memory://locality/root", "log": str(log), "partitions": "4"}
    executor = dask_process_client.get_executor()
    with pytest.raises(ConfigInvalid, match=REFUSED):
        load(OnStorage, options, executor=executor)
    with pytest.raises(Exception, match="lives in this process only"):
        scan(OnStorage, options, executor=executor).collect()
    assert not log.exists()  # no partition ran
    # The same source on a shared service runs there.
    fs_options = {**options, "uri": f"fs://{tmp_path}"}
    assert load(OnStorage, fs_options, executor=executor).height == 100


def test_file_source_on_memory_names_the_way_out(dask_process_client: Any) -> None:
    uri, _ = memory_files()
    with pytest.raises(ConfigInvalid, match=REFUSED):
        load(
            FileSource,
            {"URI": uri, "path": "*.parquet"},
            executor=dask_process_client.get_executor(),
        )
    source = FileSource(Operator.from_uri(uri), path="*.parquet")
    with cf.ProcessPoolExecutor(1) as pool, pytest.raises(ConfigInvalid, match=REFUSED):
        load(source, executor=pool)


def test_memory_on_threads_still_loads(dask_thread_client: Any) -> None:
    uri, frame = memory_files()
    options = {"uri": uri, "path": "*.parquet"}
    assert_frame_equal(load(FileSource, options), frame)
    assert_frame_equal(load(FileSource, options, executor=dask_thread_client.get_executor()), frame)


def test_what_runs_elsewhere_and_what_is_per_process(
    dask_process_client: Any, dask_thread_client: Any, tmp_path: Path
) -> None:
    assert runs_elsewhere(dask_process_client.get_executor())
    assert not runs_elsewhere(dask_thread_client.get_executor())
    with cf.ProcessPoolExecutor(1) as pool:  # no process starts until a submit
        assert runs_elsewhere(pool)
    with cf.ThreadPoolExecutor(1) as threads:
        assert not runs_elsewhere(threads)
    assert process_local(Operator.from_uri("memory://x/root"))
    assert process_local(Operator("fsspec", protocol="memory", root="/x"))  # the global store
    assert not process_local(Operator.from_uri(f"fs://{tmp_path}"))
    assert not process_local(Operator("fsspec", protocol="file", root=str(tmp_path)))
