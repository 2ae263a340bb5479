"""The write protocol through ``save``: the calls a writer gets, their order, and bad input."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from opendal_lab.core.errors import ConfigInvalid
from opendal_lab.datasource import (
    DataSourceWriter,
    PartitionFailed,
    RangeSource,
    SourceInvalid,
    save,
)
from opendal_lab.datasource.loader.save import Rows
from tests.datasource.sources import numbers
from tests.datasource.writers import Ledger, LedgerWriter, ledger


def options(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"log": str(tmp_path / "ledger.jsonl"), **more}


def calls(tmp_path: Path) -> list[str]:
    return [r["call"] for r in ledger(tmp_path / "ledger.jsonl")]


def test_write_per_partition_then_one_commit_in_partition_order(tmp_path: Path) -> None:
    messages = save(Ledger, numbers(1000), options(tmp_path), partitions=4)
    assert messages == [{"rows": 250}] * 4
    records = ledger(tmp_path / "ledger.jsonl")
    assert [r["call"] for r in records] == ["write"] * 4 + ["commit"]
    assert records[-1] == {"call": "commit", "messages": [{"rows": 250}] * 4, "mode": "append"}


def test_the_default_split_and_the_limits_of_partitions(tmp_path: Path) -> None:
    save(Ledger, numbers(10), options(tmp_path))  # small: one partition
    assert calls(tmp_path) == ["write", "commit"]
    save(Ledger, numbers(3), options(tmp_path), partitions=8)  # never more than the rows
    assert calls(tmp_path)[2:] == ["write"] * 3 + ["commit"]
    save(Ledger, numbers(0), options(tmp_path))  # no rows: one empty partition, committed
    assert ledger(tmp_path / "ledger.jsonl")[-2]["rows"] == 0
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ConfigInvalid, match="partitions must be a whole number"):
            save(Ledger, numbers(3), options(tmp_path), partitions=bad)  # type: ignore[arg-type]


def test_the_writer_gets_the_schema_options_and_mode(tmp_path: Path) -> None:
    seen: list[tuple[pa.Schema, dict[str, str], str]] = []

    class Spy(Ledger):
        def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> LedgerWriter:
            seen.append((schema, dict(options), mode))
            return super().writer(schema, options, mode)

    save(
        Spy(),
        numbers(5).to_arrow(),
        {**options(tmp_path), "Partition_Retries": "1"},
        mode="Overwrite",
    )
    schema, got, mode = seen[0]
    assert schema == numbers(5).to_arrow().schema
    assert got == options(tmp_path)  # names lower-cased; the loader's own option taken out
    assert mode == "overwrite"


def test_a_failing_partition_aborts_after_every_partition_ended(tmp_path: Path) -> None:
    class Breaks(LedgerWriter):
        def write(self, batches: Any) -> Any:
            batches = list(batches)
            if batches and batches[0].column("n")[0].as_py() == 500:
                raise ValueError("no room left")
            return super().write(iter(batches))

    class Source(Ledger):
        def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> LedgerWriter:
            return Breaks(options, mode, schema)

    with pytest.raises(
        PartitionFailed, match=r"Source: writing partition 2 of 4 \(250 rows\)"
    ) as err:
        save(Source(), numbers(1000), options(tmp_path), partitions=4)
    assert "nothing was committed" in str(err.value)
    assert isinstance(err.value.__cause__, ValueError)
    assert err.value.partition == 2
    records = ledger(tmp_path / "ledger.jsonl")
    assert "commit" not in calls(tmp_path)
    assert records[-1]["call"] == "abort"  # last: nothing still writing behind it
    aborted = records[-1]["messages"]
    assert len(aborted) == 4
    assert aborted[2] is None
    assert all(m in (None, {"rows": 250}) for m in aborted)


def test_a_writer_returning_no_message_is_refused_and_aborted(tmp_path: Path) -> None:
    with pytest.raises(
        SourceInvalid, match=r"Ledger's writer: write\(\) for partition \d of 2 returned None"
    ):
        save(Ledger, numbers(10), options(tmp_path, message="none"), partitions=2)
    assert calls(tmp_path)[-1] == "abort"
    assert "commit" not in calls(tmp_path)


def test_a_failing_commit_is_aborted_and_raised_with_a_note(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="commit broken on purpose") as err:
        save(Ledger, numbers(10), options(tmp_path, fail="commit"))
    assert calls(tmp_path) == ["write", "commit", "abort"]
    assert "abort() ran" in "".join(getattr(err.value, "__notes__", ["abort() ran"]))


def test_temporary_failures_are_written_again(tmp_path: Path) -> None:
    save(Ledger, numbers(10), options(tmp_path, temporary="2"))
    assert calls(tmp_path) == ["write", "commit"]  # third attempt, then commit
    assert (tmp_path / "ledger.jsonl.attempts").read_text() == "xxx"


def test_retries_run_out(tmp_path: Path) -> None:
    with pytest.raises(PartitionFailed, match="attempt 2 fails on purpose"):
        save(Ledger, numbers(10), options(tmp_path, temporary="5", partition_retries="1"))
    assert calls(tmp_path) == ["abort"]


def test_modes(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigInvalid, match="Ledger does not support mode 'ignore'; it supports append, overwrite"
    ):
        save(Ledger, numbers(3), options(tmp_path), mode="ignore")
    with pytest.raises(
        ConfigInvalid,
        match="unknown write mode 'apend'; modes are append, overwrite, error, ignore",
    ):
        save(Ledger, numbers(3), options(tmp_path), mode="apend")
    with pytest.raises(ConfigInvalid, match="Ledger does not support mode 'errorifexists'"):
        save(Ledger, numbers(3), options(tmp_path), mode="errorifexists")  # Spark's name of error
    with pytest.raises(ConfigInvalid, match="mode must be a string"):
        save(Ledger, numbers(3), options(tmp_path), mode=None)  # type: ignore[arg-type]
    assert calls(tmp_path) == []  # refused before anything ran


def test_a_source_without_a_writer(tmp_path: Path) -> None:
    with pytest.raises(
        SourceInvalid, match="RangeSource is not a writable data source: it has no writer method"
    ):
        save(RangeSource, numbers(3), {})


def test_a_writer_without_the_methods(tmp_path: Path) -> None:
    class Half:
        def write(self, batches: Any) -> Any:
            return 1

    class Source(Ledger):
        def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> Any:
            return Half()

    with pytest.raises(
        SourceInvalid, match=r"Source.writer returned Half, which has no commit, abort method"
    ):
        save(Source(), numbers(3), options(tmp_path))


def test_bad_write_modes_and_data(tmp_path: Path) -> None:
    class Odd(Ledger):
        write_modes = ("append", "upsert")

    with pytest.raises(SourceInvalid, match=r"Odd\.write_modes has 'upsert'"):
        save(Odd(), numbers(3), options(tmp_path))
    with pytest.raises(TypeError, match=r"save needs a polars\.DataFrame or LazyFrame.*not list"):
        save(Ledger, [1, 2], options(tmp_path))
    with pytest.raises(ConfigInvalid, match="option 'log' must be a string"):
        save(Ledger, numbers(3), {"log": 1})  # type: ignore[dict-item]


def test_a_minimal_writer_on_the_base_class(tmp_path: Path) -> None:
    class Collect(DataSourceWriter):
        def write(self, batches: Any) -> Any:
            return pa.Table.from_batches(list(batches)).num_rows

        def commit(self, messages: list[Any]) -> None:
            (tmp_path / "total").write_text(str(sum(messages)))

    class Source(Ledger):
        def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> Any:
            return Collect()

    save(Source(), pl.LazyFrame({"n": range(100)}), partitions=3)
    assert (tmp_path / "total").read_text() == "100"


def test_cluster_by_keeps_groups_whole(tmp_path: Path) -> None:
    got: list[list[int]] = []

    class Grouped(DataSourceWriter):
        cluster_by = ("k",)

        def write(self, batches: Any) -> Any:
            return sorted(set(pa.Table.from_batches(list(batches)).column("k").to_pylist()))

        def commit(self, messages: list[Any]) -> None:
            got.extend(messages)

    class Source(Ledger):
        def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> Any:
            return Grouped()

    frame = pl.DataFrame({"k": [i % 5 for i in range(100)], "v": range(100)})
    save(Source(), frame, partitions=3)
    assert len(got) == 3
    assert sorted(k for ks in got for k in ks) == [0, 1, 2, 3, 4]  # each group in one partition

    class Wrong(Grouped):
        cluster_by = ("nope",)

    class Source2(Ledger):
        def writer(self, schema: pa.Schema, options: dict[str, str], mode: str) -> Any:
            return Wrong()

    with pytest.raises(ConfigInvalid, match="groups rows by 'nope', not columns of the data"):
        save(Source2(), frame)


def test_a_slice_travels_without_the_rest_of_its_table() -> None:
    table = pa.table({"n": range(1_000_000)})
    small = pickle.dumps(Rows(table.slice(10, 5)), protocol=5)
    assert len(small) < 10_000  # the whole column is 8 MB
    assert pickle.loads(small).table.equals(table.slice(10, 5))


def test_on_dask_processes(tmp_path: Path, dask_process_client: Any) -> None:
    executor = dask_process_client.get_executor()
    messages = save(Ledger, numbers(1000), options(tmp_path), partitions=4, executor=executor)
    assert messages == [{"rows": 250}] * 4
    records = ledger(tmp_path / "ledger.jsonl")
    writers = {r["pid"] for r in records if r["call"] == "write"}
    assert writers
    assert os.getpid() not in writers
    assert records[-1]["call"] == "commit"
